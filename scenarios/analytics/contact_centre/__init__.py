"""The contact-centre pages: routing queues (`contact_centre`) and outbound campaigns (`outbound`).

Their figures are not sessions' KPIs, so they are not rolled up: each is computed live from the
records it is made of, grouped in the database (a year is a handful of grouped queries):

- queues from `RoutingEvent` rows, which are append-only, so a range reads what happened in it,
  not the entries' state now (the same counts as `agentrouting.selectors.queue_figures`);
- campaigns from `ContactAttempt` rows (one per campaign and customer targeted), counted in the
  day the attempt was made, with the outcome recorded since (as `outbound.selectors.
  campaign_figures`).

Every figure's written definition is in `QUEUE_KPIS` / `CAMPAIGN_KPIS` (and docs/kpis.md). The
numbers link to the admin lists of the records behind them.
"""

from __future__ import annotations

from typing import Any

from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.contact_centre.campaigns import (
    CampaignFacts,
    CampaignTally,
    campaign_facts,
    campaign_report,
    campaign_values,
    held_back_series,
)
from scenarios.analytics.contact_centre.common import series
from scenarios.analytics.contact_centre.definitions import (
    CAMPAIGN_KPIS,
    PERCENTILE,
    QUEUE_KPIS,
    RecordKpi,
    record_kpis,
)
from scenarios.analytics.contact_centre.queues import (
    QUEUE_EVENT_KINDS,
    QueueFacts,
    QueueTally,
    occupancy_series,
    queue_facts,
    queue_report,
    queue_values,
)
from scenarios.analytics.selectors import CONTACT_PAGE, Filters

__all__ = [
    "CAMPAIGN_KPIS",
    "NOT_DAILY",
    "PERCENTILE",
    "QUEUE_EVENT_KINDS",
    "QUEUE_KPIS",
    "CampaignFacts",
    "CampaignTally",
    "QueueFacts",
    "QueueTally",
    "RecordKpi",
    "campaign_facts",
    "campaign_report",
    "campaign_values",
    "held_back_series",
    "occupancy_series",
    "queue_facts",
    "queue_report",
    "queue_values",
    "record_kpis",
    "record_series",
]


# Figures of a moment or of the whole range, with no day-by-day value.
NOT_DAILY = (
    "contact_centre.waiting_now",
    "contact_centre.answer_seconds_p90",
)


def record_series(page_code: str, kpi_code: str, filters: Filters) -> dict[str, Any]:
    """One KPI of a record page, day by day (KeyError for a KPI without a daily figure:
    waiting now, the percentile, the breakdowns). Occupancy and held back give each day's
    figure per agent or per reason too (`breakdown` of each point)."""
    kpi = next((k for k in record_kpis(page_code) if k.code == kpi_code), None)
    if kpi is None or kpi.measure == kpi_defs.BREAKDOWN or kpi.code in NOT_DAILY:
        raise KeyError(kpi_code)
    if kpi.code == "contact_centre.occupancy":
        return occupancy_series(kpi, filters)
    if page_code == CONTACT_PAGE:
        return series(kpi, filters, queue_facts(filters, daily=True).by_day, queue_values)
    if kpi.code == "outbound.held_back":
        return held_back_series(kpi, filters, campaign_facts(filters))
    return series(kpi, filters, campaign_facts(filters).by_day, campaign_values)
