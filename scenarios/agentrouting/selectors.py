"""Reads of routing: an agent's inbox, who may see a session, and the queue figures.

`queue_figures(date_from, date_to, queue=None)` is what the analytics dashboard reads; see
its docstring for the shape.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db.models import Q
from django.utils import timezone

from scenarios.agentrouting.models import (
    AgentProfile,
    HandlingPeriod,
    PresencePeriod,
    QueueEntry,
    RoutingEvent,
    RoutingQueue,
)
from scenarios.agentrouting.services import is_supervisor, routing_enabled


def _entry_fields(entry: QueueEntry | None, user: Any) -> dict[str, Any]:
    if entry is None:
        return {"queue": None, "priority": None, "routed_to": None, "transfer_to": None}
    return {
        "queue": entry.queue.code,
        "priority": entry.priority,
        "routed_to": entry.agent.get_username() if entry.agent_id and entry.agent else None,
        "transfer_to": entry.transfer_to.get_username()
        if entry.transfer_to_id and entry.transfer_to
        else None,
        "transfer_note": entry.transfer_note
        if entry.transfer_to_id == getattr(user, "pk", None)
        else "",
        "sla_breached": entry.sla_breached,
    }


def _visible_filter(user: Any) -> Q:
    """Entries routed to the agent, offered to them in a transfer, or waiting unassigned in a
    queue they serve (nobody with room: whoever frees up first may pick it up)."""
    return (
        Q(agent_id=user.pk)
        | Q(transfer_to_id=user.pk)
        | Q(state=QueueEntry.State.WAITING, queue__agents__user_id=user.pk)
    )


def session_visible_to(user: Any, session_id: Any) -> bool:
    if not routing_enabled() or is_supervisor(user):
        return True
    return (
        QueueEntry.objects.filter(session_id=session_id, state__in=QueueEntry.OPEN_STATES)
        .filter(_visible_filter(user))
        .exists()
    )


def inbox_for(user: Any) -> list[dict[str, Any]]:
    """The console's session list for `user`: with routing on, only what is routed to them."""
    from scenarios.models import DialogueSession
    from scenarios.selectors import live_session_row, live_sessions

    if not routing_enabled() or is_supervisor(user):
        rows = live_sessions()
        by_session = {
            str(e.session_id): e
            for e in QueueEntry.objects.filter(state__in=QueueEntry.OPEN_STATES).select_related(
                "queue", "agent", "transfer_to"
            )
        }
        return [{**row, **_entry_fields(by_session.get(row["id"]), user)} for row in rows]
    entries = list(
        QueueEntry.objects.filter(state__in=QueueEntry.OPEN_STATES)
        .filter(_visible_filter(user))
        .select_related("queue", "agent", "transfer_to")
        .distinct()
    )
    sessions = {
        s.pk: s
        for s in DialogueSession.objects.filter(
            pk__in=[e.session_id for e in entries]
        ).select_related("flow", "device__branch")
    }
    rows = [
        {**live_session_row(sessions[e.session_id]), **_entry_fields(e, user)}
        for e in entries
        if e.session_id in sessions
    ]
    return sorted(rows, key=lambda r: (-(r["priority"] or 0), -(r["waiting_seconds"] or 0)))


def inbox_row(user: Any, session_id: Any) -> dict[str, Any] | None:
    """One inbox row of the session for `user`, or None when they must not see it."""
    from scenarios.selectors import live_session_row_by_id

    if not session_visible_to(user, session_id):
        return None
    row = live_session_row_by_id(session_id)
    if row is None:
        return None
    entry = (
        QueueEntry.objects.filter(session_id=session_id, state__in=QueueEntry.OPEN_STATES)
        .select_related("queue", "agent", "transfer_to")
        .first()
    )
    return {**row, **_entry_fields(entry, user)}


def inbox_overlay(user: Any, session_id: Any) -> dict[str, Any] | None:
    """The routing fields to add to a console row of the session for `user`, or None when
    the session is not theirs to see (the row itself is computed once for every console)."""
    if not session_visible_to(user, session_id):
        return None
    entry = (
        QueueEntry.objects.filter(session_id=session_id, state__in=QueueEntry.OPEN_STATES)
        .select_related("queue", "agent", "transfer_to")
        .first()
    )
    return _entry_fields(entry, user)


