"""The avatar video studio (seed scenario 5).

What a video is (``spec``) and how it is rendered (``render``); the topic pool (``topics``),
scripts (``scripts``), the style catalogue (``styles``), review and render batches
(``services``), publishing (``publishing``), reads and KPIs (``selectors``), the admin and the
API. Models are in ``content.models.studio``.
"""
