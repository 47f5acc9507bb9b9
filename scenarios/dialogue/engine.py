"""The dialogue engine: one customer turn (or device event) in, one reply with actions out.

Every turn is masked and committed before anything else happens, so an error later never loses
what the customer said; every step outcome becomes a FunnelEvent for the scenario KPIs. The
engine knows step *kinds* only through the behaviour registry (`base.py`); scenarios live in
their own modules.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import AutoField, F
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, UpdateQuery
from django.utils import translation
from django.utils.translation import gettext

from bank_ai.ai.masking import mask_pii
from bank_ai.ai.runtime import generation_is_remote
from bank_ai.i18n import normalise_language
from scenarios import events, takeover
from scenarios.definitions import attach_flow, flow_definition, flow_named
from scenarios.dialogue import phrasing, topics
from scenarios.dialogue.base import (
    DeltaSink,
    DialogueError,
    EventRefused,
    StaleStep,
    StepBehaviour,
    TurnResult,
    behaviour_for,
    register_behaviour,
    scenario_for,
)
from scenarios.models import DialogueSession, Flow, FlowStep, FunnelEvent, Turn
from scenarios.slots import merge_slots

logger = logging.getLogger(__name__)
refusals = logging.getLogger("scenarios.refusals")

MAX_TURN_CHARS = 2000
MAX_EVENT_NAME_CHARS = 40
# A request for a person this sure, or one that names a person, is honoured at once; a weaker
# guess only when the step does not recognise the turn ("我已阅读并同意" must acknowledge the
# disclosure, not hand over).
HANDOFF_SURE = 0.9
PERSON = re.compile(
    r"人工|客服|真人|柜员|坐席|\b(human|agent|person|representative|operator|someone real)\b", re.I
)

QUESTION = re.compile(
    r"[?？]|吗|呢|怎么|如何|多少|什么|哪|\b(how|what|when|where|why|which|"
    r"can i|do you|is there|are there)\b",
    re.IGNORECASE,
)
YES = re.compile(
    r"^(对|是的?|没错|好的?|可以|确认|嗯|yes|yeah|yep|correct|right|sure|ok(ay)?)"
    r"\b|^(对的|是这样)",
    re.IGNORECASE,
)
NO = re.compile(r"^(不对|不是|错了?|不|no|nope|not (quite|really|right)|wrong)", re.IGNORECASE)

# A whole turn that only greets ("你好", "hello!"): greeted back with the step's question, it is
# neither an answer nor a failure to understand. "好" is not one: at a confirm step it is a yes.
GREETING = re.compile(
    r"(你好|您好|嗨|哈喽|哈啰|早上好|上午好|中午好|下午好|晚上好|早安|在吗|在不在|"
    r"hi|hello|hey|hiya|hallo|good (morning|afternoon|evening)|hi there|hello there)"
    r"[\s呀啊哇哈~～!！。.,，]*",
    re.IGNORECASE,
)
SESSION_ENDED = frozenset({DialogueSession.Status.COMPLETED, DialogueSession.Status.ABANDONED})
# session.memory: how many turns in a row the step named there did not understand.
UNRECOGNISED = "unrecognised"

HANDOVER_REPLY = {
    "zh-hans": "好的，正在为您转接人工服务，请稍候。",
    "en": "Of course — I'm connecting you to a colleague now, please hold on.",
}


@dataclass
class StepContext:
    """One turn's view of the session, handed to behaviours; the helpers they build on."""

    session: DialogueSession
    step: FlowStep
    on_delta: DeltaSink | None = None
    # True: the turn was understood (it resets the count of misunderstood turns); False: it
    # was not; None: neither (a greeting, a clarifying question, an off-topic refusal).
    understood: bool | None = True

    @property
    def language(self) -> str:
        return self.session.language

    @property
    def flow(self) -> Flow:
        return self.session.flow

    def say(self, reply: str, **extra: Any) -> TurnResult:
        return TurnResult(reply=reply, step=self.step.code, **extra)

    def funnel(self, outcome: str, detail: dict[str, Any] | None = None, step: str = "") -> None:
        record_funnel(self.session, step or self.step.code, outcome, detail)

    def step_named(self, code: str) -> FlowStep:
        return flow_definition(self.session.flow_id).step(code)

    def step_with(self, *, kind: str = "", behaviour: str = "") -> FlowStep:
        return flow_definition(self.session.flow_id).first_with(kind=kind, behaviour=behaviour)

    def first_step(self) -> FlowStep:
        return flow_definition(self.session.flow_id).first()

    def next_step(self, step: FlowStep | None = None) -> FlowStep | None:
        step = step or self.step
        definition = flow_definition(self.session.flow_id)
        if step.next_step:
            return definition.step(step.next_step)
        return definition.after(step)

    def enter(self, step: FlowStep | None, lead: str = "") -> TurnResult:
        """Move to `step` (None: the flow is complete) and produce what it says on arrival."""
        return enter_step(self.session, step, lead=lead, on_delta=self.on_delta)

    def rest_on(self, step: FlowStep) -> None:
        """Make `step` current without running its arrival (the reply was already composed)."""
        self.session.current_step = step.code
        self.step = step

    def side_question(self, text: str) -> TurnResult:
        return side_question(self, text)

    def hand_over(
        self,
        reason: str,
        intent: str | None = None,
        lead: str = "",
        detail: dict[str, Any] | None = None,
    ) -> TurnResult:
        return hand_over(self, reason=reason, intent=intent, lead=lead, detail=detail)


