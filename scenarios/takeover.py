"""Human takeover: when a session goes to a person, an agent takes it, speaks, and hands back.

State lives in `Takeover` (one open per session) and the session's status: `handed_over` while
a takeover is requested or active, `active` again after hand-back. The dialogue engine calls
`takeover_request` whenever it hands over (the customer asked for a person, a handoff step, an
escalating answer) and `assess_customer_turn` on every customer turn (keywords, anger,
sustained negative sentiment); guided VTM steps hand over after repeated failures. Every
request, takeover and hand-back writes an append-only `TakeoverAudit` row.

What the customer and the agents should see is told through domain events
(`scenarios.events`): `HandoffStarted`, `AgentSaid`, `HandoffEnded`, `TurnRecorded`,
`LiveSessionChanged`. The channel apps turn them into frames; the agent console listens on the
channel-layer groups named here (`CONSOLE_GROUP` gets a row per session whenever it changes,
`console_session_group(id)` gets each turn as it is stored).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from bank_ai.ai.masking import mask_pii
from scenarios import events
from scenarios.agentrouting import services as routing
from scenarios.definitions import cached, flow_definition
from scenarios.models import (
    DialogueSession,
    FlowStep,
    HandoffKeyword,
    Takeover,
    TakeoverAudit,
    Turn,
)

AGENT_GROUP = "remote agent"
CONSOLE_GROUP = "agent-console"
MAX_AGENT_TEXT = 1000
SYSTEM = "system"


# Consoles mark themselves online on connect and on every ping (the page pings every 20 s).
# Turn and row pushes cost a dozen queries each; with no console online nobody would see them.
CONSOLE_PRESENCE_KEY = "agent-console-online"
CONSOLE_PRESENCE_SECONDS = 60


def console_session_group(session_id: Any) -> str:
    return f"agent-session-{session_id}"


# A turn asks whether a console is online twice (its two turns); the answer is kept by the
# process for `CONSOLE_PRESENCE_CHECK_SECONDS` (1 s) so a turn costs no cache read for it.
_presence_seen: dict[str, float | bool] = {}


def console_presence_mark() -> None:
    cache.set(CONSOLE_PRESENCE_KEY, True, CONSOLE_PRESENCE_SECONDS)
    _presence_seen.update(online=True, at=time.monotonic())


def console_presence_forget() -> None:
    """Drop the process's remembered answer (the next `console_online` asks the cache)."""
    _presence_seen.clear()


def console_online() -> bool:
    now = time.monotonic()
    ttl = float(getattr(settings, "CONSOLE_PRESENCE_CHECK_SECONDS", 1.0))
    if _presence_seen and now - float(_presence_seen["at"]) < ttl:
        return bool(_presence_seen["online"])
    online = bool(cache.get(CONSOLE_PRESENCE_KEY))
    _presence_seen.update(online=online, at=now)
    return online


class TakeoverError(Exception):
    """A takeover action that cannot happen now; `code` names the reason for the console."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def can_take_over(user: Any) -> bool:
    """Only the remote-agent group (and superusers) may watch and take over sessions."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=AGENT_GROUP).exists()


def agent_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else SYSTEM


# ----------------------------------------------------------------------------- triggers


@dataclass
class TurnAssessment:
    sentiment: str = "neutral"
    score: float = 0.0
    anger: float = 0.0
    reason: str | None = None  # a takeover trigger fired
    detail: dict[str, Any] = field(default_factory=dict)


def _handoff_phrases() -> list[str]:
    return cached(
        "handoff_keywords",
        lambda: list(
            HandoffKeyword.objects.filter(is_active=True).values_list("phrase", flat=True)
        ),
    )


def _keyword_in(text: str) -> str | None:
    lowered = text.lower()
    for phrase in _handoff_phrases():
        needle = phrase.strip().lower()
        if not needle:
            continue
        if needle.isascii():
            if re.search(rf"(?<![a-z0-9]){re.escape(needle)}(?![a-z0-9])", lowered):
                return phrase
        elif needle in lowered:
            return phrase
    return None


