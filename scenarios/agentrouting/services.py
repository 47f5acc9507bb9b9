"""Routing actions: queue a takeover, assign it, overflow, presence, warm transfer.

`scenarios.takeover` calls `route_takeover` when a session asks for a person,
`routing_check_take` / `routing_taken` when an agent takes it, and `routing_ended` when it is
handed back. With no active `RoutingQueue` nothing is routed and every agent sees every
session, as before routing existed; once a bank defines queues, each waiting session is
offered to one agent and only that agent's inbox shows it (supervisors see everything).

Every change of an entry writes a `RoutingEvent` and emits `LiveSessionChanged`, so the agent
consoles redraw the row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from scenarios import events
from scenarios.agentrouting.models import (
    AgentProfile,
    HandlingPeriod,
    PresencePeriod,
    QueueEntry,
    RoutingEvent,
    RoutingQueue,
)
from scenarios.models import DialogueSession, Takeover, TakeoverAudit

ANGER_REASONS = {"anger", "keyword"}


class RoutingError(Exception):
    """A routing action that cannot happen now; `code` names the reason for the console."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def routing_enabled() -> bool:
    return RoutingQueue.objects.filter(is_active=True).exists()


def _vip_segments() -> set[str]:
    raw = getattr(settings, "ROUTING_VIP_SEGMENTS", "vip,private_banking")
    return {part.strip() for part in str(raw).split(",") if part.strip()}


def session_priority(session: DialogueSession, reason: str) -> int:
    """0 (plain) to 5: VIP customers and upset customers are answered first."""
    priority = 0
    customer = session.customer
    if customer is not None and (
        customer.segment in _vip_segments() or customer.income_band == "gt500k"
    ):
        priority += 2
    sentiment: dict[str, Any] = (session.memory or {}).get("sentiment", {})
    if reason in ANGER_REASONS or float(sentiment.get("anger", 0) or 0) >= 0.5:
        priority += 2
    elif sentiment.get("label") == "negative" or reason == "negative_sentiment":
        priority += 1
    if reason in {"asked_for_person", "flow_step"}:
        priority += 1
    return min(priority, 5)


def _queue_matches(
    queue: RoutingQueue, *, service: str, language: str, segment: str, priority: int
) -> int | None:
    """How specifically `queue` fits the session (more criteria met = better), or None."""
    score = 0
    for wanted, value in (
        (queue.service_types, service),
        (queue.languages, language),
        (queue.segments, segment),
    ):
        if wanted:
            if value not in wanted:
                return None
            score += 1
    if priority < queue.min_priority:
        return None
    if queue.min_priority:
        score += 1
    return score


def queue_for(*, service: str, language: str, segment: str, priority: int) -> RoutingQueue | None:
    best: tuple[int, int, str] | None = None
    chosen = None
    for queue in RoutingQueue.objects.filter(is_active=True):
        score = _queue_matches(
            queue, service=service, language=language, segment=segment, priority=priority
        )
        if score is None:
            continue
        key = (score, queue.rank, queue.code)
        if best is None or key[:2] > best[:2]:
            best, chosen = key, queue
    return chosen


def _waited(entry: QueueEntry, now: datetime | None = None) -> int:
    return int(((now or timezone.now()) - entry.entered_at).total_seconds())


def _event(entry: QueueEntry, kind: str, agent: Any = None, **detail: Any) -> None:
    RoutingEvent.objects.create(
        entry=entry,
        queue=entry.queue,
        kind=kind,
        agent=agent if getattr(agent, "pk", None) else None,
        waited_seconds=max(_waited(entry), 0),
        detail=detail,
    )


def _changed(entry: QueueEntry) -> None:
    events.emit(events.LiveSessionChanged(session_id=entry.session_id))


def _handling_start(entry: QueueEntry, agent: Any, now: datetime) -> None:
    """The agent has the conversation from now (occupancy: `HandlingPeriod`)."""
    _handling_end(entry, now)
    HandlingPeriod.objects.create(agent=agent, entry=entry, started_at=now)


def _handling_end(entry: QueueEntry, now: datetime) -> None:
    HandlingPeriod.objects.filter(entry=entry, ended_at__isnull=True).update(ended_at=now)