# ----------------------------------------------------------------------------- services


@transaction.atomic
def session_start(
    *,
    scenario: str,
    channel: str,
    language: str,
    device: Any = None,
    user: Any = None,
    customer: Any = None,
    slots: dict[str, Any] | None = None,
) -> tuple[DialogueSession, TurnResult]:
    flow = flow_named(scenario, active=True)
    if flow is None:
        raise DialogueError(f"unknown scenario {scenario!r}")
    first = flow_definition(flow).first()
    if first is None:
        raise DialogueError(f"scenario {scenario!r} has no steps")
    if flow.requires_customer and customer is None:
        raise DialogueError(f"scenario {scenario!r} needs an identified customer")
    session = DialogueSession.objects.create(
        flow=flow,
        channel=channel,
        language=normalise_language(language),
        device=device,
        user=user if getattr(user, "pk", None) else None,
        customer=customer,
        current_step=first.code,
        slots=dict(slots or {}),
    )
    with _gathered_writes(session) as turns:
        result = phrasing.polish(enter_step(session, first), session.language)
        turns.append(_assistant_turn(session, result))
    return session, result


def session_turn(
    *, session_id: Any, text: str, step: str = "", on_delta: DeltaSink | None = None
) -> TurnResult:
    """Store the customer's turn and work out the reply; nothing is sent before the turn is stored.

    `step` is the step the client showed when the customer typed (optional): a turn typed at a
    step the session has left since is refused (`StaleStep`) and stored nowhere but the refusal
    log, because an answer to one question must never be applied to the next one. Turns of one
    session are serialised from storing to reply, so each is applied once, in order, to the
    step it was stored at.

    `on_delta` receives the reply's text: after the commit for a reply worked out in
    milliseconds (a flow step, an answer the AI core finds or writes locally), where a failure to
    send changes nothing stored; or as a remote model writes it, after the customer's turn was
    committed on its own, where whatever it raises stops the work and the turn stays stored.
    """
    text = (text or "").strip()
    if not text:
        raise DialogueError("the turn is empty")
    if len(text) > MAX_TURN_CHARS:
        raise DialogueError(f"a turn is limited to {MAX_TURN_CHARS} characters")
    masked = mask_pii(text).text
    if on_delta is None:
        return _turn_at_once(session_id, masked, step, None)
    deltas = _HeldDeltas(on_delta, store_turn_before_generation=generation_is_remote())
    try:
        result = _turn_at_once(session_id, masked, step, deltas)
    except _StoreTurnFirst:
        # A remote model is about to write the reply (seconds): the work so far is rolled back
        # and the turn goes again in two transactions, so it can stream with the turn stored.
        return _turn_streamed(session_id, masked, step, on_delta)
    deltas.release()
    return result


class _StoreTurnFirst(BaseException):  # noqa: N818 - a signal, unwinding past `except Exception`
    pass


class _HeldDeltas:
    """A reply's words, held until the turn that produced them is committed.

    Sent before the commit, a word would tell the customer (and the `turn.ack` that precedes it)
    that their turn is stored while a crash could still lose it.
    """

    def __init__(self, sink: DeltaSink, *, store_turn_before_generation: bool) -> None:
        self.sink = sink
        self.held: list[str] | None = []
        self.store_turn_before_generation = store_turn_before_generation

    def __call__(self, text: str) -> None:
        if self.held is None:
            self.sink(text)
        else:
            self.held.append(text)

    def before_generation(self) -> None:
        if self.held is not None and self.store_turn_before_generation:
            raise _StoreTurnFirst

    def release(self) -> None:
        held, self.held = self.held or [], None
        try:
            for text in held:
                self.sink(text)
        except Exception:  # noqa: BLE001 - the reply is stored; a sink failing now (the client
            # left) changes nothing, and the caller sends or replays the stored reply.
            logger.info("the reply's words were not all delivered; the reply is stored")


def generation_hook(on_delta: DeltaSink | None) -> Callable[[], None] | None:
    """What a step passes the AI core as `AskContext.on_generation` for a streamed answer."""
    return getattr(on_delta, "before_generation", None)