def assess_customer_turn(session: DialogueSession, text: str) -> TurnAssessment:
    """Sentiment of the (masked) turn and whether it should bring in a person.

    A configured keyword or an angry turn hands over at once; plain negative sentiment only
    after `TAKEOVER_NEGATIVE_TURNS` strongly negative turns in a row, because "my card is lost"
    is negative without being a reason to leave the AI. Updates `session.memory`; the caller
    saves the session.
    """
    from bank_ai.ai.sentiment import analyse_sentiment

    sentiment = analyse_sentiment(text)
    assessment = TurnAssessment(
        sentiment=sentiment.label, score=round(sentiment.score, 3), anger=round(sentiment.anger, 3)
    )
    threshold = float(getattr(settings, "TAKEOVER_NEGATIVE_SCORE", -0.5))
    needed = int(getattr(settings, "TAKEOVER_NEGATIVE_TURNS", 2))
    streak = int(session.memory.get("negative_streak", 0))
    streak = streak + 1 if sentiment.label == "negative" and sentiment.score <= threshold else 0
    session.memory["negative_streak"] = streak
    session.memory["sentiment"] = {
        "label": sentiment.label,
        "score": assessment.score,
        "anger": assessment.anger,
    }
    keyword = _keyword_in(text)
    if keyword is not None:
        assessment.reason, assessment.detail = "keyword", {"keyword": keyword}
    elif sentiment.is_angry:
        assessment.reason = "anger"
        assessment.detail = {"anger": assessment.anger, "cues": list(sentiment.cues[:5])}
    elif streak >= needed:
        assessment.reason = "negative_sentiment"
        assessment.detail = {"turns": streak, "score": assessment.score}
    return assessment


# ----------------------------------------------------------------------------- queue limits

WAITING_CAPABILITY = "max_waiting_takeovers"
_QUEUE_LOCK_NAMESPACE = 0x7A6E  # classid of the advisory locks that serialise a caller's requests


def takeover_queue_full(session: DialogueSession) -> bool:
    """Whether whoever is behind `session` already has as many sessions waiting as it may.

    Each session holds at most one open takeover, but a device could open session after
    session and hand each over ("asdf", "agent", ...) until the agents' queue is all its own.
    So an identified customer, else a device, else a signed-in person may have only
    `TAKEOVER_MAX_WAITING_PER_DEVICE` sessions waiting for an agent at once (a device's
    capabilities may raise it: an app backend speaks for many customers). Sessions an agent
    already handles do not count: the agent chose them. Requests of one caller are serialised
    until the end of the transaction, so two sessions cannot both take the last place.
    """
    limit = int(getattr(settings, "TAKEOVER_MAX_WAITING_PER_DEVICE", 3))
    if session.customer_id is not None:
        caller, same_caller = (
            f"customer:{session.customer_id}",
            {"session__customer_id": session.customer_id},
        )
    elif session.device_id is not None:
        caller, same_caller = (
            f"device:{session.device_id}",
            {"session__device_id": session.device_id},
        )
        capabilities = session.device.capabilities or {}
        if isinstance(capabilities.get(WAITING_CAPABILITY), int):
            limit = capabilities[WAITING_CAPABILITY]
    elif session.user_id is not None:
        caller, same_caller = f"user:{session.user_id}", {"session__user_id": session.user_id}
    else:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_QUEUE_LOCK_NAMESPACE, caller]
        )
    waiting = (
        Takeover.objects.filter(state=Takeover.State.REQUESTED, **same_caller)
        .exclude(session_id=session.pk)
        .count()
    )
    return waiting >= limit


# ----------------------------------------------------------------------------- services


def _open_takeover(session: DialogueSession) -> Takeover | None:
    return (
        Takeover.objects.select_for_update()
        .filter(session=session)
        .exclude(state=Takeover.State.ENDED)
        .first()
    )


def _audit(takeover: Takeover, action: str, actor: Any, reason: str, note: str = "") -> None:
    TakeoverAudit.objects.create(
        takeover=takeover,
        session_id=takeover.session_id,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=agent_name(actor) if getattr(actor, "pk", None) else SYSTEM,
        reason=reason[:40],
        note=note[:2000],
    )


