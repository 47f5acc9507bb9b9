"""The contact-centre page: routing queues' figures from the append-only `RoutingEvent` rows
of the range (the counts of `agentrouting.selectors.queue_figures`), per queue and per day."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.agentrouting.models import QueueEntry, RoutingEvent, RoutingQueue
from scenarios.agentrouting.selectors import Occupancy, agent_occupancy, agent_occupancy_by_day
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
from scenarios.analytics.contact_centre.definitions import QUEUE_KPIS, QUEUE_TREND, RecordKpi
from scenarios.analytics.selectors import CONTACT_PAGE, Filters


@dataclass
class QueueTally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    transfers: int = 0
    overflows: int = 0
    waiting_now: int = 0
    # Times to answer: their sum and count, those within the SLA, and {seconds: answers} for
    # the percentile (a handful of distinct values where there are thousands of answers).
    wait_sum: int = 0
    wait_count: int = 0
    sla_met: int = 0
    waits: dict[int, int] = field(default_factory=dict)

    def merge(self, other: QueueTally) -> None:
        for name in (
            "offered",
            "answered",
            "abandoned",
            "transfers",
            "overflows",
            "waiting_now",
            "wait_sum",
            "wait_count",
            "sla_met",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for seconds, n in other.waits.items():
            self.waits[seconds] = self.waits.get(seconds, 0) + n


def histogram_percentile(histogram: dict[int, int], share: float) -> float | None:
    """`percentile` of the values a {value: count} histogram holds, without expanding it."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = min(total - 1, max(0, round(share * (total - 1))))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen > rank:
            return float(value)
    return None  # unreachable: the ranks are within the total


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
            t.wait_sum / t.wait_count if t.wait_count else None,
            t.wait_sum,
            t.wait_count,
        ),
        "contact_centre.answer_seconds_p90": (
            histogram_percentile(t.waits, 0.9),
            t.wait_count,
            None,
        ),
        "contact_centre.sla_met": ratio(t.sla_met, t.wait_count),
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
    # (user id, username): seconds handling and staffed (not filtered: see the definition).
    occupancy: dict[tuple[int, str], Occupancy] = field(default_factory=dict)


KIND_FIELDS: dict[str, str] = {
    RoutingEvent.Kind.QUEUED: "offered",
    RoutingEvent.Kind.ANSWERED: "answered",
    RoutingEvent.Kind.ABANDONED: "abandoned",
    RoutingEvent.Kind.TRANSFERRED: "transfers",
    RoutingEvent.Kind.OVERFLOWED: "overflows",
}
# What the page's day-by-day chart (the abandon rate) needs; a series of another KPI asks
# for every figure per day (`daily=True`), which costs a second pass over the events.
TREND_KINDS = (RoutingEvent.Kind.ANSWERED, RoutingEvent.Kind.ABANDONED)


