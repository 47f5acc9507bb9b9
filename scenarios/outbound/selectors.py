"""Reads of outbound campaigns for staff and the analytics dashboard."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from scenarios.outbound.models import Campaign, ContactAttempt


def _bounds(date_from: date | datetime, date_to: date | datetime) -> tuple[datetime, datetime]:
    def start(value: date | datetime) -> datetime:
        if isinstance(value, datetime):
            return value
        return timezone.make_aware(datetime.combine(value, time.min))

    end = date_to if isinstance(date_to, datetime) else start(date_to + timedelta(days=1))
    return start(date_from), end


def campaign_figures(
    date_from: date | datetime, date_to: date | datetime, campaign: str | None = None
) -> list[dict[str, Any]]:
    """Per campaign, contacts made in the period (dates: whole local days, inclusive):

    `campaign`, `name`, `channel`, `status`, `contacted` (attempt rows), `sent`, `queued`
    (waiting in a channel's outbox to be delivered), `failed`,
    `skipped` ({reason: count}), `reached`, `interested`, `converted`, `opted_out` (each outcome
    counts the ones that got at least that far: a conversion was also reached and interested),
    and `reach_rate`, `conversion_rate` (of sent; None without sends).
    """
    start, end = _bounds(date_from, date_to)
    campaigns = Campaign.objects.order_by("code")
    if campaign:
        campaigns = campaigns.filter(code=campaign)
    rows = []
    for c in campaigns:
        attempts = ContactAttempt.objects.filter(
            campaign=c, created_at__gte=start, created_at__lt=end
        )
        by_status = dict(
            attempts.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
        )
        skipped = dict(
            attempts.filter(status="skipped")
            .values_list("skip_reason")
            .annotate(n=Count("pk"))
            .values_list("skip_reason", "n")
        )
        outcomes = dict(
            attempts.filter(status="sent")
            .values_list("outcome")
            .annotate(n=Count("pk"))
            .values_list("outcome", "n")
        )
        converted = outcomes.get("converted", 0)
        interested = outcomes.get("interested", 0) + converted
        reached = outcomes.get("reached", 0) + interested + outcomes.get("opted_out", 0)
        sent = by_status.get("sent", 0)
        rows.append(
            {
                "campaign": c.code,
                "name": c.name,
                "channel": c.channel,
                "status": c.status,
                "contacted": sum(by_status.values()),
                "sent": sent,
                "queued": by_status.get("queued", 0),
                "failed": by_status.get("failed", 0),
                "skipped": skipped,
                "reached": reached,
                "interested": interested,
                "converted": converted,
                "opted_out": outcomes.get("opted_out", 0),
                "reach_rate": round(reached / sent, 4) if sent else None,
                "conversion_rate": round(converted / sent, 4) if sent else None,
            }
        )
    return rows
