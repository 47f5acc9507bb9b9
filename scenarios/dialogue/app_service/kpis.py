"""The app service flows' KPIs, read back from their sessions and funnel events."""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from django.utils.translation import gettext_lazy as _

from scenarios.models import DialogueSession, FunnelEvent
from scenarios.registry import Kpi

# Declared for the analytics dashboards (both flows, pre_sales and after_sales, alike);
# `app_service_kpis` computes them for one flow.
KPIS = (
    Kpi(
        "completion",
        _("Completion"),
        _("Sessions completed / sessions."),
        counts=("completed",),
        steps=("service_end",),
    ),
    Kpi(
        "handed_over",
        _("Handed to a colleague"),
        _("Sessions handed over (not located twice, unresolved, asked for a person) / sessions."),
        counts=("handed_over",),
    ),
    Kpi(
        "located",
        _("Need located"),
        _("Sessions whose description was matched to a module or page / sessions."),
        counts=("located",),
    ),
    Kpi(
        "chosen_from_options",
        _("Chosen from the other options"),
        _("Sessions that rejected the first match and picked another offered one."),
        counts=("chosen_from_options",),
        measure="count",
    ),
    Kpi(
        "drop_off",
        _("Drop-off per step"),
        _("Sessions still open or abandoned, by the step they stopped at."),
        counts=("entered",),
        measure="drop_off",
    ),
    Kpi(
        "average_rating",
        _("Average rating"),
        _("Mean satisfaction score (1–5) of the rated sessions."),
        counts=("rated",),
        measure="mean",
        field="score",
    ),
    Kpi(
        "handling_time",
        _("Handling time"),
        _("Median seconds from the session's start to its close."),
        counts=("service_closed",),
        measure="median",
        field="handling_seconds",
    ),
)


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