@transaction.atomic
def route_takeover(takeover: Takeover) -> QueueEntry | None:
    """Put a new takeover request in the queue that fits it best, and try to assign it."""
    if not routing_enabled():
        return None
    session = DialogueSession.objects.select_related("flow", "customer").get(pk=takeover.session_id)
    priority = session_priority(session, takeover.reason)
    service = session.flow.code
    segment = session.customer.segment if session.customer is not None else ""
    queue = queue_for(
        service=service, language=session.language, segment=segment, priority=priority
    )
    if queue is None:
        return None
    sentiment: dict[str, Any] = (session.memory or {}).get("sentiment", {})
    entry = QueueEntry.objects.create(
        takeover=takeover,
        session=session,
        queue=queue,
        service_type=service,
        language=session.language,
        segment=segment,
        sentiment=str(sentiment.get("label", ""))[:10],
        priority=priority,
    )
    _event(entry, RoutingEvent.Kind.QUEUED, reason=takeover.reason, priority=priority)
    assign_waiting(queue)
    return entry


def agent_load(user_id: Any) -> int:
    return QueueEntry.objects.filter(
        agent_id=user_id, state__in=[QueueEntry.State.ASSIGNED, QueueEntry.State.ANSWERED]
    ).count()


def _free_agent(entry: QueueEntry) -> AgentProfile | None:
    """The online member of the entry's queue with room, least loaded, longest without work.

    Ties (two agents who have never been assigned, say) go to the profile created first, so
    the same state always routes the same way rather than by the database's row order.
    """
    candidates = (
        AgentProfile.objects.select_for_update(of=("self",))
        .filter(presence=AgentProfile.Presence.ONLINE, queues=entry.queue, user__is_active=True)
        .order_by("pk")
    )
    never = datetime.min.replace(tzinfo=UTC)
    best: tuple[tuple[int, datetime, int], AgentProfile] | None = None
    for profile in candidates:
        if profile.languages and entry.language not in profile.languages:
            continue
        load = agent_load(profile.user_id)
        if load >= profile.capacity:
            continue
        key = (load, profile.last_assigned_at or never, profile.pk)
        if best is None or key < best[0]:
            best = (key, profile)
    return best[1] if best is not None else None


@transaction.atomic
def assign_waiting(queue: RoutingQueue) -> int:
    """Offer the queue's waiting sessions, highest priority first, to agents with room."""
    assigned = 0
    waiting = QueueEntry.objects.select_for_update().filter(
        queue=queue, state=QueueEntry.State.WAITING
    )
    for entry in waiting.order_by("-priority", "entered_at"):
        profile = _free_agent(entry)
        if profile is None:
            break
        now = timezone.now()
        entry.state, entry.agent_id, entry.assigned_at = (
            QueueEntry.State.ASSIGNED,
            profile.user_id,
            now,
        )
        entry.save(update_fields=["state", "agent", "assigned_at"])
        profile.last_assigned_at = now
        profile.save(update_fields=["last_assigned_at"])
        _event(entry, RoutingEvent.Kind.ASSIGNED, profile.user)
        _changed(entry)
        assigned += 1
    return assigned


def _open_entry(session_id: Any) -> QueueEntry | None:
    return (
        QueueEntry.objects.select_for_update()
        .filter(session_id=session_id, state__in=QueueEntry.OPEN_STATES)
        .select_related("queue")
        .first()
    )


def routing_check_take(session_id: Any, agent: Any) -> None:
    """Refuse a take-over of a session routed to someone else (supervisors may)."""
    entry = _open_entry(session_id)
    if entry is None or entry.agent_id in (None, agent.pk) or is_supervisor(agent):
        return
    if entry.transfer_to_id == agent.pk:
        return
    raise RoutingError("routed_to_other", "this session is routed to another agent")


def routing_taken(session_id: Any, agent: Any) -> None:
    """The agent took the session: the wait ends (time to answer)."""
    entry = _open_entry(session_id)
    if entry is None or entry.state == QueueEntry.State.ANSWERED:
        return
    now = timezone.now()
    entry.state, entry.agent, entry.answered_at = QueueEntry.State.ANSWERED, agent, now
    entry.assigned_at = entry.assigned_at or now
    entry.save(update_fields=["state", "agent", "answered_at", "assigned_at"])
    _event(entry, RoutingEvent.Kind.ANSWERED, agent)
    _handling_start(entry, agent, now)


def routing_ended(session_id: Any, agent: Any) -> None:
    """Handed back: the agent's place is free for the next waiting session."""
    entry = _open_entry(session_id)
    if entry is None:
        return
    answered = entry.state == QueueEntry.State.ANSWERED
    entry.state = QueueEntry.State.DONE if answered else QueueEntry.State.ABANDONED
    entry.ended_at = timezone.now()
    entry.transfer_to = None
    entry.save(update_fields=["state", "ended_at", "transfer_to"])
    _handling_end(entry, entry.ended_at)
    kind = RoutingEvent.Kind.DONE if answered else RoutingEvent.Kind.ABANDONED
    _event(entry, kind, agent, by="hand_back")
    assign_waiting(entry.queue)


