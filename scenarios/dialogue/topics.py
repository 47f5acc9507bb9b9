"""Switching topic in the middle of a flow, and coming back to it.

A flow lists trigger phrases (`Flow.triggers`). When a customer's turn names another flow's
trigger, the current flow is paused: its flow, step and slots go on a stack in the session's
memory, and the other flow starts. When that flow ends, or when the customer asks to go back
("继续申请", "back to my application"), the paused flow resumes on the same step with its slots,
and the step asks its question again. Memory (the chosen card, the application) is shared, so
nothing done in either flow is lost. Paused flows survive restarts like the rest of the session.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bank_ai.i18n import localised
from scenarios.definitions import active_flows, flow_definition, flow_named
from scenarios.dialogue.base import DeltaSink, TurnResult, behaviour_for
from scenarios.models import DialogueSession, Flow, Turn

if TYPE_CHECKING:
    from scenarios.dialogue.engine import StepContext

STACK = "paused_flows"
MAX_DEPTH = 3
RESUME = re.compile(
    r"继续|接着|回到|返回|\b(back to|resume|continue|carry on|go back|return to)\b", re.I
)
RESUME_TARGET = re.compile(
    r"刚才|之前|原来|申请|办卡|\b(previous|earlier|where we (were|left)|application|applying)\b",
    re.I,
)
RESUME_LEAD = {
    "zh-hans": "好的，我们回到刚才的「{name}」。",
    "en": "Sure, back to where we were ({name}).",
}


def _mentions(text: str, phrase: str) -> bool:
    phrase = phrase.strip().lower()
    if not phrase:
        return False
    if phrase.isascii():
        return _whole_words(phrase).search(text.lower()) is not None
    return phrase in text


@lru_cache(maxsize=4096)
def _whole_words(phrase: str) -> re.Pattern[str]:
    # Every turn checks every flow's triggers: each pattern is built once per process.
    return re.compile(rf"(?<![a-z]){re.escape(phrase)}(?![a-z])")


def _trigger_length(flow: Flow, text: str) -> int:
    """The length of the longest trigger of `flow` the text mentions (0: none)."""
    phrases = [phrase for values in (flow.triggers or {}).values() for phrase in values]
    return max((len(phrase) for phrase in phrases if _mentions(text, phrase)), default=0)


def triggered_flow(session: DialogueSession, text: str) -> Flow | None:
    best: tuple[int, str, Flow] | None = None
    for flow in active_flows():
        if flow.pk == session.flow_id:
            continue
        if flow.requires_customer and session.customer_id is None:
            continue
        length = _trigger_length(flow, text)
        if length and (best is None or (length, flow.code) > best[:2]):
            best = (length, flow.code, flow)
    return best[2] if best else None


def route(ctx: StepContext, text: str) -> TurnResult | None:
    """Resume a paused flow or switch to another one if the turn asks for it; else None."""
    if ctx.step.config.get("keep_topic"):
        # A step whose job is to understand what the customer wants (the app service's
        # "describe" and "confirm") reads the turn itself instead of being routed away.
        return None
    session = ctx.session
    stack: list[dict[str, Any]] = session.memory.get(STACK, [])
    if stack and RESUME.search(text):
        paused = flow_named(stack[-1]["flow"])
        if RESUME_TARGET.search(text) or (paused and _trigger_length(paused, text)):
            ctx.funnel("left", {"back_to": stack[-1]["flow"]})
            return _resume(session, on_delta=ctx.on_delta)
    target = triggered_flow(session, text)
    if target is None:
        return None
    if any(entry["flow"] == target.code for entry in stack):
        # Asking for a paused flow by name goes back to it (leaving what is in between).
        ctx.funnel("left", {"back_to": target.code})
        while stack[-1]["flow"] != target.code:
            stack.pop()
        return _resume(session, on_delta=ctx.on_delta)
    if len(stack) >= MAX_DEPTH:
        return None
    first = flow_definition(target).first()
    if first is None:
        return None
    ctx.funnel("paused", {"for": target.code})
    stack.append({"flow": session.flow.code, "step": session.current_step, "slots": session.slots})
    session.memory[STACK] = stack
    session.flow = target
    session.slots = {}
    from scenarios.dialogue.engine import StepContext, enter_step

    arrived = enter_step(session, first, on_delta=ctx.on_delta)
    # The turn that named the topic may already say what is wanted ("上个月账单"): the new
    # flow's step answers it if it can, else its greeting stands.
    if session.status != DialogueSession.Status.ACTIVE or session.flow_id != target.pk:
        return arrived
    step = flow_definition(target).step(session.current_step)
    answer = behaviour_for(step).respond(
        StepContext(session=session, step=step, on_delta=ctx.on_delta), text, {}
    )
    return answer if answer is not None else arrived


def resume_after_detour(
    session: DialogueSession, lead: str, on_delta: DeltaSink | None
) -> TurnResult | None:
    """The flow just ended; if it was a detour, go back to the paused one instead of ending."""
    if not session.memory.get(STACK):
        return None
    from scenarios.dialogue.engine import record_funnel

    record_funnel(session, session.current_step, "completed")
    return _resume(session, lead=lead, on_delta=on_delta)


def _resume(session: DialogueSession, *, lead: str = "", on_delta: DeltaSink | None) -> TurnResult:
    from scenarios.dialogue.engine import StepContext, record_funnel

    entry = session.memory[STACK].pop()
    paused = flow_named(entry["flow"])
    if paused is None:
        raise Flow.DoesNotExist(f"no flow {entry['flow']!r}")
    session.flow = paused
    session.current_step = entry["step"]
    session.slots = entry["slots"]
    step = flow_definition(paused).step(entry["step"])
    ctx = StepContext(session=session, step=step, on_delta=on_delta)
    record_funnel(session, step.code, "resumed")
    template = RESUME_LEAD.get(session.language, RESUME_LEAD["en"])
    back = template.format(name=localised(session.flow, "name", session.language))
    result = behaviour_for(step).resume(ctx)
    if not result.actions:
        # The device needs its widgets back (the card list, the upload form...).
        last = (
            session.turns.filter(role=Turn.Role.ASSISTANT, step=step.code).order_by("-seq").first()
        )
        result.actions = list((last.payload or {}).get("actions", [])) if last else []
    result.reply = "\n".join(part for part in (lead, back, result.reply) if part)
    session.save()
    return result


def continue_in_flow(ctx: StepContext, code: str, lead: str = "") -> TurnResult:
    """Go on in another flow for good (the journey's next chapter), not as a detour."""
    from scenarios.dialogue.engine import enter_step

    target = flow_named(code, active=True)
    if target is None:
        raise Flow.DoesNotExist(f"no active flow {code!r}")
    ctx.session.flow = target
    ctx.session.slots = {}
    return enter_step(
        ctx.session, flow_definition(target).first(), lead=lead, on_delta=ctx.on_delta
    )