def _turn_at_once(
    session_id: Any, masked: str, step: str, on_delta: DeltaSink | None
) -> TurnResult:
    failure: Exception | None = None
    # One transaction, one commit: the customer's turn, the reply's work and the reply are stored
    # together before anything is acknowledged. The session is locked (advisory lock, then row)
    # by the statement that reads it, until the commit.
    with transaction.atomic():
        session = _active_session(session_id, held_ok=True, lock_turn=True)
        typed_at = session.current_step
        _refuse_stale(session, step, kind="text", detail={"text": masked})
        if session.status == DialogueSession.Status.HANDED_OVER:
            # A person has (or is about to have) the session: stored and shown, no AI reply.
            customer_turn = _record_customer(session, masked)
            return TurnResult(**takeover.customer_turn_held(session=session, turn=customer_turn))
        try:
            with _gathered_writes(session) as turns:
                customer_turn = _record_customer(session, masked, gathered=True)
                turns.append(customer_turn)
                result = phrasing.polish(_advance(session, masked, on_delta), session.language)
                customer_turn.intent = result.intent or ""
                customer_turn.sentiment = result.sentiment or ""
                turns.append(_assistant_turn(session, result))
        except Exception as exc:  # noqa: BLE001 - re-raised once the customer's turn is stored
            failure = exc
            transaction.set_rollback(True)
        else:
            return result
    # Working out the reply failed (or `on_delta` stopped it): all of its work is rolled back,
    # and the customer's turn is stored on its own, at the step it was typed at.
    with transaction.atomic():
        session = _active_session(session_id, held_ok=True, lock_turn=True)
        session.current_step = typed_at
        _record_customer(session, masked)
    raise failure


def _turn_streamed(session_id: Any, masked: str, step: str, on_delta: DeltaSink) -> TurnResult:
    def reply(session: DialogueSession, turn: Turn) -> TurnResult:
        result = phrasing.polish(_advance(session, masked, on_delta), session.language)
        Turn.objects.filter(pk=turn.pk).update(
            intent=result.intent or "", sentiment=result.sentiment or ""
        )
        return result

    return _stored_then_streamed(
        session_id, step, kind="text", text=masked, detail={"text": masked}, reply=reply
    )


def _stored_then_streamed(
    session_id: Any,
    step: str,
    *,
    kind: str,
    text: str,
    detail: dict[str, Any],
    reply: Callable[[DialogueSession, Turn], TurnResult],
    payload: dict[str, Any] | None = None,
) -> TurnResult:
    """A turn (or event) in two transactions, both under the session's turn lock: the customer's
    turn is committed first, then `reply` works it out again, streaming while a remote model
    writes it. If the reply fails (or `on_delta` stops it), its work is rolled back and the
    customer's turn stays, at the step it was typed at."""
    with session_turn_lock(session_id):
        with transaction.atomic():
            session = _active_session(session_id, held_ok=True, lock_turn=True)
            _refuse_stale(session, step, kind=kind, detail=detail)
            turn = _record_customer(session, text, payload=payload)
            if session.status == DialogueSession.Status.HANDED_OVER:
                return TurnResult(**takeover.customer_turn_held(session=session, turn=turn))
        with transaction.atomic():
            session = _active_session(session_id, held_ok=True, lock_turn=True)
            if session.status == DialogueSession.Status.HANDED_OVER:
                return TurnResult(**takeover.customer_turn_held(session=session, turn=turn))
            with _gathered_writes(session) as turns:
                session._turn_memo["question_seq"] = turn.seq  # type: ignore[attr-defined]
                result = reply(session, turn)
                turns.append(_assistant_turn(session, result))
            return result


class _Refused(Exception):  # noqa: N818 - a signal that unwinds the event's savepoint
    pass


def session_event(
    *,
    session_id: Any,
    name: str,
    step: str = "",
    data: dict[str, Any] | None = None,
    on_delta: DeltaSink | None = None,
) -> TurnResult:
    """A device's UI event (a confirmed guide step, a submitted form, a tapped button).

    `step` is the step the device believes it is on; an event for another step, or one the
    current step does not take, is refused and leaves the session exactly as it was (no turn,
    no funnel event, no slot or memory change): a late or replayed tap never moves the session
    and never counts as a turn. Refusals go to the `scenarios.refusals` log, masked.

    Unlike a text turn, the event is stored together with what the step does with it, since
    only the step knows whether it takes the event; if the step fails, the event is still
    stored (its work is rolled back on its own) and the error is raised.
    """
    name = (name or "").strip()
    if not name or len(name) > MAX_EVENT_NAME_CHARS:
        raise DialogueError("an event needs a name of at most 40 characters")
    data = _masked_data(data or {})
    if on_delta is None:
        return _event_at_once(session_id, name, step, data, None)
    # Like a text turn's reply: held until the commit, or, when a remote model is about to write
    # it, streamed after the event was committed on its own (see session_turn).
    deltas = _HeldDeltas(on_delta, store_turn_before_generation=generation_is_remote())
    try:
        result = _event_at_once(session_id, name, step, data, deltas)
    except _StoreTurnFirst:
        return _event_streamed(session_id, name, step, data, on_delta)
    deltas.release()
    return result


