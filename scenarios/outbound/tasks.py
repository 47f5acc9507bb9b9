"""django-q2 task of outbound campaigns (the schedule is created by migration 0002)."""

from __future__ import annotations

from typing import Any


def run_due_campaigns() -> dict[str, Any]:
    from scenarios.outbound.services import campaigns_run_due

    return campaigns_run_due()