def agent_presence(user: Any) -> dict[str, Any]:
    profile = AgentProfile.objects.filter(user_id=user.pk).first()
    if profile is None:
        return {"presence": AgentProfile.Presence.OFFLINE, "capacity": 0, "queues": []}
    return {
        "presence": profile.presence,
        "capacity": profile.capacity,
        "queues": list(profile.queues.values_list("code", flat=True)),
    }


def _bounds(date_from: date | datetime, date_to: date | datetime) -> tuple[datetime, datetime]:
    def start(value: date | datetime) -> datetime:
        if isinstance(value, datetime):
            return value
        return timezone.make_aware(datetime.combine(value, time.min))

    # A date as the end means the whole of that day.
    end = date_to if isinstance(date_to, datetime) else start(date_to + timedelta(days=1))
    return start(date_from), end


def _percentile(values: list[int], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return float(ordered[index])


def queue_figures(
    date_from: date | datetime, date_to: date | datetime, queue: str | None = None
) -> list[dict[str, Any]]:
    """Per routing queue, for the dashboard: one dict per queue (code order), with

    - `queue`, `name`
    - `entered`: sessions that entered the queue (queued there or overflowed into it)
    - `answered`, `abandoned`, `overflowed_out`, `transferred`, `sla_breached`
    - `abandon_rate`: abandoned / (answered + abandoned), None when neither happened
    - `answer_seconds_avg`, `answer_seconds_median`, `answer_seconds_p90`: time to answer
      (from entering routing to an agent taking over), None without answers
    - `sla_met_rate`: share of answers within the queue's `sla_seconds`
    - `waiting_now`: entries waiting at this moment (not bounded by the dates)

    `date_from`/`date_to` are dates (whole days, local time, inclusive) or datetimes
    (half-open [from, to)). Computed from `RoutingEvent` rows, so it reads history, not state.
    """
    start, end = _bounds(date_from, date_to)
    queues = RoutingQueue.objects.order_by("code")
    if queue:
        queues = queues.filter(code=queue)
    events = RoutingEvent.objects.filter(at__gte=start, at__lt=end)
    overflow_in: dict[str, int] = {}
    for detail in events.filter(kind=RoutingEvent.Kind.OVERFLOWED).values_list("detail", flat=True):
        target = (detail or {}).get("to")
        if target:
            overflow_in[target] = overflow_in.get(target, 0) + 1
    figures = []
    for q in queues:
        mine = events.filter(queue=q)
        kinds: dict[str, int] = {}
        for kind in mine.values_list("kind", flat=True):
            kinds[kind] = kinds.get(kind, 0) + 1
        answers = [
            int(w)
            for w in mine.filter(kind=RoutingEvent.Kind.ANSWERED).values_list(
                "waited_seconds", flat=True
            )
            if w is not None
        ]
        answered, abandoned = kinds.get("answered", 0), kinds.get("abandoned", 0)
        figures.append(
            {
                "queue": q.code,
                "name": q.name,
                "entered": kinds.get("queued", 0) + overflow_in.get(q.code, 0),
                "answered": answered,
                "abandoned": abandoned,
                "overflowed_out": kinds.get("overflowed", 0),
                "transferred": kinds.get("transferred", 0),
                "sla_breached": kinds.get("sla_breached", 0),
                "abandon_rate": (
                    round(abandoned / (answered + abandoned), 4) if answered + abandoned else None
                ),
                "answer_seconds_avg": round(sum(answers) / len(answers), 1) if answers else None,
                "answer_seconds_median": float(median(answers)) if answers else None,
                "answer_seconds_p90": _percentile(answers, 0.9),
                "sla_met_rate": (
                    round(sum(1 for w in answers if w <= q.sla_seconds) / len(answers), 4)
                    if answers
                    else None
                ),
                "waiting_now": QueueEntry.objects.filter(
                    queue=q, state=QueueEntry.State.WAITING
                ).count(),
            }
        )
    return figures


# ----------------------------------------------------------------------------- occupancy


@dataclass(frozen=True)
class Occupancy:
    """An agent's seconds in a range: handling conversations, and logged in to take them."""

    handling: int
    staffed: int

    @property
    def share(self) -> float | None:
        return self.handling / self.staffed if self.staffed else None


Interval = tuple[datetime, datetime]


def _merged(intervals: list[Interval]) -> list[Interval]:
    """The stretches covered by at least one interval, in order and apart from each other."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _union_seconds(intervals: list[Interval]) -> int:
    """Seconds covered by at least one interval (two conversations at once count once)."""
    return round(sum((end - start).total_seconds() for start, end in _merged(intervals)))


def _agent_intervals(
    start: datetime, stop: datetime
) -> tuple[dict[Any, list[Interval]], dict[Any, list[Interval]]]:
    """Per agent: the online and the handling intervals overlapping [start, stop), clipped to
    it (two queries). A period still open runs to `stop`; a handling period left open ends
    with its queue entry."""

    def clip(begin: datetime, finish: datetime | None) -> Interval | None:
        first, last = max(begin, start), min(finish or stop, stop)
        return (first, last) if last > first else None

    online: dict[Any, list[Interval]] = {}
    presence = PresencePeriod.objects.filter(
        presence=AgentProfile.Presence.ONLINE, started_at__lt=stop
    ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
    for agent_id, began, ended in presence.values_list("agent_id", "started_at", "ended_at"):
        span = clip(began, ended)
        if span:
            online.setdefault(agent_id, []).append(span)
    handling: dict[Any, list[Interval]] = {}
    periods = (
        HandlingPeriod.objects.filter(started_at__lt=stop)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list("agent_id", "started_at", "ended_at", "entry__ended_at")
    )
    for agent_id, began, ended, entry_ended in periods:
        span = clip(began, ended or entry_ended)
        if span:
            handling.setdefault(agent_id, []).append(span)
    return online, handling


def agent_occupancy(
    *, start: datetime, end: datetime, now: datetime | None = None
) -> dict[Any, Occupancy]:
    """Per agent (user id): seconds handling routed conversations, and seconds staffed, in
    [start, end).

    Handling: at least one conversation routed to the agent taken and not yet handed back or
    transferred on (`HandlingPeriod`; one still open ends when its entry ended, or now).
    Staffed: online (`PresencePeriod`), or handling while away. Occupancy = handling / staffed:
    away time without a conversation (a break) and offline time do not count.
    """
    now = now or timezone.now()
    stop = min(end, now)
    if stop <= start:
        return {}
    online, handling = _agent_intervals(start, stop)
    return {
        agent_id: Occupancy(
            handling=_union_seconds(handling.get(agent_id, [])),
            staffed=_union_seconds(online.get(agent_id, []) + handling.get(agent_id, [])),
        )
        for agent_id in set(online) | set(handling)
    }


def agent_occupancy_by_day(
    *, first: date, last: date, now: datetime | None = None
) -> dict[date, dict[Any, Occupancy]]:
    """`agent_occupancy` of each local day from `first` to `last` (inclusive): {day: {agent
    id: Occupancy}}, only days and agents with staffed time.

    The intervals are read once for the whole range (two queries, whatever its length), merged
    per agent, and then cut at each local midnight (the current time zone, the bank's: a
    conversation from 23:30 to 00:30 is half on each day; a day of a DST change is 23 or 25
    hours). Merging before cutting gives each day the seconds the range figure counts for it.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    # Midnights as UTC instants: comparing aware datetimes of one zone ignores the UTC offset.
    bounds = [
        datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
        for day in [*days, last + timedelta(days=1)]
    ]
    stop = min(bounds[-1], now)
    if not days or stop <= bounds[0]:
        return {}
    online, handling = _agent_intervals(bounds[0], stop)
    seconds: dict[tuple[int, Any], list[float]] = {}  # (day index, agent): [handling, staffed]
    for agent_id in set(online) | set(handling):
        busy = handling.get(agent_id, [])
        for slot, intervals in ((0, busy), (1, online.get(agent_id, []) + busy)):
            for begin, end in _merged(intervals):
                index = bisect_right(bounds, begin) - 1
                while begin < end:
                    cut = min(end, bounds[index + 1])
                    tally = seconds.setdefault((index, agent_id), [0.0, 0.0])
                    tally[slot] += (cut - begin).total_seconds()
                    begin, index = cut, index + 1
    by_day: dict[date, dict[Any, Occupancy]] = {}
    for (index, agent_id), (busy_seconds, staffed_seconds) in seconds.items():
        if round(staffed_seconds):
            by_day.setdefault(days[index], {})[agent_id] = Occupancy(
                handling=round(busy_seconds), staffed=round(staffed_seconds)
            )
    return by_day
