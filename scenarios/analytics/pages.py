"""Every dashboard page, whatever computes it: the pages read from the daily roll-ups
(`selectors`), the contact centre's and outbound pages counted from their records
(`contact_centre`) and the video studio's. The views and the API ask here.

Its own module so that `selectors` (which `contact_centre` builds on) never has to import
`contact_centre` back.
"""

from __future__ import annotations

from typing import Any

from scenarios.analytics import contact_centre
from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.selectors import (
    CONTACT_PAGE,
    OUTBOUND_PAGE,
    STUDIO_PAGE,
    Filters,
    page_report,
    page_series,
    studio_report,
)


def report(page_code: str, filters: Filters) -> dict[str, Any]:
    """Any dashboard page's report (KeyError for an unknown page)."""
    if page_code == STUDIO_PAGE:
        return studio_report(filters)
    if page_code == CONTACT_PAGE:
        return contact_centre.queue_report(filters)
    if page_code == OUTBOUND_PAGE:
        return contact_centre.campaign_report(filters)
    return page_report(page_code, filters)


def series(page_code: str, kpi_code: str, filters: Filters) -> dict[str, Any]:
    """One KPI of any dashboard page, day by day (KeyError for an unknown page or KPI, or one
    without a daily figure)."""
    if page_code in (CONTACT_PAGE, OUTBOUND_PAGE):
        return contact_centre.record_series(page_code, kpi_code, filters)
    if page_code == STUDIO_PAGE:
        raise KeyError(page_code)
    return page_series(page_code, kpi_code, filters)


def chartable_kpis(page_code: str) -> list[str]:
    """The KPIs of a page the chart can draw day by day (`series` answers for them)."""
    if page_code in (CONTACT_PAGE, OUTBOUND_PAGE):
        return [
            kpi.code
            for kpi in contact_centre.record_kpis(page_code)
            if kpi.measure != kpi_defs.BREAKDOWN and kpi.code not in contact_centre.NOT_DAILY
        ]
    if page_code == STUDIO_PAGE:
        return []
    return [k.code for k in kpi_defs.page(page_code).kpis if k.measure != kpi_defs.BREAKDOWN]