def queue_facts(filters: Filters, *, daily: bool = False) -> QueueFacts:
    """The routing events of the range (sessions filtered by channel, language, branch,
    device), summed per queue and per day over the chosen queue (or all of them). Per day:
    answers and abandons, or with `daily` every figure but the percentile and waiting now."""
    queues = {q.pk: q for q in RoutingQueue.objects.order_by("code")}
    codes = {q.code: pk for pk, q in queues.items()}
    chosen = {codes[filters.queue]} if filters.queue in codes else set()
    if not filters.queue:
        chosen = set(queues)
    start, end = range_bounds(filters)
    events = RoutingEvent.objects.filter(
        at__gte=start, at__lt=end, **_session_dimensions(filters, "entry__session__")
    )
    by_queue: dict[str, QueueTally] = defaultdict(QueueTally)
    by_day: dict[date, QueueTally] = defaultdict(QueueTally)
    # Grouped by the queue's id: joining the queue for its code doubles the time over a year.
    for row in (
        events.filter(kind__in=list(KIND_FIELDS)).values("queue_id", "kind").annotate(n=Count("id"))
    ):
        if row["queue_id"] in chosen:
            tally = by_queue[queues[row["queue_id"]].code]
            name = KIND_FIELDS[row["kind"]]
            setattr(tally, name, getattr(tally, name) + row["n"])
    # An overflow is offered again to the queue it moves to (the event names it in `to`).
    overflowed_in = (
        events.filter(kind=RoutingEvent.Kind.OVERFLOWED)
        .annotate(to=KeyTextTransform("to", "detail"))
        .values("to")
        .annotate(n=Count("id"))
    )
    for moved in overflowed_in:
        if moved["to"] in codes and codes[moved["to"]] in chosen:
            by_queue[moved["to"]].offered += moved["n"]
    answers = (
        events.filter(kind=RoutingEvent.Kind.ANSWERED, waited_seconds__isnull=False)
        .values("queue_id", "waited_seconds")
        .annotate(n=Count("id"))
    )
    for answer in answers:
        waited = answer["waited_seconds"]
        if answer["queue_id"] not in chosen or waited is None:
            continue
        queue, n = queues[answer["queue_id"]], answer["n"]
        tally = by_queue[queue.code]
        tally.waits[waited] = tally.waits.get(waited, 0) + n
        tally.wait_sum += waited * n
        tally.wait_count += n
        tally.sla_met += n if waited <= queue.sla_seconds else 0
    mine = events.filter(queue_id__in=chosen) if filters.queue else events
    if daily:
        _fill_days(by_day, events, mine, codes, chosen)
    else:
        per_day = mine.annotate(day=_local_day()).filter(kind__in=TREND_KINDS)
        for daily_row in per_day.values("day", "kind").annotate(n=Count("id")):
            tally = by_day[daily_row["day"]]
            name = KIND_FIELDS[daily_row["kind"]]
            setattr(tally, name, getattr(tally, name) + daily_row["n"])
    waiting = (
        QueueEntry.objects.filter(
            state=QueueEntry.State.WAITING, **_session_dimensions(filters, "session__")
        )
        .values("queue_id")
        .annotate(n=Count("id"))
    )
    for now in waiting:
        if now["queue_id"] in chosen:
            by_queue[queues[now["queue_id"]].code].waiting_now += now["n"]
    answered_by = dict(
        mine.filter(kind=RoutingEvent.Kind.ANSWERED, agent__isnull=False)
        .values_list("agent_id")
        .annotate(n=Count("id"))
        .values_list("agent_id", "n")
    )
    occupancy = agent_occupancy(start=start, end=end)
    names = dict(
        get_user_model()
        .objects.filter(pk__in=list(answered_by) + list(occupancy))
        .values_list("pk", get_user_model().USERNAME_FIELD)
    )
    return QueueFacts(
        queues={q.code: q for pk, q in queues.items() if pk in chosen},
        by_queue=dict(by_queue),
        by_day=dict(by_day),
        by_agent={(pk, str(names.get(pk, pk))): n for pk, n in answered_by.items()},
        occupancy={(pk, str(names.get(pk, pk))): o for pk, o in occupancy.items()},
    )


def _fill_days(
    by_day: dict[date, QueueTally],
    events: QuerySet[RoutingEvent],
    mine: QuerySet[RoutingEvent],
    codes: dict[str, int],
    chosen: set[int],
) -> None:
    """Every figure of `queue_values` per day but the percentile and waiting now."""
    per_day = mine.annotate(day=_local_day())
    for row in (
        per_day.filter(kind__in=list(KIND_FIELDS)).values("day", "kind").annotate(n=Count("id"))
    ):
        tally = by_day[row["day"]]
        name = KIND_FIELDS[row["kind"]]
        setattr(tally, name, getattr(tally, name) + row["n"])
    # Overflows into the chosen queues are written at the queue they left.
    moved_in = (
        events.filter(kind=RoutingEvent.Kind.OVERFLOWED)
        .annotate(day=_local_day(), to=KeyTextTransform("to", "detail"))
        .values("day", "to")
        .annotate(n=Count("id"))
    )
    for moved in moved_in:
        if moved["to"] in codes and codes[moved["to"]] in chosen:
            by_day[moved["day"]].offered += moved["n"]
    answers = (
        per_day.filter(kind=RoutingEvent.Kind.ANSWERED, waited_seconds__isnull=False)
        .values("day")
        .annotate(
            total=Sum("waited_seconds"),
            n=Count("id"),
            met=Count("id", filter=Q(waited_seconds__lte=F("queue__sla_seconds"))),
        )
    )
    for answer in answers:
        tally = by_day[answer["day"]]
        tally.wait_sum += answer["total"] or 0
        tally.wait_count += answer["n"]
        tally.sla_met += answer["met"]


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


