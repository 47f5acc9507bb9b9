"""The contact-centre page: routing queues' figures from the append-only `RoutingEvent` rows
of the range (the counts of `agentrouting.selectors.queue_figures`), per queue and per day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.agentrouting.models import QueueEntry, RoutingEvent, RoutingQueue
from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.contact_centre.common import (
    Figure3,
    admin_list,
    breakdown_row,
    count_of,
    kpi_row,
    percentile,
    range_bounds,
    ratio,
    series,
)
from scenarios.analytics.contact_centre.definitions import QUEUE_KPIS, QUEUE_TREND
from scenarios.analytics.selectors import CONTACT_PAGE, Filters


@dataclass
class QueueTally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    transfers: int = 0
    overflows: int = 0
    waiting_now: int = 0
    waits: list[int] = field(default_factory=list)
    sla_met: int = 0

    def merge(self, other: QueueTally) -> None:
        for name in ("offered", "answered", "abandoned", "transfers", "overflows", "waiting_now"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.waits.extend(other.waits)
        self.sla_met += other.sla_met


def queue_values(t: QueueTally) -> dict[str, Figure3]:
    """Each queue KPI's (value, numerator, denominator) for one tally."""
    answered_or_abandoned = t.answered + t.abandoned
    return {
        "contact_centre.offered": count_of(t.offered),
        "contact_centre.answered": count_of(t.answered),
        "contact_centre.waiting_now": count_of(t.waiting_now),
        "contact_centre.abandoned": count_of(t.abandoned),
        "contact_centre.abandon_rate": ratio(t.abandoned, answered_or_abandoned),
        "contact_centre.answer_seconds_avg": (
            sum(t.waits) / len(t.waits) if t.waits else None,
            sum(t.waits),
            len(t.waits),
        ),
        "contact_centre.answer_seconds_p90": (percentile(t.waits, 0.9), len(t.waits), None),
        "contact_centre.sla_met": ratio(t.sla_met, len(t.waits)),
        "contact_centre.transfers": count_of(t.transfers),
        "contact_centre.overflows": count_of(t.overflows),
    }


