"""The outbound page: campaigns' figures from the `ContactAttempt` rows made in the range (the
counts of `outbound.selectors.campaign_figures`), per campaign, delivery channel and day, and
the customers held back for quiet hours (`ContactHold` rows first held in the range)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.contact_centre.common import (
    Figure3,
    admin_list,
    breakdown_row,
    count_of,
    kpi_row,
    range_bounds,
    ratio,
    series,
)
from scenarios.analytics.contact_centre.definitions import (
    CAMPAIGN_KPIS,
    CAMPAIGN_TREND,
    RecordKpi,
)
from scenarios.analytics.selectors import OUTBOUND_PAGE, Filters
from scenarios.outbound.models import Campaign, ContactAttempt, ContactHold


@dataclass
class CampaignTally:
    targeted: int = 0
    delivered: int = 0
    failed: int = 0
    waiting: int = 0  # queued by a channel that delivers later (WeChat's outbox)
    reached: int = 0
    interested: int = 0
    converted: int = 0
    opted_out: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)

    def merge(self, other: CampaignTally) -> None:
        for name in (
            "targeted",
            "delivered",
            "failed",
            "waiting",
            "reached",
            "interested",
            "converted",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.opted_out += other.opted_out
        for reason, n in other.suppressed.items():
            self.suppressed[reason] = self.suppressed.get(reason, 0) + n

    def add(self, status: str, outcome: str, reason: str, n: int) -> None:
        self.targeted += n
        if status == ContactAttempt.Status.SKIPPED:
            self.suppressed[reason] = self.suppressed.get(reason, 0) + n
        elif status == ContactAttempt.Status.FAILED:
            self.failed += n
        elif status == ContactAttempt.Status.QUEUED:
            # Tried but not yet known to be delivered: attempted, neither delivered nor failed.
            self.waiting += n
        elif status == ContactAttempt.Status.SENT:
            self.delivered += n
            # Outcomes only move forward: a conversion was also reached and interested.
            if outcome:
                self.reached += n
            if outcome in ("interested", "converted"):
                self.interested += n
            if outcome == "converted":
                self.converted += n
            if outcome == "opted_out":
                self.opted_out += n


def campaign_values(t: CampaignTally) -> dict[str, Figure3]:
    attempted = t.delivered + t.failed + t.waiting
    return {
        "outbound.targeted": count_of(t.targeted),
        "outbound.attempted": count_of(attempted),
        "outbound.delivered": count_of(t.delivered),
        "outbound.waiting": count_of(t.waiting),
        "outbound.reached": count_of(t.reached),
        "outbound.interested": count_of(t.interested),
        "outbound.converted": count_of(t.converted),
        "outbound.opted_out": count_of(t.opted_out),
        "outbound.delivery_rate": ratio(t.delivered, attempted),
        "outbound.reach_rate": ratio(t.reached, t.delivered),
        "outbound.interest_rate": ratio(t.interested, t.delivered),
        "outbound.conversion_rate": ratio(t.converted, t.delivered),
        "outbound.opt_out_rate": ratio(t.opted_out, t.delivered),
    }


def _attempts(filters: Filters, campaign_ids: list[int] | None) -> QuerySet[ContactAttempt]:
    start, end = range_bounds(filters)
    attempts = ContactAttempt.objects.filter(created_at__gte=start, created_at__lt=end)
    if filters.channel:
        attempts = attempts.filter(channel=filters.channel)
    if filters.language:
        attempts = attempts.filter(customer__preferred_language=filters.language)
    if campaign_ids is not None:
        attempts = attempts.filter(campaign_id__in=campaign_ids)
    return attempts


def _holds(filters: Filters, campaign_ids: list[int] | None) -> QuerySet[ContactHold]:
    start, end = range_bounds(filters)
    holds = ContactHold.objects.filter(first_held_at__gte=start, first_held_at__lt=end)
    if filters.channel:
        holds = holds.filter(campaign__channel=filters.channel)
    if filters.language:
        holds = holds.filter(customer__preferred_language=filters.language)
    if campaign_ids is not None:
        holds = holds.filter(campaign_id__in=campaign_ids)
    return holds


@dataclass
class CampaignFacts:
    campaigns: dict[str, Campaign]
    by_campaign: dict[str, CampaignTally]
    by_channel: dict[str, CampaignTally]
    by_day: dict[date, CampaignTally]
    # Customers held back for a while (quiet hours), per reason, and per day first held.
    held: dict[str, int] = field(default_factory=dict)
    held_by_day: dict[date, dict[str, int]] = field(default_factory=dict)


def campaign_facts(filters: Filters) -> CampaignFacts:
    """The contact attempts made in the range (delivery channel, customer language and
    campaign filters), summed per campaign, per delivery channel and per day."""
    campaigns = Campaign.objects.order_by("code")
    if filters.campaign:
        campaigns = campaigns.filter(code=filters.campaign)
    by_id = {c.pk: c for c in campaigns}
    by_campaign: dict[str, CampaignTally] = defaultdict(CampaignTally)
    by_channel: dict[str, CampaignTally] = defaultdict(CampaignTally)
    by_day: dict[date, CampaignTally] = defaultdict(CampaignTally)
    # Grouped by the campaign's id: joining the campaign for its code doubles the time.
    grouped = (
        _attempts(filters, list(by_id) if filters.campaign else None)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "campaign_id", "channel", "status", "outcome", "skip_reason")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        for tally in (
            by_campaign[by_id[row["campaign_id"]].code],
            by_channel[row["channel"]],
            by_day[row["day"]],
        ):
            tally.add(row["status"], row["outcome"], row["skip_reason"], row["n"])
    # Per day and reason in the same query: the page sums the days, the series reads them.
    held: dict[str, int] = defaultdict(int)
    held_by_day: dict[date, dict[str, int]] = defaultdict(dict)
    for day, reason, n in (
        _holds(filters, list(by_id) if filters.campaign else None)
        .annotate(day=TruncDate("first_held_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day", "reason")
        .annotate(n=Count("id"))
        .order_by()
    ):
        held[reason] += n
        held_by_day[day][reason] = n
    return CampaignFacts(
        campaigns={c.code: c for c in by_id.values()},
        by_campaign=dict(by_campaign),
        by_channel=dict(by_channel),
        by_day=dict(by_day),
        held=dict(held),
        held_by_day=dict(held_by_day),
    )


CAMPAIGN_ATTEMPTS: dict[str, dict[str, str]] = {
    "outbound.targeted": {},
    "outbound.attempted": {"status__in": "sent,failed,queued"},
    "outbound.delivered": {"status__exact": "sent"},
    "outbound.waiting": {"status__exact": "queued"},
    "outbound.reached": {
        "status__exact": "sent",
        "outcome__in": "reached,interested,converted,opted_out",
    },
    "outbound.interested": {"status__exact": "sent", "outcome__in": "interested,converted"},
    "outbound.converted": {"status__exact": "sent", "outcome__exact": "converted"},
    "outbound.opted_out": {"status__exact": "sent", "outcome__exact": "opted_out"},
    "outbound.suppressed": {"status__exact": "skipped"},
    "outbound.held_back": {"status__exact": "skipped"},
}
CAMPAIGN_ATTEMPTS["outbound.delivery_rate"] = CAMPAIGN_ATTEMPTS["outbound.delivered"]
CAMPAIGN_ATTEMPTS["outbound.reach_rate"] = CAMPAIGN_ATTEMPTS["outbound.reached"]
CAMPAIGN_ATTEMPTS["outbound.interest_rate"] = CAMPAIGN_ATTEMPTS["outbound.interested"]
CAMPAIGN_ATTEMPTS["outbound.conversion_rate"] = CAMPAIGN_ATTEMPTS["outbound.converted"]
CAMPAIGN_ATTEMPTS["outbound.opt_out_rate"] = CAMPAIGN_ATTEMPTS["outbound.opted_out"]
CAMPAIGN_ATTEMPTS["outbound.conversion_per_channel"] = CAMPAIGN_ATTEMPTS["outbound.converted"]


def _campaign_link(code: str, filters: Filters, facts: CampaignFacts, **where: Any) -> str:
    params: dict[str, Any] = dict(CAMPAIGN_ATTEMPTS[code])
    # The page's figures are the filtered campaign's: so are the records behind them.
    if filters.campaign and filters.campaign in facts.campaigns:
        params["campaign__id__exact"] = facts.campaigns[filters.campaign].pk
    if filters.channel:
        params["channel__exact"] = filters.channel
    params.update(where)
    return admin_list("outbound_contactattempt", filters, "created_at", **params)


def _hold_link(filters: Filters, facts: CampaignFacts, reason: str) -> str:
    params: dict[str, Any] = {"reason__exact": reason}
    if filters.campaign and filters.campaign in facts.campaigns:
        params["campaign__id__exact"] = facts.campaigns[filters.campaign].pk
    if filters.channel:
        params["campaign__channel__exact"] = filters.channel
    return admin_list("outbound_contacthold", filters, "first_held_at", **params)


def _held_back_rows(
    kpi: RecordKpi,
    filters: Filters,
    facts: CampaignFacts,
    held: dict[str, int],
    suppressed: dict[str, int],
) -> list[dict[str, Any]]:
    """Quiet-hours holds first, then the suppressions for good, each linked to its records."""
    counts = [(reason, n, _hold_link(filters, facts, reason)) for reason, n in sorted(held.items())]
    counts += [
        (reason, n, _campaign_link(kpi.code, filters, facts, skip_reason__exact=reason))
        for reason, n in sorted(suppressed.items(), key=lambda i: (-i[1], i[0]))
    ]
    return [breakdown_row(reason, count_of(n), kpi_defs.COUNT, link) for reason, n, link in counts]


def _held_back_row(
    kpi: RecordKpi, filters: Filters, facts: CampaignFacts, total: CampaignTally
) -> dict[str, Any]:
    breakdown = _held_back_rows(kpi, filters, facts, facts.held, total.suppressed)
    row = kpi_row(kpi, count_of(sum(r["numerator"] for r in breakdown)), "")
    row["breakdown"] = breakdown
    return row


def held_back_series(kpi: RecordKpi, filters: Filters, facts: CampaignFacts) -> dict[str, Any]:
    """Held back day by day: quiet-hours holds on the day first held, suppressions on the day
    of the run, each reason below the day's total and linked to that day's records (as the
    range figure's reasons are to the range's)."""
    points = []
    for day in filters.days():
        tally = facts.by_day.get(day)
        breakdown = _held_back_rows(
            kpi,
            replace(filters, since=day, until=day),
            facts,
            facts.held_by_day.get(day, {}),
            tally.suppressed if tally else {},
        )
        total = sum(r["numerator"] for r in breakdown)
        points.append(
            {
                "day": day.isoformat(),
                "value": float(total),
                "numerator": total,
                "denominator": 0,
                "link": "",
                "breakdown": breakdown,
            }
        )
    return {"kpi": kpi.code, "name": str(kpi.name), "measure": kpi.measure, "points": points}


def campaign_report(filters: Filters, facts: CampaignFacts | None = None) -> dict[str, Any]:
    """The outbound page: every campaign KPI over the range, per campaign below it."""
    facts = facts or campaign_facts(filters)
    total = CampaignTally()
    for tally in facts.by_campaign.values():
        total.merge(tally)
    totals = campaign_values(total)
    per_campaign = {
        code: campaign_values(facts.by_campaign.get(code, CampaignTally()))
        for code in facts.campaigns
    }
    rows: list[dict[str, Any]] = []
    for kpi in CAMPAIGN_KPIS:
        if kpi.code == "outbound.held_back":
            rows.append(_held_back_row(kpi, filters, facts, total))
            continue
        if kpi.code == "outbound.suppressed":
            suppressed = sum(total.suppressed.values())
            link = _campaign_link(kpi.code, filters, facts)
            row = kpi_row(kpi, ratio(suppressed, total.targeted), link)
            row["breakdown"] = [
                breakdown_row(
                    reason,
                    ratio(n, total.targeted),
                    kpi_defs.BREAKDOWN,
                    _campaign_link(kpi.code, filters, facts, skip_reason__exact=reason),
                )
                for reason, n in sorted(total.suppressed.items(), key=lambda i: (-i[1], i[0]))
            ]
            rows.append(row)
            continue
        if kpi.code == "outbound.conversion_per_channel":
            link = _campaign_link(kpi.code, filters, facts)
            row = kpi_row(kpi, totals["outbound.conversion_rate"], link)
            row["value"] = None
            row["breakdown"] = [
                breakdown_row(
                    channel,
                    campaign_values(tally)["outbound.conversion_rate"],
                    kpi_defs.RATIO,
                    _campaign_link(kpi.code, filters, facts, channel__exact=channel),
                )
                for channel, tally in sorted(facts.by_channel.items())
            ]
            rows.append(row)
            continue
        row = kpi_row(kpi, totals[kpi.code], _campaign_link(kpi.code, filters, facts))
        row["breakdown"] = [
            breakdown_row(
                code,
                per_campaign[code][kpi.code],
                kpi.measure,
                _campaign_link(kpi.code, filters, facts, campaign__id__exact=campaign.pk),
                label=f"{campaign.name} ({code}, {campaign.channel})",
            )
            for code, campaign in facts.campaigns.items()
        ]
        rows.append(row)
    trend = next(k for k in CAMPAIGN_KPIS if k.code == CAMPAIGN_TREND)
    return {
        "page": OUTBOUND_PAGE,
        "title": str(_("Outbound campaigns")),
        "filters": filters.as_query(),
        "sessions": None,
        "kpis": rows,
        "trend": series(trend, filters, facts.by_day, campaign_values),
    }
