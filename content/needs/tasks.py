"""django-q2 task of the need mining (a nightly Schedule created by migration 0002)."""

from __future__ import annotations

from content.needs.services import needs_rebuild

SCHEDULE_NAME = "mine-customer-needs"


def mine_needs_task() -> dict[str, int]:
    result = needs_rebuild()
    return {"questions": result.questions, "clusters": result.clusters, "kept": result.kept}