def _event_at_once(
    session_id: Any,
    name: str,
    step: str,
    data: dict[str, Any],
    on_delta: DeltaSink | None,
) -> TurnResult:
    payload = {"event": name, "data": data}
    failure: Exception | None = None
    # One transaction, one commit, like a text turn: the statement that reads the session takes
    # the turn lock and the row lock; the event, what the step does with it and the reply are
    # written together at the end, in one statement.
    with transaction.atomic():
        session = _active_session(session_id, held_ok=True, lock_turn=True)
        _refuse_stale(session, step, kind="event", detail=payload)
        if session.status == DialogueSession.Status.HANDED_OVER:
            event_turn = _record_customer(session, f"[{name}]", payload=payload)
            return TurnResult(**takeover.customer_turn_held(session=session, turn=event_turn))
        current = flow_definition(session.flow_id).step(session.current_step)
        try:
            # The event and everything it causes, or nothing (the savepoint).
            with transaction.atomic(), _gathered_writes(session) as turns:
                turns.append(_record_customer(session, f"[{name}]", payload=payload, gathered=True))
                ctx = StepContext(session=session, step=current, on_delta=on_delta)
                result = behaviour_for(current).on_event(ctx, name, data)
                if result is None:
                    raise _Refused
                session.save()
                phrasing.polish(result, session.language)
                turns.append(_assistant_turn(session, result))
        except _Refused:
            _log_refusal(session, "event", "not_taken", payload)
            raise EventRefused(f"step {current.code!r} does not take the event {name!r}") from None
        except Exception as exc:  # noqa: BLE001 - re-raised once the event is stored
            failure = exc
        else:
            return result
        # The step failed: its work is rolled back, the event is stored on its own, at the step
        # it was sent at (the instance may carry the failed step's changes: read it again).
        session.refresh_from_db()
        _record_customer(session, f"[{name}]", payload=payload)
    raise failure


def _event_streamed(
    session_id: Any, name: str, step: str, data: dict[str, Any], on_delta: DeltaSink
) -> TurnResult:
    """An event whose reply a remote model writes: its first run took the event (the step went
    as far as asking the model), so the event is committed first and the step's work done again,
    streamed. A step that refused it the second time (it cannot, given the same session) would
    have its work rolled back and the event would stay."""
    payload = {"event": name, "data": data}

    def reply(session: DialogueSession, turn: Turn) -> TurnResult:
        current = flow_definition(session.flow_id).step(session.current_step)
        ctx = StepContext(session=session, step=current, on_delta=on_delta)
        result = behaviour_for(current).on_event(ctx, name, data)
        if result is None:
            _log_refusal(session, "event", "not_taken", payload)
            raise EventRefused(f"step {current.code!r} does not take the event {name!r}")
        session.save()
        return phrasing.polish(result, session.language)

    return _stored_then_streamed(
        session_id,
        step,
        kind="event",
        text=f"[{name}]",
        detail=payload,
        payload=payload,
        reply=reply,
    )


def session_turn_lock(session_id: Any) -> AbstractContextManager[None]:
    """Hold a session for a whole turn, across its transactions, against every other turn."""
    return _SessionLock(str(session_id))


class _SessionLock(AbstractContextManager[None]):
    def __init__(self, key: str) -> None:
        self.key = key

    def __enter__(self) -> None:
        with transaction.atomic():
            _take_turn_lock(self.key)

    def __exit__(self, *exc_info: object) -> None:
        _release_turn_lock(self.key)


# Turns and events of one session are serialised by an advisory lock on the session id: a
# transaction-level one taken with the session row by a text turn or a device event (each is one
# transaction), or a session-level one held across several transactions (session_turn_lock).
TURN_LOCK_NAMESPACE = 0x5E55  # classid of the (classid, objid) advisory lock pair for turns


def _take_turn_lock(key: str) -> None:
    """Wait (at most DIALOGUE_TURN_LOCK_SECONDS) for the session; inside a transaction."""
    wait_ms = int(float(getattr(settings, "DIALOGUE_TURN_LOCK_SECONDS", 60)) * 1000)
    try:
        with transaction.atomic(savepoint=False), connection.cursor() as cursor:
            # One statement: lock_timeout (local to the transaction) is set before the wait.
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true), pg_advisory_lock(%s, hashtext(%s))",
                [f"{wait_ms}ms", TURN_LOCK_NAMESPACE, key],
            )
    except OperationalError as exc:
        raise DialogueError(
            "another turn of this session is still being answered; send this one again"
        ) from exc


def _release_turn_lock(key: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_unlock(%s, hashtext(%s))", [TURN_LOCK_NAMESPACE, key]
            )
    except DatabaseError:
        logger.exception("could not release the turn lock of session %s", key)
        if not connection.in_atomic_block:
            connection.close()  # ending the database session releases its locks


def _refuse_stale(
    session: DialogueSession, step: str, *, kind: str, detail: dict[str, Any]
) -> None:
    if step and step != session.current_step:
        _log_refusal(session, kind, "stale_step", {"step": step, **detail})
        raise StaleStep(
            f"the session is at step {session.current_step!r}, not {step!r}",
            current=session.current_step,
        )


def _log_refusal(session: DialogueSession, kind: str, reason: str, detail: dict[str, Any]) -> None:
    # Only masked text reaches this log (turn text and event data are masked by the callers).
    refusals.info(
        "refused %s for session %s at %s/%s: %s",
        kind,
        session.pk,
        session.flow.code,
        session.current_step,
        reason,
        extra={"session": str(session.pk), "reason": reason, "detail": detail},
    )


# ----------------------------------------------------------------------------- the engine