def _lock_session(session_id: Any) -> DialogueSession:
    try:
        return (
            DialogueSession.objects.select_for_update(of=("self",))
            .select_related("flow")
            .get(pk=session_id)
        )
    except (DialogueSession.DoesNotExist, ValueError, TypeError) as exc:
        raise TakeoverError("session_not_found", f"no session {session_id}") from exc


@transaction.atomic
def takeover_request(
    *,
    session: DialogueSession,
    reason: str,
    step: str = "",
    detail: dict[str, Any] | None = None,
) -> Takeover:
    """Ask for a person (the engine has set the session to `handed_over`); idempotent."""
    takeover = _open_takeover(session)
    if takeover is not None:
        return takeover
    takeover = Takeover.objects.create(
        session=session,
        reason=reason[:40],
        step=step or session.current_step,
        detail=detail or {},
    )
    _audit(takeover, TakeoverAudit.Action.REQUESTED, None, reason)
    routing.route_takeover(takeover)  # to a skills queue and an agent, when queues exist
    notify_session_changed(session.pk)
    return takeover


@transaction.atomic
def takeover_start(*, session_id: Any, agent: Any, note: str = "") -> Takeover:
    """The agent takes control: of a waiting session, or of a live one they are watching."""
    if not can_take_over(agent):
        raise TakeoverError("forbidden", "only remote agents may take over sessions")
    session = _lock_session(session_id)
    if session.status in {DialogueSession.Status.COMPLETED, DialogueSession.Status.ABANDONED}:
        raise TakeoverError("session_closed", f"the session is {session.status}")
    try:
        routing.routing_check_take(session.pk, agent)
    except routing.RoutingError as exc:
        raise TakeoverError(exc.code, str(exc)) from exc
    takeover = _open_takeover(session)
    if takeover is None:
        session.status = DialogueSession.Status.HANDED_OVER
        session.save(update_fields=["status", "updated_at"])
        takeover = Takeover.objects.create(
            session=session, reason="agent_initiated", step=session.current_step
        )
    elif takeover.state == Takeover.State.ACTIVE:
        if takeover.agent_id == agent.pk:
            return takeover
        raise TakeoverError(
            "taken_by_other", f"{agent_name(takeover.agent)} already handles this session"
        )
    takeover.state = Takeover.State.ACTIVE
    takeover.agent = agent
    takeover.taken_at = timezone.now()
    takeover.save(update_fields=["state", "agent", "taken_at"])
    _audit(takeover, TakeoverAudit.Action.TAKEN, agent, takeover.reason, note)
    routing.routing_taken(session.pk, agent)
    events.emit(events.HandoffStarted(session_id=session.pk, agent_name=agent_name(agent)))
    notify_session_changed(session.pk)
    return takeover


def _next_seq(session: DialogueSession) -> int:
    last = Turn.objects.filter(session=session).order_by("-seq").values_list("seq", flat=True)
    return (last.first() or 0) + 1


@transaction.atomic
def agent_say(*, session_id: Any, agent: Any, text: str) -> Turn:
    """The avatar speaks the agent's words: stored (masked) as an AGENT turn and pushed."""
    text = (text or "").strip()
    if not text:
        raise TakeoverError("empty", "there is nothing to say")
    if len(text) > MAX_AGENT_TEXT:
        raise TakeoverError("too_long", f"at most {MAX_AGENT_TEXT} characters at a time")
    session = _lock_session(session_id)
    takeover = _open_takeover(session)
    if takeover is None or takeover.state != Takeover.State.ACTIVE:
        raise TakeoverError("not_taken", "take the session over first")
    if takeover.agent_id != getattr(agent, "pk", None):
        raise TakeoverError("taken_by_other", "another agent handles this session")
    # Masked for the avatar too: a hall has listeners, and the transcript keeps what was said.
    masked = mask_pii(text).text
    name = agent_name(agent)
    turn = Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=Turn.Role.AGENT,
        text=masked,
        step=session.current_step,
        payload={"agent": name},
    )
    events.emit(events.AgentSaid(session_id=session.pk, text=masked, agent_name=name))
    turn_recorded(turn)
    return turn


