"""The avatar video studio (seed scenario 5): topics, scripts, styles, review, rendering,
batches and publishing. Models are in `content.models.studio`."""