def _advance(session: DialogueSession, text: str, on_delta: DeltaSink | None) -> TurnResult:
    step = flow_definition(session.flow_id).step(session.current_step)
    ctx = StepContext(session=session, step=step, on_delta=on_delta)
    scenario = scenario_for(session.flow.scenario)
    intent = _intent(text)
    assessment = takeover.assess_customer_turn(session, text)
    if (
        intent is not None
        and intent.handoff
        and (intent.confidence >= HANDOFF_SURE or PERSON.search(text))
    ):
        result = ctx.hand_over("asked_for_person", intent.intent)
        result.sentiment = assessment.sentiment
        return result
    if assessment.reason is not None:
        result = ctx.hand_over(
            assessment.reason, intent.intent if intent else None, detail=assessment.detail
        )
        result.sentiment = assessment.sentiment
        return result
    if GREETING.fullmatch(text.strip()):
        result = greet(ctx)
        result.intent = intent.intent if intent else None
        result.sentiment = assessment.sentiment
        session.save()
        return result
    # Another topic ("怎么激活？") pauses this flow; "继续申请" comes back to it.
    result = topics.route(ctx, text)
    if result is not None:
        result.intent = intent.intent if intent else None
        result.sentiment = result.sentiment or assessment.sentiment
        session.save()
        return result
    found = scenario.extract_slots(text, ctx)
    if found:
        before = dict(session.slots)
        session.slots, corrected = merge_slots(session.slots, found)
        for name in corrected:
            ctx.funnel("slot_corrected", {"slot": name})
        if session.slots != before:
            result = scenario.slots_changed(ctx, before)
    if result is None:
        result = behaviour_for(step).respond(ctx, text, found)
    if result is None and intent is not None and intent.handoff:
        result = ctx.hand_over("asked_for_person", intent.intent)
    if result is None and found and step.kind == FlowStep.Kind.ASK and not QUESTION.search(text):
        # An answer to a later question ("年收入30万" while asked what the card is for): kept
        # above, and this step's question asked again, not searched for in the knowledge base.
        result = noted_in_passing(ctx, sorted(found))
    if result is None:
        result = ctx.side_question(text)
    if ctx.understood:
        session.memory.pop(UNRECOGNISED, None)
    result.intent = intent.intent if intent else None
    result.sentiment = result.sentiment or assessment.sentiment
    session.save()
    return result


def _intent(text: str):  # noqa: ANN202 - IntentResult | None
    from bank_ai.ai.intents import NoIntentModel, classify_intent

    try:
        return classify_intent(text)
    except NoIntentModel:
        return None


def enter_step(
    session: DialogueSession,
    step: FlowStep | None,
    *,
    lead: str = "",
    on_delta: DeltaSink | None = None,
) -> TurnResult:
    if step is None:
        if (resumed := topics.resume_after_detour(session, lead, on_delta)) is not None:
            return resumed
        session.status = DialogueSession.Status.COMPLETED
        session.save()
        record_funnel(session, session.current_step, "completed")
        return TurnResult(reply=lead, step=session.current_step, status=session.status)
    session.current_step = step.code
    record_funnel(session, step.code, "entered")
    ctx = StepContext(session=session, step=step, on_delta=on_delta)
    result = behaviour_for(step).arrive(ctx)
    if lead:
        result.reply = f"{lead}\n{result.reply}" if result.reply else lead
    if step.kind == FlowStep.Kind.END and session.current_step == step.code:
        if (resumed := topics.resume_after_detour(session, result.reply, on_delta)) is not None:
            return resumed
        session.status = DialogueSession.Status.COMPLETED
        record_funnel(session, step.code, "completed")
    result.status = session.status
    session.save()
    return result


def side_question(ctx: StepContext, text: str) -> TurnResult:
    """Answer from knowledge without leaving the step, then ask the step's question again."""
    from bank_ai.ai.engine import Answer, AskContext, stream_answer

    session = ctx.session
    answer: Answer | None = None
    for event in stream_answer(
        text,
        AskContext(
            language=ctx.language,
            channel=session.channel,
            touchpoint_id=session.device_id,
            user=session.user,
            session_ref=str(session.pk),
            history=_history(session),
            on_generation=generation_hook(ctx.on_delta),
        ),
    ):
        if isinstance(event, Answer):
            answer = event
        elif ctx.on_delta is not None:
            ctx.on_delta(event.text)
    assert answer is not None
    ctx.funnel("side_question", {"answer_kind": answer.kind})
    if answer.kind in {"not_found", "clarify"}:
        # Nothing in the knowledge base and not an answer to the step: the turn was not
        # understood ("asdf", "123"), or only so far that the AI asks which of two things was
        # meant. Ask again; only repeated failure brings in a person.
        return not_understood(ctx, lead=answer.text if answer.kind == "clarify" else "")
    if answer.escalate or answer.kind == "handoff":
        result = hand_over(ctx, reason=f"engine_{answer.kind}", lead=answer.text)
        result.rephrase = False
        return result
    if answer.kind == "refused":
        ctx.understood = None  # off-topic or an injection attempt: no reason for a person
    again = behaviour_for(ctx.step).prompt_again(ctx)
    if ctx.on_delta is not None:
        ctx.on_delta(f"\n\n{again}")
    return ctx.say(
        f"{answer.text}\n\n{again}",
        sources=answer.sources,
        actions=[{"type": "related_questions", "questions": answer.related_questions}],
        sentiment=answer.sentiment,
        rephrase=False,  # generated (and guarded) by the AI core already
    )


