"""The app service flows' KPIs, read back from their sessions and funnel events."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from scenarios.models import DialogueSession, FunnelEvent


def app_service_kpis(scenario: str, *, since: datetime | None = None) -> dict[str, Any]:
    """Completion, drop-off per step, rating and handling time of one flow (pre_sales or
    after_sales). A session still open, or abandoned, dropped off at its current step."""
    sessions = DialogueSession.objects.filter(flow__scenario=scenario)
    events = FunnelEvent.objects.filter(scenario=scenario)
    if since is not None:
        sessions = sessions.filter(created_at__gte=since)
        events = events.filter(created_at__gte=since)
    total = sessions.count()
    completed = sessions.filter(status=DialogueSession.Status.COMPLETED).count()
    handed_over = sessions.filter(status=DialogueSession.Status.HANDED_OVER).count()
    drop_off: dict[str, int] = {}
    for step in sessions.filter(
        status__in=[DialogueSession.Status.ACTIVE, DialogueSession.Status.ABANDONED]
    ).values_list("current_step", flat=True):
        drop_off[step] = drop_off.get(step, 0) + 1
    scores = [
        detail["score"]
        for detail in events.filter(outcome="rated").values_list("detail", flat=True)
        if isinstance(detail.get("score"), int)
    ]
    handling = [
        detail["handling_seconds"]
        for detail in events.filter(outcome="service_closed").values_list("detail", flat=True)
        if isinstance(detail.get("handling_seconds"), int)
    ]
    return {
        "sessions": total,
        "completed": completed,
        "handed_over": handed_over,
        "completion_rate": completed / total if total else 0.0,
        "drop_off": dict(sorted(drop_off.items(), key=lambda item: (-item[1], item[0]))),
        "ratings": len(scores),
        "average_rating": sum(scores) / len(scores) if scores else None,
        "handling_seconds_median": median(handling) if handling else None,
    }
