"""Where an answer's citation of a knowledge page links: the revision it was answered from."""

from __future__ import annotations

# The sub-path under a knowledge page that shows one of its published revisions, so a reader
# sees the text an answer was given from even after later edits (see content.views).
REVISION_ROUTE = "revisions"


def revision_url(page_url: str, revision_id: int | None) -> str:
    """The citation link of a page's revision (the page's own URL when it has none)."""
    if not page_url or not revision_id:
        return page_url
    return f"{page_url.rstrip('/')}/{REVISION_ROUTE}/{int(revision_id)}/"