def is_supervisor(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return AgentProfile.objects.filter(user_id=user.pk, is_supervisor=True).exists()


# ----------------------------------------------------------------------------- presence


@transaction.atomic
def agent_presence_set(*, user: Any, presence: str, capacity: int | None = None) -> AgentProfile:
    """Online agents receive sessions; going away or offline hands back those not yet taken."""
    if presence not in AgentProfile.Presence.values:
        raise RoutingError(
            "invalid", f"presence is one of {', '.join(AgentProfile.Presence.values)}"
        )
    profile, _ = AgentProfile.objects.select_for_update().get_or_create(user=user)
    now = timezone.now()
    if (
        presence != profile.presence
        or not PresencePeriod.objects.filter(agent=user, ended_at__isnull=True).exists()
    ):
        _presence_history(user, presence, now)
    profile.presence = presence
    profile.presence_changed_at = now
    fields = ["presence", "presence_changed_at"]
    if capacity is not None:
        if not 0 <= capacity <= 20:
            raise RoutingError("invalid", "capacity is 0 to 20 sessions")
        profile.capacity = capacity
        fields.append("capacity")
    profile.save(update_fields=fields)
    queues = set(profile.queues.filter(is_active=True))
    if presence != AgentProfile.Presence.ONLINE:
        for entry in QueueEntry.objects.select_for_update().filter(
            agent=user, state=QueueEntry.State.ASSIGNED
        ):
            entry.state, entry.agent, entry.assigned_at = QueueEntry.State.WAITING, None, None
            entry.save(update_fields=["state", "agent", "assigned_at"])
            _event(entry, RoutingEvent.Kind.REQUEUED, user, presence=presence)
            _changed(entry)
            queues.add(entry.queue)
    for queue in sorted(queues, key=lambda q: q.pk):
        assign_waiting(queue)
    return profile


def _presence_history(user: Any, presence: str, now: datetime) -> None:
    """Close the agent's open presence period and open one for the new presence (offline time
    has none): the logged-in time occupancy is measured against."""
    PresencePeriod.objects.filter(agent=user, ended_at__isnull=True).update(ended_at=now)
    if presence != AgentProfile.Presence.OFFLINE:
        PresencePeriod.objects.create(agent=user, presence=presence, started_at=now)


# ----------------------------------------------------------------------------- overflow, SLA


def _withdraw_request(takeover: Takeover, now: datetime) -> None:
    """A customer who left no longer waits: their request stops counting against the
    caller's limit of sessions waiting for an agent (`takeover_queue_full`)."""
    if takeover.state != Takeover.State.REQUESTED:
        return
    takeover.state, takeover.ended_at = Takeover.State.ENDED, now
    takeover.save(update_fields=["state", "ended_at"])
    TakeoverAudit.objects.create(
        takeover=takeover,
        session_id=takeover.session_id,
        action=TakeoverAudit.Action.WITHDRAWN,
        actor=None,
        actor_name="system",
        reason="customer_left",
    )


@transaction.atomic
def routing_sweep(now: datetime | None = None) -> dict[str, int]:
    """Run by a django-q2 schedule every few seconds to a minute: end entries whose session
    left, flag SLA breaches, overflow long waits to the next queue, assign what can be."""
    now = now or timezone.now()
    counts = {"abandoned": 0, "sla_breached": 0, "overflowed": 0, "assigned": 0}
    open_entries = (
        QueueEntry.objects.select_for_update(of=("self",))
        .filter(state__in=[QueueEntry.State.WAITING, QueueEntry.State.ASSIGNED])
        .select_related("queue", "queue__overflow_to", "session", "takeover")
    )
    for entry in open_entries:
        if (
            entry.session.status != DialogueSession.Status.HANDED_OVER
            or entry.takeover.state == Takeover.State.ENDED
        ):
            entry.state, entry.ended_at = QueueEntry.State.ABANDONED, now
            entry.save(update_fields=["state", "ended_at"])
            _withdraw_request(entry.takeover, now)
            _event(entry, RoutingEvent.Kind.ABANDONED, by="customer_left")
            _changed(entry)
            counts["abandoned"] += 1
            continue
        waited = (now - entry.entered_at).total_seconds()
        if not entry.sla_breached and waited > entry.queue.sla_seconds:
            entry.sla_breached = True
            entry.save(update_fields=["sla_breached"])
            _event(entry, RoutingEvent.Kind.SLA_BREACHED, sla_seconds=entry.queue.sla_seconds)
            counts["sla_breached"] += 1
        queue = entry.queue
        in_queue = (now - entry.queued_at).total_seconds()
        if (
            entry.state == QueueEntry.State.WAITING
            and queue.overflow_to is not None
            and queue.overflow_to.is_active
            and queue.overflow_after_seconds is not None
            and in_queue >= queue.overflow_after_seconds
        ):
            _event(entry, RoutingEvent.Kind.OVERFLOWED, to=queue.overflow_to.code)
            entry.queue, entry.queued_at = queue.overflow_to, now
            entry.overflows += 1
            entry.save(update_fields=["queue", "queued_at", "overflows"])
            _changed(entry)
            counts["overflowed"] += 1
    for queue in RoutingQueue.objects.filter(is_active=True):
        counts["assigned"] += assign_waiting(queue)
    return counts


# ----------------------------------------------------------------------------- warm transfer


@transaction.atomic
def transfer_offer(*, session_id: Any, agent: Any, to_agent: Any, note: str = "") -> QueueEntry:
    """The agent in control invites a colleague; they stay in control until it is accepted."""
    takeover = (
        Takeover.objects.select_for_update()
        .filter(session_id=session_id, state=Takeover.State.ACTIVE)
        .first()
    )
    if takeover is None or takeover.agent_id != agent.pk:
        raise RoutingError("not_taken", "only the agent in control can transfer the session")
    if to_agent is None or to_agent.pk == agent.pk:
        raise RoutingError("invalid", "choose another agent")
    from scenarios.takeover import can_take_over

    if not can_take_over(to_agent):
        raise RoutingError("invalid", f"{to_agent.get_username()} is not a remote agent")
    entry = _open_entry(session_id)
    if entry is None:
        session = DialogueSession.objects.get(pk=session_id)
        queue = queue_for(
            service=session.flow.code, language=session.language, segment="", priority=0
        )
        queue = queue or RoutingQueue.objects.filter(is_active=True).first()
        if queue is None:
            queue, _ = RoutingQueue.objects.get_or_create(
                code="transfers", defaults={"name": "Transfers", "is_active": False}
            )
        now = timezone.now()
        entry = QueueEntry.objects.create(
            takeover=takeover,
            session_id=session_id,
            queue=queue,
            state=QueueEntry.State.ANSWERED,
            agent=agent,
            language=session.language,
            service_type=session.flow.code,
            assigned_at=now,
            answered_at=now,
        )
        _handling_start(entry, agent, now)
    entry.transfer_to, entry.transfer_note = to_agent, note[:500]
    entry.save(update_fields=["transfer_to", "transfer_note"])
    _event(
        entry,
        RoutingEvent.Kind.TRANSFER_OFFERED,
        agent,
        to=to_agent.get_username(),
        note=note[:500],
    )
    _changed(entry)
    return entry


@transaction.atomic
def transfer_accept(*, session_id: Any, agent: Any) -> QueueEntry:
    """The invited agent takes control; the customer hears who is with them now."""
    from scenarios.takeover import _audit, agent_name, notify_session_changed

    entry = _open_entry(session_id)
    if entry is None or entry.transfer_to_id != agent.pk:
        raise RoutingError("no_transfer", "no transfer is offered to you for this session")
    takeover = Takeover.objects.select_for_update().get(pk=entry.takeover_id)
    previous = takeover.agent
    takeover.agent = agent
    takeover.save(update_fields=["agent"])
    _audit(takeover, TakeoverAudit.Action.TAKEN, agent, "warm_transfer", entry.transfer_note)
    entry.agent, entry.transfer_to, entry.transfer_note = agent, None, ""
    entry.save(update_fields=["agent", "transfer_to", "transfer_note"])
    _handling_start(entry, agent, timezone.now())
    _event(
        entry,
        RoutingEvent.Kind.TRANSFERRED,
        agent,
        previous=previous.get_username() if previous else None,
    )
    events.emit(events.HandoffStarted(session_id=session_id, agent_name=agent_name(agent)))
    notify_session_changed(session_id)
    return entry


@transaction.atomic
def transfer_decline(*, session_id: Any, agent: Any) -> QueueEntry:
    entry = _open_entry(session_id)
    if entry is None or entry.transfer_to_id != agent.pk:
        raise RoutingError("no_transfer", "no transfer is offered to you for this session")
    entry.transfer_to, entry.transfer_note = None, ""
    entry.save(update_fields=["transfer_to", "transfer_note"])
    _event(entry, RoutingEvent.Kind.TRANSFER_DECLINED, agent)
    _changed(entry)
    return entry
