"""Reads of routing: an agent's inbox, who may see a session, and the queue figures.

`queue_figures(date_from, date_to, queue=None)` is what the analytics dashboard reads; see
its docstring for the shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django.db import connection
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


# The agents' intervals are merged and measured in the database: a year is some twenty
# thousand periods, and loading each one's timestamps into Python cost more than the page's
# other queries together (bench_analytics). `spans`: the online and handling periods clipped to
# [start, stop) (one still open runs to stop; a handling period left open ends with its queue
# entry); `stretches`: their union per agent, of the handling ones and of both (two
# conversations at once count once; handling while away is staffed).
_STRETCHES = """
WITH spans AS (
    SELECT h.agent_id, TRUE AS busy,
           tstzrange(GREATEST(h.started_at, %(start)s),
                     LEAST(COALESCE(h.ended_at, e.ended_at, %(stop)s), %(stop)s)) AS span
    FROM {handling} h JOIN {entry} e ON e.id = h.entry_id
    WHERE h.started_at < %(stop)s
      AND LEAST(COALESCE(h.ended_at, e.ended_at, %(stop)s), %(stop)s)
          > GREATEST(h.started_at, %(start)s)
    UNION ALL
    SELECT p.agent_id, FALSE,
           tstzrange(GREATEST(p.started_at, %(start)s),
                     LEAST(COALESCE(p.ended_at, %(stop)s), %(stop)s))
    FROM {presence} p
    WHERE p.presence = %(online)s AND p.started_at < %(stop)s
      AND LEAST(COALESCE(p.ended_at, %(stop)s), %(stop)s) > GREATEST(p.started_at, %(start)s)
),
stretches AS (
    SELECT agent_id, TRUE AS busy, unnest(range_agg(span) FILTER (WHERE busy)) AS stretch
    FROM spans GROUP BY agent_id
    UNION ALL
    SELECT agent_id, FALSE, unnest(range_agg(span)) FROM spans GROUP BY agent_id
)
"""
_PER_AGENT = """
SELECT agent_id,
       SUM(EXTRACT(EPOCH FROM upper(stretch) - lower(stretch))::float8) FILTER (WHERE busy),
       SUM(EXTRACT(EPOCH FROM upper(stretch) - lower(stretch))::float8) FILTER (WHERE NOT busy)
FROM stretches GROUP BY agent_id
"""
# Each stretch cut at the local midnights it spans (usually none: one piece; across midnight:
# two), the pieces summed per local day and agent.
_PER_DAY = """
SELECT day::date, agent_id,
       SUM(seconds) FILTER (WHERE busy), SUM(seconds) FILTER (WHERE NOT busy)
FROM (
    SELECT s.agent_id, s.busy, day,
           EXTRACT(EPOCH FROM
               LEAST(upper(s.stretch), (day + INTERVAL '1 day') AT TIME ZONE %(zone)s)
               - GREATEST(lower(s.stretch), day AT TIME ZONE %(zone)s))::float8 AS seconds
    FROM stretches s,
         generate_series(date_trunc('day', lower(s.stretch) AT TIME ZONE %(zone)s),
                         upper(s.stretch) AT TIME ZONE %(zone)s, INTERVAL '1 day') AS day
) AS pieces
GROUP BY day, agent_id
"""


def _occupancy_rows(query: str, start: datetime, stop: datetime) -> list[tuple[Any, ...]]:
    sql = (_STRETCHES + query).format(
        handling=HandlingPeriod._meta.db_table,
        entry=QueueEntry._meta.db_table,
        presence=PresencePeriod._meta.db_table,
    )
    zone = timezone.get_current_timezone()
    params = {
        "start": start,
        "stop": stop,
        "online": AgentProfile.Presence.ONLINE.value,
        "zone": getattr(zone, "key", str(zone)),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def agent_occupancy(
    *, start: datetime, end: datetime, now: datetime | None = None
) -> dict[Any, Occupancy]:
    """Per agent (user id): seconds handling routed conversations, and seconds staffed, in
    [start, end) (one query).

    Handling: at least one conversation routed to the agent taken and not yet handed back or
    transferred on (`HandlingPeriod`; one still open ends when its entry ended, or now).
    Staffed: online (`PresencePeriod`), or handling while away. Occupancy = handling / staffed:
    away time without a conversation (a break) and offline time do not count.
    """
    now = now or timezone.now()
    stop = min(end, now)
    if stop <= start:
        return {}
    return {
        agent_id: Occupancy(handling=round(busy or 0), staffed=round(staffed or 0))
        for agent_id, busy, staffed in _occupancy_rows(_PER_AGENT, start, stop)
    }


def agent_occupancy_by_day(
    *, first: date, last: date, now: datetime | None = None
) -> dict[date, dict[Any, Occupancy]]:
    """`agent_occupancy` of each local day from `first` to `last` (inclusive): {day: {agent
    id: Occupancy}}, only days and agents with staffed time (one query, whatever the range).

    Each agent's merged stretches are cut at the local midnights of the current time zone (the
    bank's): a conversation from 23:30 to 00:30 is half on each day, a day of a DST change is
    23 or 25 hours. Merging before cutting gives each day the seconds the range figure counts
    for it, so the days add up to the range.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    stop = min(datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone), now)
    if stop <= start:
        return {}
    by_day: dict[date, dict[Any, Occupancy]] = {}
    for day, agent_id, busy, staffed in _occupancy_rows(_PER_DAY, start, stop):
        # A stretch ending at midnight leaves an empty piece on the next day: no time there.
        if round(staffed or 0) and first <= day <= last:
            by_day.setdefault(day, {})[agent_id] = Occupancy(
                handling=round(busy or 0), staffed=round(staffed)
            )
    return by_day
