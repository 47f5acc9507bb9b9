"""django-q2 tasks of the analytics roll-ups (scheduled by migration 0002)."""

from __future__ import annotations

from scenarios.analytics.services import rollup_recent


def rollup_recent_task() -> int:
    return rollup_recent()