def _occupancy_row(kpi: RecordKpi, filters: Filters, facts: QueueFacts) -> dict[str, Any]:
    """Over all agents (handling seconds / staffed seconds summed), then each agent, busiest
    first; each links to the agent's handling periods."""
    handling = sum(o.handling for o in facts.occupancy.values())
    staffed = sum(o.staffed for o in facts.occupancy.values())
    link = admin_list("agentrouting_handlingperiod", filters, "started_at")
    row = kpi_row(kpi, ratio(handling, staffed), link)
    row["breakdown"] = [
        breakdown_row(
            username,
            ratio(o.handling, o.staffed),
            kpi_defs.RATIO,
            admin_list(
                "agentrouting_handlingperiod", filters, "started_at", agent__id__exact=agent_id
            ),
        )
        for (agent_id, username), o in sorted(
            facts.occupancy.items(), key=lambda item: (-(item[1].share or 0), item[0][1])
        )
    ][:20]
    return row


def _agent_names(agent_ids: set[Any]) -> dict[Any, str]:
    user_model = get_user_model()
    found = user_model.objects.filter(pk__in=agent_ids).values_list("pk", user_model.USERNAME_FIELD)
    return {pk: str(name) for pk, name in found}


def occupancy_series(kpi: RecordKpi, filters: Filters) -> dict[str, Any]:
    """Occupancy day by day: handling / staffed seconds of each local day over all agents
    (periods across midnight split between their days, open ones counted to now), with each
    agent's figure below it, busiest first; no value on a day nobody was staffed. Each links
    to the handling periods started that day (the agent's, below). Not filtered by queue,
    channel or language, as the range figure (two queries: seconds per day and agent, names)."""
    by_day = agent_occupancy_by_day(first=filters.since, last=filters.until)
    names = _agent_names({agent for agents in by_day.values() for agent in agents})
    points = []
    for day in filters.days():
        agents = by_day.get(day, {})
        one_day = replace(filters, since=day, until=day)
        handling = sum(o.handling for o in agents.values())
        staffed = sum(o.staffed for o in agents.values())
        value, numerator, denominator = ratio(handling, staffed)
        link = admin_list("agentrouting_handlingperiod", one_day, "started_at")
        ranked = sorted(
            agents.items(), key=lambda item: (-(item[1].share or 0), names.get(item[0], ""))
        )
        points.append(
            {
                "day": day.isoformat(),
                "value": value,
                "numerator": numerator,
                "denominator": denominator or 0,
                "link": link,
                "breakdown": [
                    breakdown_row(
                        names.get(agent_id, str(agent_id)),
                        ratio(o.handling, o.staffed),
                        kpi_defs.RATIO,
                        admin_list(
                            "agentrouting_handlingperiod",
                            one_day,
                            "started_at",
                            agent__id__exact=agent_id,
                        ),
                    )
                    for agent_id, o in ranked[:20]
                ],
            }
        )
    return {"kpi": kpi.code, "name": str(kpi.name), "measure": kpi.measure, "points": points}


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
        if kpi.code == "contact_centre.occupancy":
            rows.append(_occupancy_row(kpi, filters, facts))
            continue
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
