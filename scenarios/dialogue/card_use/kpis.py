"""Card use's KPIs, declared for the analytics dashboards (computed from FunnelEvents)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scenarios.registry import Kpi

KPIS = (
    Kpi(
        "bill_analysed",
        _("Bills analysed"),
        _("Sessions given an analysis of their bill / sessions."),
        counts=("bill_analysed",),
    ),
    Kpi(
        "benefits_shown",
        _("Benefits shown"),
        _("Sessions shown the benefits and campaigns that fit their spending / sessions."),
        counts=("benefits_shown",),
    ),
    Kpi(
        "instalment_quoted",
        _("Instalments quoted"),
        _("Sessions given an exact instalment quote / sessions that asked about instalments."),
        counts=("instalment_quoted",),
        of=("instalment_quoted", "instalment_unavailable"),
    ),
    Kpi(
        "repayment_plans_shown",
        _("Repayment plans shown"),
        _("Sessions shown their repayment plans / sessions."),
        counts=("repayment_plans_shown",),
    ),
    Kpi(
        "reminder_set",
        _("Repayment reminders set"),
        _("Sessions that scheduled a repayment reminder / sessions."),
        counts=("reminder_set",),
    ),
)
