"""Card activation's KPIs, declared for the analytics dashboards (computed from FunnelEvents)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scenarios.registry import Kpi

KPIS = (
    Kpi(
        "guide_chosen",
        _("Guide chosen"),
        _("Sessions that chose where to activate (in the app or at the machine) / sessions."),
        counts=("guide_chosen",),
    ),
    Kpi(
        "activated",
        _("Activation completed"),
        _("Sessions that reached the end of the guide / sessions that chose a guide."),
        counts=("completed",),
        of=("guide_chosen",),
        steps=("end",),
    ),
    Kpi(
        "hints",
        _("Hints needed"),
        _("Times a customer could not find a step and was shown its hint."),
        counts=("hint_shown",),
        measure="count",
    ),
)
