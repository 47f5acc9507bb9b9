"""The fictional Harbour Bank (海港银行) the demo and the tests run on.

Every step is idempotent: records are found by their natural key and only created when missing,
so a second `seed_demo` (or `make run`) keeps what operators and editors changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from django.conf import settings

DATA_DIRS = {
    "devices": Path(settings.BASE_DIR) / "devices" / "demo_data",
    "scenarios": Path(settings.BASE_DIR) / "scenarios" / "demo_data",
    "content": Path(settings.BASE_DIR) / "content" / "demo_data",
}


def seed_all(log: Callable[[str], None] = print, traffic_days: int | None = None) -> dict[str, int]:
    """The demo bank, then `traffic_days` (default `DEMO_TRAFFIC_DAYS`) days of simulated
    conversations for the analytics dashboards (days simulated before are kept, not redone)."""
    from bank_ai.demo import ai, branches, catalogue, customers, hall, knowledge, studio, users

    counts: dict[str, int] = {}
    counts.update(users.seed(log))
    counts.update(branches.seed(log))
    counts.update(catalogue.seed(log))
    counts.update(customers.seed(log))
    counts.update(knowledge.seed(log))
    counts.update(ai.seed(log))
    counts.update(hall.seed(log))
    counts.update(_flows(log))
    counts.update(studio.seed(log))
    days = settings.DEMO_TRAFFIC_DAYS if traffic_days is None else traffic_days
    if days > 0:
        from bank_ai.demo.traffic import simulate_traffic

        report = simulate_traffic(days=days, per_day=settings.DEMO_TRAFFIC_PER_DAY, log=log)
        counts["simulated_sessions"] = report.sessions
    return counts


def _flows(log: Callable[[str], None]) -> dict[str, int]:
    """The flows the scenario packages ship that the database lacks (edited ones are kept)."""
    from scenarios.flows import flow_sync

    report = flow_sync()
    if report.kept:
        log(f"flows edited in the admin, kept: {', '.join(report.kept)}")
    return {"flows_created": len(report.created)}
