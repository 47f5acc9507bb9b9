"""Card activation, step by step: in the mobile app, or at a machine with the avatar.

The guide's steps are data (`card_activation` flow): each `guide_step` names its guide ("app" or
"avatar") and the UI action the device performs (open an app page, light up the card reader, an
avatar gesture) in its settings. A step moves on when the customer says it is done or the device
reports `guide_step_done`; "I can't find it" repeats the step with its hint.
"""

from __future__ import annotations

import re
from typing import Any

from bank_ai.i18n import pick
from scenarios.definitions import flow_definition
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import QUESTION, StepContext
from scenarios.models import FlowStep

APP = re.compile(r"app|手机|应用|客户端|\b(phone|mobile)\b", re.I)
HERE = re.compile(
    r"这里|这台|这儿|现场|柜员机|机器上|你带我|\b(here|this machine|with you|vtm|kiosk)\b", re.I
)
DONE = re.compile(
    r"好了|好的|完成|做好|弄好|下一步|然后呢|\b(ok|okay|done|next|finished|got it|did it)\b", re.I
)
STUCK = re.compile(
    r"找不到|没看到|看不到|不会弄|在哪|怎么弄|没反应|\b(can'?t find|don'?t see|where is|stuck|"
    r"not working|doesn'?t work)\b",
    re.I,
)
TEXT = {
    "app_only": {
        "zh-hans": "我来一步步教您在海港银行App里激活新卡。",
        "en": "I'll walk you through activating your new card in the Harbour Bank app.",
    },
    "which": {
        "zh-hans": "请说“在App里”或“就在这里”。",
        "en": 'Say "in the app" or "here".',
    },
    "when_done": {
        "zh-hans": "完成这一步后告诉我“好了”；遇到问题也可以直接问我。",
        "en": "Tell me when this step is done, or ask me if something is unclear.",
    },
}


def _t(key: str, language: str) -> str:
    return pick(TEXT[key], language)


def guide_steps(ctx: StepContext, guide: str) -> list[FlowStep]:
    return [
        step
        for step in flow_definition(ctx.session.flow_id).steps
        if step.behaviour == ActivationStep.name and step.config.get("guide") == guide
    ]


def avatar_guide_possible(ctx: StepContext) -> bool:
    device = ctx.session.device
    return bool(device is not None and (device.capabilities or {}).get("card_reader"))


@register_behaviour
class ActivationGuideChoice(StepBehaviour):
    """Choose the app guide or the avatar guide (only where the device has a card reader)."""

    name = "activation_guide_choice"

    def arrive(self, ctx: StepContext) -> TurnResult:
        if ctx.session.channel == "app" or not avatar_guide_possible(ctx):
            return self.choose(ctx, "app", lead=_t("app_only", ctx.language), auto=True)
        return ctx.say(
            ctx.step.prompt(ctx.language),
            actions=[
                {
                    "type": "show_options",
                    "event": "choose_guide",
                    "options": [{"code": "app"}, {"code": "avatar"}],
                }
            ],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return _t("which", ctx.language)

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if HERE.search(text):
            return self.choose(ctx, "avatar")
        if APP.search(text):
            return self.choose(ctx, "app")
        if QUESTION.search(text):
            return None
        return ctx.say(_t("which", ctx.language))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        guide = data.get("guide")
        if name != "choose_guide" or guide not in {"app", "avatar"}:
            return None
        if guide == "avatar" and not avatar_guide_possible(ctx):
            return None
        return self.choose(ctx, guide)

    def choose(
        self, ctx: StepContext, guide: str, lead: str = "", auto: bool = False
    ) -> TurnResult:
        steps = guide_steps(ctx, guide)
        ctx.session.memory["activation_guide"] = guide
        ctx.funnel("guide_chosen", {"guide": guide, "auto": auto})
        return ctx.enter(steps[0] if steps else ctx.step_with(kind=FlowStep.Kind.END), lead=lead)


@register_behaviour
class ActivationStep(StepBehaviour):
    """One step of a guide, with the UI action the device performs for it."""

    name = "activation_step"

    def arrive(self, ctx: StepContext) -> TurnResult:
        config = ctx.step.config
        guide = config.get("guide", "app")
        steps = [step.code for step in guide_steps(ctx, guide)]
        actions: list[dict[str, Any]] = [
            {
                "type": "guide_step",
                "guide": guide,
                "step": steps.index(ctx.step.code) + 1 if ctx.step.code in steps else 1,
                "of": len(steps),
                "event": "guide_step_done",
                # What the device does for this step (open an app page, light up a reader).
                "ui": config.get("action") or {},
            }
        ]
        if config.get("avatar"):
            actions.append({"type": "avatar", **config["avatar"]})
        return ctx.say(ctx.step.prompt(ctx.language), actions=actions)

    def prompt_again(self, ctx: StepContext) -> str:
        return f"{ctx.step.prompt(ctx.language)}\n{_t('when_done', ctx.language)}"

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        if STUCK.search(text):
            ctx.funnel("hint_shown")
            hint = pick(ctx.step.config.get("hint"), ctx.language)
            result = self.arrive(ctx)
            result.reply = f"{hint}\n{result.reply}" if hint else result.reply
            return result
        if DONE.search(text) and not QUESTION.search(text):
            return self.done(ctx)
        if QUESTION.search(text):
            return None
        return ctx.say(self.prompt_again(ctx))

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        return self.done(ctx) if name == "guide_step_done" else None

    def done(self, ctx: StepContext) -> TurnResult:
        ctx.funnel("completed")
        steps = guide_steps(ctx, ctx.step.config.get("guide", "app"))
        later = [step for step in steps if step.position > ctx.step.position]
        return ctx.enter(later[0] if later else ctx.step_with(kind=FlowStep.Kind.END))
