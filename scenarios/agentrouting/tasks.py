"""django-q2 tasks of routing (the schedule is created by migration 0002)."""

from __future__ import annotations


def routing_sweep_task() -> dict[str, int]:
    from scenarios.agentrouting.services import routing_sweep

    return routing_sweep()