def greet(ctx: StepContext) -> TurnResult:
    """A greeting gets one back, then the step's question: the customer is where they were."""
    ctx.understood = None
    with translation.override(ctx.language):
        hello = gettext("Hello! I'm Harbour Bank's digital assistant.")
    return ctx.say(f"{hello}\n{behaviour_for(ctx.step).prompt_again(ctx)}")


def unrecognised_limit() -> int:
    return max(1, int(getattr(settings, "DIALOGUE_UNRECOGNISED_HANDOVER_AFTER", 3)))


def noted_in_passing(ctx: StepContext, slots: list[str]) -> TurnResult:
    """The turn answered another step's question: thank the customer and ask this one again."""
    ctx.funnel("noted_in_passing", {"slots": slots})
    with translation.override(ctx.language):
        lead = gettext("Thank you, I have noted that.")
    return ctx.say(f"{lead}\n{behaviour_for(ctx.step).prompt_again(ctx)}")


def not_understood(ctx: StepContext, lead: str = "") -> TurnResult:
    """Say so (or `lead`) and ask the step's question again; too many in a row bring a person.

    Counted per step, in a row: an understood turn resets the count, and another step starts
    its own, so a customer is never handed over for one typo.
    """
    session = ctx.session
    where = f"{session.flow.code}/{ctx.step.code}"
    counted = session.memory.get(UNRECOGNISED) or {}
    count = int(counted.get("count", 0)) + 1 if counted.get("step") == where else 1
    session.memory[UNRECOGNISED] = {"step": where, "count": count}
    ctx.understood = False
    ctx.funnel("not_understood", {"count": count})
    limit = unrecognised_limit()
    with translation.override(ctx.language):
        if count >= limit:
            lead = gettext("Sorry, I still can't understand what you need.")
            return hand_over(ctx, reason="not_understood", lead=lead, detail={"turns": count})
        parts = [lead or gettext("Sorry, I didn't understand that.")]
        if count == limit - 1:
            parts.append(gettext("If you would rather talk to a colleague, just say “agent”."))
    parts.append(behaviour_for(ctx.step).prompt_again(ctx))
    return ctx.say("\n".join(part for part in parts if part))


def hand_over(
    ctx: StepContext,
    *,
    reason: str,
    intent: str | None = None,
    lead: str = "",
    detail: dict[str, Any] | None = None,
) -> TurnResult:
    session = ctx.session
    if takeover.takeover_queue_full(session):
        # The caller already has as many sessions waiting for an agent as it may: the session
        # stays with the AI, which says so and carries on with the step.
        ctx.funnel("handover_refused", {"reason": reason, "why": "queue_full"})
        with translation.override(ctx.language):
            busy = gettext(
                "Our colleagues cannot take another conversation from here right now. "
                "Please ask at the counter, or try again in a few minutes."
            )
        again = ""
        if ctx.step.kind != FlowStep.Kind.HANDOFF:  # a handoff step's prompt is the lead
            again = behaviour_for(ctx.step).prompt_again(ctx)
        return ctx.say("\n".join(part for part in (lead, busy, again) if part))
    session.memory.pop(UNRECOGNISED, None)
    session.status = DialogueSession.Status.HANDED_OVER
    session.save()
    ctx.funnel("handed_over", {"reason": reason, "intent": intent})
    takeover.takeover_request(
        session=session, reason=reason, detail={"intent": intent, **(detail or {})}
    )
    reply = HANDOVER_REPLY[ctx.language if ctx.language in HANDOVER_REPLY else "en"]
    return ctx.say(
        f"{lead}\n{reply}" if lead else reply,
        status=session.status,
        actions=[{"type": "handoff", "reason": reason}],
    )


def _history(session: DialogueSession, turns: int = 6) -> tuple[tuple[str, str], ...]:
    """The conversation before the turn being answered, in the LLM's user/assistant roles."""
    roles = {Turn.Role.CUSTOMER: "user", Turn.Role.ASSISTANT: "assistant"}
    earlier = session.turns.filter(role__in=list(roles))
    # The question itself (given to the engine separately) is written with the reply, after
    # this read; only a turn streamed from a remote model has stored it already.
    question_seq = (turn_memo(session) or {}).get("question_seq")
    if question_seq is not None:
        earlier = earlier.filter(seq__lt=question_seq)
    recent = list(earlier.order_by("-seq").values_list("role", "text")[:turns])
    return tuple((roles[role], text) for role, text in reversed(recent) if text)


# ----------------------------------------------------------------------------- generic kinds


