"""The super teller on a VTM: locate the need, then guide step by step through a self-service flow.

The `super_teller` flow's `teller_locate` step matches what the customer says against the
guides listed in its `config["guides"]` (each a flow of its own, e.g. `vtm_card_loss`, with
keywords and intent codes); `teller_confirm` confirms and switches the session to that guide
flow. Each guide step (`guide_step`) sends a `guide_step` UI action naming the device action
(insert_card, scan_id, enter_pin, print, confirm_amount, ...) and waits for the device's
`step.confirmed` / `step.failed` event; `config["max_failures"]` failures in a row hand the
session to a person. All the text is data (flow step prompts and config, zh/en).
"""

from __future__ import annotations

import re
from typing import Any

from bank_ai.i18n import localised, pick
from scenarios.definitions import flow_definition, flow_named
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, ConfirmBehaviour, StepContext
from scenarios.dialogue.locating import PROCESS_QUESTION, LocateStep, Option, step_text
from scenarios.models import Flow, FlowStep

CONFIRMED = {"step.confirmed", "confirm"}
FAILED = {"step.failed", "fail"}
DEFAULT_MAX_FAILURES = 2
# A customer telling the avatar the machine did not take it counts as a failed attempt.
FAILURE_WORDS = re.compile(
    r"不行|失败|出错|错误|插不进|读不出|读不了|没反应|卡住|打不出|"
    r"(does ?n[o']t|did ?n[o']t|won'?t) work|not working|failed|error|stuck|rejected",
    re.IGNORECASE,
)
RETRY_LEAD = {
    "zh-hans": "没关系，我们再试一次。",
    "en": "No problem, let's try that once more.",
}
FAILURE_LEAD = {
    "zh-hans": "这一步好像一直不太顺利。",
    "en": "This step keeps failing.",
}


def _guides(ctx: StepContext) -> list[dict[str, Any]]:
    return [g for g in ctx.step.config.get("guides", []) if isinstance(g, dict) and g.get("flow")]


def _guide_flows(ctx: StepContext) -> dict[str, Flow]:
    codes = [guide["flow"] for guide in _guides(ctx)]
    flows = (flow_named(code, active=True) for code in codes)
    return {flow.code: flow for flow in flows if flow is not None}


def _guide_options(ctx: StepContext) -> list[Option]:
    flows = _guide_flows(ctx)
    return [
        Option(
            key=guide["flow"],
            label=localised(flows[guide["flow"]], "name", ctx.language),
            names=(flows[guide["flow"]].name_zh, flows[guide["flow"]].name_en),
            keywords={str(k): list(v) for k, v in guide.get("keywords", {}).items()},
            intents=tuple(guide.get("intents", ())),
            value=flows[guide["flow"]],
        )
        for guide in _guides(ctx)
        if guide["flow"] in flows
    ]


@register_behaviour
class TellerLocate(LocateStep):
    """Which self-service guide does the customer need? Unsure offers the closest ones."""

    name = "teller_locate"
    offered_memory = "offered_guides"
    choose_event = "choose_guide"
    option_field = "guide"
    max_offered_unmatched = None  # nothing matched: every guide is offered

    def options(self, ctx: StepContext) -> list[Option]:
        return _guide_options(ctx)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        options = self.options(ctx)
        result = self.pick_offered(ctx, text, options)
        if result is not None:
            return result
        if PROCESS_QUESTION.search(text) and QUESTION.search(text):
            return None  # "转账限额是多少？": answered from knowledge, then asked again
        return self.decide(ctx, text, options, self.match(ctx, text, options))

    def chosen(self, ctx: StepContext, option: Option, detail: dict[str, Any]) -> TurnResult:
        ctx.session.memory["guide"] = option.key
        ctx.funnel("need_located", {"guide": option.key, **detail})
        return ctx.enter(ctx.next_step())


def guide_steps(flow: Flow) -> list[FlowStep]:
    return [step for step in flow_definition(flow).steps if step.behaviour == GuideStep.name]


