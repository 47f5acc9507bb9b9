"""The analytics roll-ups: each day's KPI sums, stored so a year of dashboards stays fast."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from scenarios.analytics.models import DailyRollup, RollupDay
from scenarios.analytics.selectors import day_bounds, rollup_figures, session_facts
from scenarios.models import DialogueSession

SCHEDULE_NAME = "analytics: daily KPI roll-ups"
# Sessions keep recording for a while after they start (a rating, a takeover, a late upload):
# the schedule recomputes the last few days, not only yesterday.
RECENT_DAYS = 3


@transaction.atomic
def rollup_day(day: date) -> int:
    """Recompute one day's roll-up from its sessions' events (idempotent); the rows written."""
    start, end = day_bounds(day)
    sessions = DialogueSession.objects.filter(created_at__gte=start, created_at__lt=end)
    facts = session_facts(sessions)
    rows = [
        DailyRollup(
            day=day,
            kpi=kpi,
            key=key,
            total=total,
            channel=channel,
            language=language,
            device_id=device_id,
            branch_id=branch_id,
            numerator=figure.numerator,
            denominator=figure.denominator,
            events=figure.events,
            value_sum=figure.value_sum,
            value_count=figure.value_count,
            histogram=figure.histogram,
        )
        for (kpi, key, total, channel, language, device_id, branch_id), figure in rollup_figures(
            facts
        ).items()
    ]
    DailyRollup.objects.filter(day=day).delete()
    DailyRollup.objects.bulk_create(rows, batch_size=2000)
    RollupDay.objects.update_or_create(
        day=day, defaults={"sessions": len(facts), "computed_at": timezone.now()}
    )
    return len(rows)


def rollup_range(since: date, until: date) -> int:
    """Roll up every day from `since` to `until` (inclusive), each in its own transaction."""
    written = 0
    day = since
    while day <= until:
        written += rollup_day(day)
        day += timedelta(days=1)
    return written


def rollup_recent(days: int = RECENT_DAYS) -> int:
    """The schedule's work: the last `days` full days (today stays live on the pages)."""
    today = timezone.localdate()
    return rollup_range(today - timedelta(days=days), today - timedelta(days=1))
