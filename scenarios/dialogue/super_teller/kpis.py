"""The super teller's KPIs, declared for the analytics dashboards (computed from FunnelEvents)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scenarios.registry import Kpi

KPIS = (
    Kpi(
        "need_located",
        _("Need located"),
        _("Sessions whose self-service guide was located (matched, picked or tapped) / sessions."),
        counts=("need_located",),
    ),
    Kpi(
        "asked_to_choose",
        _("Unsure, options offered"),
        _("Sessions offered numbered guides because the match was unsure / sessions."),
        counts=("unsure",),
        steps=("teller_locate",),
    ),
    Kpi(
        "guide_started",
        _("Guide started"),
        _("Sessions that started a guide / sessions whose need was located."),
        counts=("guide_started",),
        of=("need_located",),
    ),
    Kpi(
        "guide_completed",
        _("Guide completed"),
        _("Sessions that finished the guide at the machine / sessions that started one."),
        counts=("guide_completed",),
        of=("guide_started",),
    ),
    Kpi(
        "step_failures",
        _("Failed guide steps"),
        _("Device or customer reports of a failed step (insert card, scan ID...)."),
        counts=("step_failed",),
        steps=("guide_step",),
        measure="count",
    ),
    Kpi(
        "handed_over",
        _("Handed to a person"),
        _("Sessions handed to a colleague (repeated failures, requests) / sessions."),
        counts=("handed_over",),
    ),
)