@transaction.atomic
def takeover_end(*, session_id: Any, agent: Any, note: str = "") -> Turn:
    """Hand the session back to the AI; it resumes at its step and says where it stands."""
    from scenarios.dialogue.base import behaviour_for
    from scenarios.dialogue.engine import UNRECOGNISED, StepContext, enter_step

    if not can_take_over(agent):
        raise TakeoverError("forbidden", "only remote agents may hand sessions back")
    session = _lock_session(session_id)
    takeover = _open_takeover(session)
    if takeover is None:
        raise TakeoverError("not_taken", "the session is not handed over")
    if takeover.state == Takeover.State.ACTIVE and takeover.agent_id != agent.pk:
        raise TakeoverError("taken_by_other", "another agent handles this session")
    takeover.state = Takeover.State.ENDED
    takeover.ended_at = timezone.now()
    if takeover.agent_id is None:  # handed back while still waiting: record who decided
        takeover.agent = agent
    takeover.save(update_fields=["state", "ended_at", "agent"])
    _audit(takeover, TakeoverAudit.Action.HANDED_BACK, agent, "agent_handed_back", note)
    routing.routing_ended(session.pk, agent)

    session.status = DialogueSession.Status.ACTIVE
    for key in ("negative_streak", "guide_failures", UNRECOGNISED):
        session.memory.pop(key, None)
    step = flow_definition(session.flow_id).step(session.current_step)
    ctx = StepContext(session=session, step=step)
    if step.kind == FlowStep.Kind.HANDOFF:
        # The flow asked for a person here; after the person the flow goes on.
        result = enter_step(session, ctx.next_step())
    else:
        behaviour = behaviour_for(step)
        resume = getattr(behaviour, "resume", None)
        result = resume(ctx) if resume is not None else ctx.say(behaviour.prompt_again(ctx))
        session.save()
    turn = Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=Turn.Role.ASSISTANT,
        text=result.reply,
        step=result.step,
        payload={"actions": result.actions, "sources": result.sources, "resumed": True},
    )
    result.status = session.status
    # The AI speaks again as an ordinary answer, with the step's UI (a guide step is shown anew).
    events.emit(events.HandoffEnded(session_id=session.pk, result=result))
    turn_recorded(turn)
    notify_session_changed(session.pk)
    return turn


def customer_turn_held(*, session: DialogueSession, turn: Turn) -> dict[str, Any]:
    """A customer's turn while a person has (or is about to have) the session: no AI reply.

    Returns the fields of the engine's TurnResult; the turn is already stored and masked.
    """
    from bank_ai.ai.sentiment import analyse_sentiment

    sentiment = analyse_sentiment(turn.text)
    Turn.objects.filter(pk=turn.pk).update(sentiment=sentiment.label)
    session.memory["sentiment"] = {
        "label": sentiment.label,
        "score": round(sentiment.score, 3),
        "anger": round(sentiment.anger, 3),
    }
    DialogueSession.objects.filter(pk=session.pk).update(memory=session.memory)
    takeover = Takeover.objects.filter(session=session).exclude(state="ended").first()
    state = takeover.state if takeover is not None else Takeover.State.REQUESTED
    return {
        "reply": "",
        "step": session.current_step,
        "status": session.status,
        "sentiment": sentiment.label,
        "actions": [{"type": "handoff", "state": "agent" if state == "active" else "waiting"}],
    }


# ----------------------------------------------------------------------------- console feed


def turn_payload(turn: Turn) -> dict[str, Any]:
    return {
        "seq": turn.seq,
        "role": turn.role,
        "text": turn.text,
        "step": turn.step,
        "intent": turn.intent,
        "sentiment": turn.sentiment,
        "agent": (turn.payload or {}).get("agent"),
        "at": turn.created_at.isoformat(),
    }


def turn_recorded(turn: Turn) -> None:
    """Tell whoever watches the session live (the agent consoles) that a turn was stored."""
    events.emit(events.TurnRecorded(session_id=turn.session_id, turn_id=turn.pk))


def notify_session_changed(session_id: Any) -> None:
    events.emit(events.LiveSessionChanged(session_id=session_id))