@register_behaviour
class TellerConfirm(ConfirmBehaviour):
    """ "Report a lost card, 4 steps: shall we start?" Yes switches the session to the guide."""

    name = "teller_confirm"

    def _guide(self, ctx: StepContext) -> Flow | None:
        code = ctx.session.memory.get("guide")
        return flow_named(code, active=True) if code else None

    def arrive(self, ctx: StepContext) -> TurnResult:
        guide = self._guide(ctx)
        if guide is None:
            return ctx.enter(ctx.first_step())
        reply = (
            ctx.step.prompt(ctx.language)
            .replace("{guide}", localised(guide, "name", ctx.language))
            .replace("{total}", str(len(guide_steps(guide))))
        )
        return ctx.say(reply)

    def prompt_again(self, ctx: StepContext) -> str:
        return self.arrive(ctx).reply

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if YES.search(text) and not NO.search(text):
            guide = self._guide(ctx)
            first = flow_definition(guide).first() if guide else None
            if first is None:
                return ctx.enter(ctx.first_step())
            ctx.funnel("guide_started", {"guide": guide.code})
            ctx.session.memory["guide_failures"] = 0
            ctx.session.flow = guide
            return ctx.enter(first)
        return super().respond(ctx, text, found)


@register_behaviour
class GuideStep(StepBehaviour):
    """One step the customer does at the machine; the device confirms (or reports a failure)."""

    name = "guide_step"

    def action(self, ctx: StepContext) -> dict[str, Any]:
        config, language = ctx.step.config, ctx.language
        steps = guide_steps(ctx.flow)
        index = next((n for n, s in enumerate(steps, start=1) if s.pk == ctx.step.pk), 1)
        instruction = ctx.step.prompt(language)
        return {
            "type": "guide_step",
            "guide": ctx.flow.code,
            "guide_title": localised(ctx.flow, "name", language),
            "step": ctx.step.code,
            "index": index,
            "total": len(steps),
            "title": pick(config.get("title"), language, ""),
            "instruction": instruction,
            "body": instruction,
            "device_action": config.get("device_action", "confirm"),
            "confirm_label": pick(config.get("confirm_label"), language, ""),
            "attempt": int(ctx.session.memory.get("guide_failures", 0)) + 1,
        }

    def arrive(self, ctx: StepContext) -> TurnResult:
        ctx.session.memory["guide_failures"] = 0
        return ctx.say(ctx.step.prompt(ctx.language), actions=[self.action(ctx)])

    def resume(self, ctx: StepContext) -> TurnResult:
        """After a human hand-back the machine shows the step again, with fresh attempts."""
        return self.arrive(ctx)

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name in CONFIRMED:
            ctx.funnel(
                "step_confirmed", {"attempts": ctx.session.memory.get("guide_failures", 0) + 1}
            )
            ctx.session.memory["guide_failures"] = 0
            return ctx.enter(ctx.next_step())
        if name in FAILED:
            return self.failed(ctx, str(data.get("reason", ""))[:200])
        return None

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if FAILURE_WORDS.search(text) and not QUESTION.search(text):
            return self.failed(ctx, "customer_said")
        return None  # a question: answered from knowledge, then the step is shown again

    def failed(self, ctx: StepContext, reason: str) -> TurnResult:
        session, language = ctx.session, ctx.language
        failures = int(session.memory.get("guide_failures", 0)) + 1
        session.memory["guide_failures"] = failures
        ctx.funnel("step_failed", {"failures": failures, "reason": reason})
        limit = int(ctx.step.config.get("max_failures", DEFAULT_MAX_FAILURES))
        if failures >= limit:
            lead = step_text(ctx, "failed") or FAILURE_LEAD.get(language, FAILURE_LEAD["en"])
            return ctx.hand_over("repeated_failure", lead=lead)
        lead = step_text(ctx, "retry") or RETRY_LEAD.get(language, RETRY_LEAD["en"])
        return ctx.say(f"{lead}\n{ctx.step.prompt(language)}", actions=[self.action(ctx)])

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language)


@register_behaviour
class GuideDone(StepBehaviour):
    """The last step of a guide (kind end): says what happens next and closes the guide."""

    name = "guide_done"

    def arrive(self, ctx: StepContext) -> TurnResult:
        ctx.funnel("guide_completed", {"guide": ctx.flow.code})
        return ctx.say(
            ctx.step.prompt(ctx.language),
            actions=[
                {
                    "type": "guide_done",
                    "guide": ctx.flow.code,
                    "title": localised(ctx.flow, "name", ctx.language),
                }
            ],
        )