@register_behaviour
class AskBehaviour(StepBehaviour):
    """Collect one of `step.slots`; an optional step is skipped by a non-question answer."""

    name = FlowStep.Kind.ASK

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        step = ctx.step
        filled = sorted(set(step.slots) & set(found))
        if not filled:
            if step.optional and not QUESTION.search(text):
                ctx.funnel("skipped")
                return ctx.enter(ctx.next_step())
            return None
        ctx.funnel("completed", {"slots": filled})
        following = ctx.next_step()
        # Skip asks whose slots the customer already answered in passing.
        while (
            following is not None
            and following.kind == FlowStep.Kind.ASK
            and (set(following.slots) & set(ctx.session.slots))
        ):
            ctx.funnel("prefilled", step=following.code)
            following = ctx.next_step(following)
        return ctx.enter(following)


@register_behaviour
class ConfirmBehaviour(StepBehaviour):
    """Yes moves on, no goes back to the start (or `config.on_no`), anything else is a question."""

    name = FlowStep.Kind.CONFIRM

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if found:
            return self.arrive(ctx)  # corrected: confirm again
        if YES.search(text):
            ctx.funnel("confirmed")
            return ctx.enter(ctx.next_step())
        if NO.search(text):
            ctx.funnel("rejected")
            back = ctx.step.config.get("on_no")
            return ctx.enter(ctx.step_named(back) if back else ctx.first_step())
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "confirm":
            return self.respond(ctx, "yes", {})
        if name == "reject":
            return self.respond(ctx, "no", {})
        return None


@register_behaviour
class HandoffBehaviour(StepBehaviour):
    name = FlowStep.Kind.HANDOFF

    def arrive(self, ctx: StepContext) -> TurnResult:
        return ctx.hand_over(
            ctx.step.config.get("reason", "flow_step"), lead=ctx.step.prompt(ctx.language)
        )


@register_behaviour
class EndBehaviour(StepBehaviour):
    name = FlowStep.Kind.END


# ----------------------------------------------------------------------------- records


def _active_session(
    session_id: Any, held_ok: bool = False, lock_turn: bool = False
) -> DialogueSession:
    sessions = DialogueSession.objects.select_for_update()
    if lock_turn:
        # The turn lock (transaction-level advisory lock, then the row lock) in the statement
        # that reads the session: lock_timeout, set first, bounds the wait for both.
        wait_ms = int(float(getattr(settings, "DIALOGUE_TURN_LOCK_SECONDS", 60)) * 1000)
        sessions = sessions.annotate(
            _lock_timeout=RawSQL("set_config('lock_timeout', %s, true)", [f"{wait_ms}ms"]),
            _turn_lock=RawSQL(
                "pg_advisory_xact_lock(%s, hashtext(%s::text))",
                [TURN_LOCK_NAMESPACE, str(session_id)],
            ),
        )
    try:
        session = attach_flow(sessions.get(pk=session_id))
    except OperationalError as exc:
        if not lock_turn:
            raise
        raise DialogueError(
            "another turn of this session is still being answered; send this one again"
        ) from exc
    allowed = {DialogueSession.Status.ACTIVE}
    if held_ok:
        allowed.add(DialogueSession.Status.HANDED_OVER)
    if session.status not in allowed:
        raise DialogueError(f"the session is {session.status}")
    return session


def _masked_data(data: dict[str, Any]) -> dict[str, Any]:
    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return mask_pii(value).text
        if isinstance(value, dict):
            return {str(key): mask(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mask(item) for item in value]
        return value

    return mask(data)


def _record_customer(
    session: DialogueSession,
    masked: str,
    payload: dict[str, Any] | None = None,
    *,
    gathered: bool = False,
) -> Turn:
    """Count and store the customer's turn (`gathered`: written with the turn's other rows)."""
    if gathered:
        session.turn_count += 1  # the session row is locked; saved with the turn's writes
        return Turn(
            session=session,
            role=Turn.Role.CUSTOMER,
            text=masked,
            step=session.current_step,
            payload=payload or {},
        )
    DialogueSession.objects.filter(pk=session.pk).update(turn_count=F("turn_count") + 1)
    session.refresh_from_db(fields=["turn_count"])
    turn = Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=Turn.Role.CUSTOMER,
        text=masked,
        step=session.current_step,
        payload=payload or {},
    )
    takeover.turn_recorded(turn)
    return turn


def _assistant_turn(session: DialogueSession, result: TurnResult) -> Turn:
    return Turn(
        session=session,
        role=Turn.Role.ASSISTANT,
        text=result.reply,
        step=result.step,
        payload={"actions": result.actions, "sources": result.sources},
    )


def _record_turn(session: DialogueSession, role: str, result: TurnResult) -> Turn:
    turn = Turn.objects.create(
        session=session,
        seq=_next_seq(session),
        role=role,
        text=result.reply,
        step=result.step,
        payload={"actions": result.actions, "sources": result.sources},
    )
    takeover.turn_recorded(turn)
    if session.status in SESSION_ENDED:
        # The reply that ends the session is its last turn: nothing is taken after it.
        events.emit(events.SessionEnded(session_id=session.pk, status=session.status))
    return turn


def _next_seq(session: DialogueSession) -> int:
    last = Turn.objects.filter(session=session).order_by("-seq").values_list("seq", flat=True)
    return (last.first() or 0) + 1


