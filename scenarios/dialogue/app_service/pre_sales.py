"""Pre-sales: what the chosen business needs, then a walk through it step by step with deep
links into the app's screens. Requirements and steps come from the module's process guide in
the knowledge base, so what the customer is told is what editors publish (and is cited)."""

from __future__ import annotations

from typing import Any

from bank_ai.i18n import pick
from scenarios.dialogue.app_service.common import (
    BACK,
    NEXT,
    STOP,
    guide_page,
    join,
    page_source,
    text,
)
from scenarios.dialogue.app_service.locate import chosen_module
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, StepContext


def _wants_to_stop(words: str) -> bool:
    return bool(STOP.search(words) or (NO.search(words) and not QUESTION.search(words)))


def _goes_on(words: str) -> bool:
    return bool((YES.search(words) or NEXT.search(words)) and not QUESTION.search(words))


@register_behaviour
class ModuleRequirements(StepBehaviour):
    """Materials, steps and time of the chosen business, cited from its guide; then "shall we
    go through it together?"."""

    name = "module_requirements"

    def arrive(self, ctx: StepContext) -> TurnResult:
        module = chosen_module(ctx)
        page = guide_page(module["guide"], ctx.language)
        if page is None:
            # The guide was unpublished meanwhile: a colleague can still help.
            return ctx.hand_over("guide_unavailable")
        steps = [block.value["title"] for block in page.steps]
        materials = [block.value for block in page.materials]
        ctx.session.memory["guide_total"] = len(steps)
        timeline = text(ctx, "timeline", timeline=page.timeline) if page.timeline else ""
        summary = text(
            ctx,
            "summary",
            title=pick(module["name"], ctx.language),
            materials=join(materials, ctx.language) or "—",
            count=len(steps),
            steps=join(steps, ctx.language),
        )
        reply = "\n".join(
            part for part in (summary, timeline, ctx.step.prompt(ctx.language)) if part
        )
        return ctx.say(
            reply,
            sources=[page_source(page)],
            actions=[
                {
                    "type": "show_requirements",
                    "module": module["code"],
                    "materials": materials,
                    "steps": steps,
                    "timeline": page.timeline,
                    "channels": list(page.channels),
                    "deep_link": module["link"],
                }
            ],
        )

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        if _wants_to_stop(words):
            ctx.funnel("guide_declined")
            rating = ctx.step_with(behaviour="satisfaction")
            return ctx.enter(rating, text(ctx, "declined"))
        if _goes_on(words):
            ctx.funnel("completed")
            return ctx.enter(ctx.next_step())
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "start_guide":
            return self.respond(ctx, "ok", {})
        if name == "decline_guide":
            return self.respond(ctx, "stop", {})
        return None

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language)


@register_behaviour
class GuidedSteps(StepBehaviour):
    """One guide step at a time, each with a deep link into the right screen of the app
    (the module's `step_links`, else its `link`)."""

    name = "guided_steps"

    def arrive(self, ctx: StepContext) -> TurnResult:
        ctx.session.memory["guide_step"] = 1
        return self.show(ctx)

    def show(self, ctx: StepContext, lead: str = "") -> TurnResult:
        module = chosen_module(ctx)
        page = guide_page(module["guide"], ctx.language)
        if page is None:
            return ctx.hand_over("guide_unavailable")
        steps = list(page.steps)
        n = min(max(ctx.session.memory.get("guide_step", 1), 1), len(steps))
        ctx.session.memory.update(guide_step=n, guide_total=len(steps))
        step = steps[n - 1].value
        link = module.get("step_links", {}).get(str(n)) or module["link"]
        reply = text(ctx, "step", n=n, total=len(steps), title=step["title"], detail=step["detail"])
        return ctx.say(
            f"{lead}\n{reply}" if lead else reply,
            sources=[page_source(page)],
            actions=[
                # The avatar protocol's guided step: its button sends ui.event "confirm".
                {
                    "type": "guide_step",
                    "guide": module["code"],
                    "step": ctx.step.code,
                    "index": n,
                    "total": len(steps),
                    "title": step["title"],
                    "body": step["detail"],
                    "confirm_label": text(ctx, "confirm_label"),
                },
                {
                    "type": "deep_link",
                    "url": link,
                    "label": step["title"],
                    "step": n,
                    "of": len(steps),
                },
            ],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return self.show(ctx).reply

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        if BACK.search(words):
            return self.move(ctx, -1)
        if STOP.search(words):
            ctx.funnel("guide_stopped", {"at": ctx.session.memory.get("guide_step")})
            return ctx.enter(ctx.next_step(), text(ctx, "stopped"))
        if _goes_on(words):
            return self.move(ctx, +1)
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        # "confirm" is the avatar protocol's guide_step button; step_done/step_back the app's.
        if name not in {"step_done", "confirm", "step_back"}:
            return None
        if data.get("step") not in (None, ctx.session.memory.get("guide_step", 1)):
            return None  # a late tap on a step the customer has already left
        return self.move(ctx, -1 if name == "step_back" else +1)

    def move(self, ctx: StepContext, by: int) -> TurnResult:
        memory = ctx.session.memory
        current = memory.get("guide_step", 1)
        total = memory.get("guide_total") or current
        if by > 0:
            ctx.funnel("guide_step_done", {"n": current, "of": total})
            if current >= total:
                ctx.funnel("completed")
                return ctx.enter(ctx.next_step(), text(ctx, "done"))
        else:
            ctx.funnel("guide_back", {"n": current})
        memory["guide_step"] = max(current + by, 1)
        return self.show(ctx)
