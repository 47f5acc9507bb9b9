"""The branch hall's KPIs, declared for the analytics dashboards (computed from FunnelEvents)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scenarios.registry import Kpi

KPIS = (
    Kpi(
        "need_recognised",
        _("Need recognised"),
        _("Sessions whose service was recognised (matched, picked or tapped) / sessions."),
        counts=("service_matched",),
    ),
    Kpi(
        "asked_to_choose",
        _("Unsure, options offered"),
        _("Sessions offered numbered options because the match was unsure / sessions."),
        counts=("unsure",),
        steps=("hall_service",),
    ),
    Kpi(
        "service_corrected",
        _("Service corrected"),
        _("Sessions whose customer corrected the recognised service / sessions recognised."),
        counts=("service_corrected",),
        of=("service_matched",),
    ),
    Kpi(
        "ticket_issued",
        _("Tickets issued"),
        _("Sessions that got a queue ticket / sessions whose service was recognised."),
        counts=("ticket_issued",),
        of=("service_matched",),
    ),
    Kpi(
        "ticket_refused",
        _("Service not offered here"),
        _("Sessions refused a ticket because the branch does not offer the service."),
        counts=("ticket_refused",),
        measure="count",
    ),
    Kpi(
        "waiting_ahead",
        _("People ahead when the ticket was issued"),
        _("Median number of people waiting ahead at issue."),
        counts=("ticket_issued",),
        measure="median",
        field="waiting_ahead",
    ),
)