def _session_dimensions(filters: Filters, prefix: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if filters.channel:
        found[f"{prefix}channel"] = filters.channel
    if filters.language:
        found[f"{prefix}language"] = filters.language
    if filters.device_id is not None:
        found[f"{prefix}device_id"] = filters.device_id
    if filters.branch_id is not None:
        found[f"{prefix}device__branch_id"] = filters.branch_id
    return found


def _local_day() -> TruncDate:
    return TruncDate("at", tzinfo=timezone.get_current_timezone())


@dataclass
class QueueFacts:
    queues: dict[str, RoutingQueue]
    by_queue: dict[str, QueueTally]
    by_day: dict[date, QueueTally]
    by_agent: dict[tuple[int, str], int]  # (user id, username): answers


def queue_facts(filters: Filters) -> QueueFacts:
    """The routing events of the range (sessions filtered by channel, language, branch,
    device), summed per queue and per day over the chosen queue (or all of them)."""
    queues = {q.code: q for q in RoutingQueue.objects.order_by("code")}
    chosen = {filters.queue} if filters.queue else set(queues)
    start, end = range_bounds(filters)
    events = RoutingEvent.objects.filter(
        at__gte=start, at__lt=end, **_session_dimensions(filters, "entry__session__")
    )
    by_queue: dict[str, QueueTally] = defaultdict(QueueTally)
    by_day: dict[date, QueueTally] = defaultdict(QueueTally)
    fields: dict[str, str] = {
        RoutingEvent.Kind.QUEUED: "offered",
        RoutingEvent.Kind.ANSWERED: "answered",
        RoutingEvent.Kind.ABANDONED: "abandoned",
        RoutingEvent.Kind.TRANSFERRED: "transfers",
        RoutingEvent.Kind.OVERFLOWED: "overflows",
    }

    def bump(code: str, day: date, name: str, n: int) -> None:
        if code not in chosen:
            return
        for tally in (by_queue[code], by_day[day]):
            setattr(tally, name, getattr(tally, name) + n)

    grouped = (
        events.filter(kind__in=list(fields))
        .annotate(day=_local_day())
        .values("day", "queue__code", "kind")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        bump(row["queue__code"], row["day"], fields[row["kind"]], row["n"])
    # An overflow is offered again to the queue it moves to (the event names it in `to`).
    overflowed_in = (
        events.filter(kind=RoutingEvent.Kind.OVERFLOWED)
        .annotate(day=_local_day(), to=KeyTextTransform("to", "detail"))
        .values("day", "to")
        .annotate(n=Count("id"))
    )
    for moved in overflowed_in:
        if moved["to"]:
            bump(moved["to"], moved["day"], "offered", moved["n"])
    answers = (
        events.filter(kind=RoutingEvent.Kind.ANSWERED, waited_seconds__isnull=False)
        .annotate(day=_local_day())
        .values_list("day", "queue__code", "waited_seconds", "queue__sla_seconds")
    )
    for day, code, waited, sla in answers:
        if code not in chosen or waited is None:
            continue
        for tally in (by_queue[code], by_day[day]):
            tally.waits.append(int(waited))
            tally.sla_met += 1 if waited <= sla else 0
    waiting = (
        QueueEntry.objects.filter(
            state=QueueEntry.State.WAITING, **_session_dimensions(filters, "session__")
        )
        .values("queue__code")
        .annotate(n=Count("id"))
    )
    for now in waiting:
        if now["queue__code"] in chosen:
            by_queue[now["queue__code"]].waiting_now += now["n"]
    by_agent: dict[tuple[int, str], int] = {}
    agents = (
        events.filter(
            kind=RoutingEvent.Kind.ANSWERED, agent__isnull=False, queue__code__in=list(chosen)
        )
        .values("agent_id", "agent__username")
        .annotate(n=Count("id"))
    )
    for answered in agents:
        by_agent[(answered["agent_id"], answered["agent__username"])] = answered["n"]
    return QueueFacts(
        queues={code: q for code, q in queues.items() if code in chosen},
        by_queue=dict(by_queue),
        by_day=dict(by_day),
        by_agent=by_agent,
    )


QUEUE_EVENT_KINDS = {
    "contact_centre.answered": "answered",
    "contact_centre.abandoned": "abandoned",
    "contact_centre.abandon_rate": "abandoned",
    "contact_centre.answer_seconds_avg": "answered",
    "contact_centre.answer_seconds_p90": "answered",
    "contact_centre.sla_met": "answered",
    "contact_centre.transfers": "transferred",
    "contact_centre.overflows": "overflowed",
}


def _queue_link(code: str, filters: Filters, queue: RoutingQueue | None) -> str:
    where = {"queue__id__exact": queue.pk} if queue is not None else {}
    if code == "contact_centre.waiting_now":
        query = urlencode({"state__exact": QueueEntry.State.WAITING, **where})
        return f"{reverse('admin:agentrouting_queueentry_changelist')}?{query}"
    if code == "contact_centre.offered":
        return admin_list("agentrouting_queueentry", filters, "entered_at", **where)
    return admin_list(
        "agentrouting_routingevent", filters, "at", kind__exact=QUEUE_EVENT_KINDS[code], **where
    )


def queue_report(filters: Filters, facts: QueueFacts | None = None) -> dict[str, Any]:
    """The contact-centre page: every queue KPI over the range, per queue below it."""
    facts = facts or queue_facts(filters)
    total = QueueTally()
    for tally in facts.by_queue.values():
        total.merge(tally)
    totals = queue_values(total)
    per_queue = {
        code: queue_values(facts.by_queue.get(code, QueueTally())) for code in facts.queues
    }
    rows: list[dict[str, Any]] = []
    for kpi in QUEUE_KPIS:
        if kpi.code == "contact_centre.answered_per_agent":
            answered = sum(facts.by_agent.values())
            row = kpi_row(kpi, (None, answered, answered), "")
            row["breakdown"] = [
                breakdown_row(
                    username,
                    ratio(n, answered),
                    kpi_defs.BREAKDOWN,
                    admin_list(
                        "agentrouting_routingevent",
                        filters,
                        "at",
                        kind__exact="answered",
                        agent__id__exact=agent_id,
                    ),
                )
                for (agent_id, username), n in sorted(
                    facts.by_agent.items(), key=lambda item: (-item[1], item[0][1])
                )
            ][:20]
            rows.append(row)
            continue
        row = kpi_row(kpi, totals[kpi.code], _queue_link(kpi.code, filters, None))
        row["breakdown"] = [
            breakdown_row(
                code,
                per_queue[code][kpi.code],
                kpi.measure,
                _queue_link(kpi.code, filters, queue),
                label=f"{queue.name} ({code})",
            )
            for code, queue in facts.queues.items()
        ]
        rows.append(row)
    trend = next(k for k in QUEUE_KPIS if k.code == QUEUE_TREND)
    return {
        "page": CONTACT_PAGE,
        "title": str(_("Contact centre")),
        "filters": filters.as_query(),
        "sessions": None,
        "kpis": rows,
        "trend": series(trend, filters, facts.by_day, queue_values),
    }