@contextmanager
def _gathered_writes(session: DialogueSession) -> Iterator[list[Turn]]:
    """Gather what a turn writes and write it at the end, in one statement.

    Inside, `session.save()` and `record_funnel` only note the change; the turns appended to
    the yielded list get the next sequence numbers (the session is locked, and every writer of
    turns locks it). On an exception nothing gathered is written.
    """
    pending: list[FunnelEvent] = []
    turns: list[Turn] = []
    session._gathered_funnel = pending  # type: ignore[attr-defined]
    session._turn_memo = {}  # type: ignore[attr-defined]
    session.defer_saves()
    try:
        yield turns
    finally:
        del session._gathered_funnel  # type: ignore[attr-defined]
        del session._turn_memo  # type: ignore[attr-defined]
        dirty = session.stop_deferring_saves()
    if turns:
        for number, turn in enumerate(turns, start=1):
            turn.seq = _next_seq_sql(session, number)
        _write_turn(session if dirty else None, turns, pending)
    else:
        if dirty:
            session.save()
        if pending:
            FunnelEvent.objects.bulk_create(pending)
    for turn in turns:
        takeover.turn_recorded(turn)
    if turns and session.status in SESSION_ENDED:
        # The reply that ends the session is its last turn: nothing is taken after it.
        events.emit(events.SessionEnded(session_id=session.pk, status=session.status))


def _write_turn(
    session: DialogueSession | None, turns: list[Turn], events: list[FunnelEvent]
) -> None:
    """The session's UPDATE, the turns' INSERT and the funnel events' INSERT as one statement.

    One round trip instead of three: the UPDATE and the events' INSERT ride as data-modifying
    WITH clauses of the turns' INSERT, which PostgreSQL runs exactly once each, all or nothing,
    with the statement. The SQL is Django's own for `save()` and `bulk_create()` (field
    conversion, `auto_now`, JSON), only sent together.
    """
    parts: list[tuple[str, tuple[Any, ...]]] = []
    if session is not None:
        parts.append(_update_sql(session))
    if events:
        parts.append(_insert_sql(FunnelEvent, events, returning=False))
    turns_sql, turns_params = _insert_sql(Turn, turns, returning=True)
    clauses = ", ".join(f"w{number} AS ({sql})" for number, (sql, _) in enumerate(parts))
    statement = f"WITH {clauses} {turns_sql}" if parts else turns_sql
    params = [param for _, part_params in parts for param in part_params] + list(turns_params)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        ids = [row[0] for row in cursor.fetchall()]
    for turn, pk in zip(turns, ids, strict=True):
        turn.pk = pk
        turn._state.adding = False
        turn._state.db = connection.alias
    for event in events:
        event._state.adding = False
        event._state.db = connection.alias


def _next_seq_sql(session: DialogueSession, offset: int) -> RawSQL:
    """The session's last sequence number plus `offset`, worked out by the INSERT itself.

    Raw SQL rather than a Subquery expression: Django compiles a subquery again for every row
    of every turn, which cost more than the rest of the turn's write together. The uniq_turn_seq
    index answers the MAX.
    """
    return RawSQL(
        "(SELECT COALESCE(MAX(seq), 0) + %s FROM scenarios_turn WHERE session_id = %s)",
        [offset, session.pk],
    )


def _update_sql(session: DialogueSession) -> tuple[str, tuple[Any, ...]]:
    """What `session.save()` sends (every field; `auto_now` stamped), without sending it."""
    fields = [
        field
        for field in DialogueSession._meta.local_concrete_fields
        if not field.primary_key and not field.generated
    ]
    query = UpdateQuery(DialogueSession)
    query.add_update_fields([(field, None, field.pre_save(session, False)) for field in fields])
    query.add_filter("pk", session.pk)
    return query.get_compiler(connection.alias).as_sql()


def _insert_sql(model: Any, objs: list[Any], *, returning: bool) -> tuple[str, tuple[Any, ...]]:
    """What `model.objects.bulk_create(objs)` sends (new rows, database-assigned ids)."""
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.generated and not isinstance(field, AutoField)
    ]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    query = InsertQuery(model)
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection.alias)
    compiler.returning_fields = [model._meta.pk] if returning else None
    [(sql, params)] = compiler.as_sql()
    return sql, tuple(params)


def turn_memo(session: DialogueSession) -> dict[str, Any] | None:
    """Rows a turn's steps share while the turn holds the session (None outside a turn).

    A turn often reads the same row several times (a step's check, the next step's arrival);
    the first read is kept here and dropped when the turn's writes are made.
    """
    return getattr(session, "_turn_memo", None)


def record_funnel(
    session: DialogueSession, step: str, outcome: str, detail: dict[str, Any] | None = None
) -> None:
    event = FunnelEvent(
        session=session,
        scenario=session.flow.scenario,
        step=step,
        outcome=outcome,
        turn_number=session.turn_count,
        channel=session.channel,
        device_id=session.device_id,
        detail=detail or {},
    )
    gathered = getattr(session, "_gathered_funnel", None)
    if gathered is not None:
        gathered.append(event)
    else:
        event.save()
