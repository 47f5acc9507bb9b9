"""After-sales: the knowledge base's answer to the confirmed problem, with its sources and
related questions; then "did that solve it?" — no hands the customer to a colleague, right
after they have rated the service."""

from __future__ import annotations

from typing import Any

from scenarios.dialogue.app_service.common import RESOLVED, UNRESOLVED, text
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, StepContext, generation_hook
from scenarios.dialogue.locating import numbered


@register_behaviour
class ProblemAnswer(StepBehaviour):
    name = "problem_answer"

    def arrive(self, ctx: StepContext) -> TurnResult:
        from bank_ai.ai.engine import Answer, AskContext, stream_answer

        session = ctx.session
        chosen = session.memory["chosen"]
        answer: Answer | None = None
        # The confirmed page's title is the editor's canonical question: asking it gets the
        # curated answer where there is one, and the engine audits it like any answer.
        for event in stream_answer(
            chosen["title"],
            AskContext(
                language=ctx.language,
                channel=session.channel,
                touchpoint_id=session.device_id,
                user=session.user,
                session_ref=str(session.pk),
                on_generation=generation_hook(ctx.on_delta),
            ),
        ):
            if isinstance(event, Answer):
                answer = event
            elif ctx.on_delta is not None:
                ctx.on_delta(event.text)
        assert answer is not None
        ctx.funnel("answered", {"answer_kind": answer.kind, "audit": answer.audit_id})
        if answer.kind in {"handoff", "not_found", "refused"}:
            return self.hand_over_after_rating(ctx, f"engine_{answer.kind}", lead=answer.text)
        related = answer.related_questions
        follow = [ctx.step.prompt(ctx.language)]
        if related:
            follow.insert(0, text(ctx, "related", questions=numbered(related, ctx.language)))
        tail = "\n".join(follow)
        if ctx.on_delta is not None:
            ctx.on_delta(f"\n\n{tail}")
        return ctx.say(
            f"{answer.text}\n\n{tail}",
            sources=answer.sources,
            actions=[
                {"type": "related_questions", "questions": related},
                {"type": "confirm", "question": "resolved"},
            ],
            sentiment=answer.sentiment,
            rephrase=False,  # the AI core's answer, cited as it is
        )

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        said_yes = YES.search(words) or RESOLVED.search(words)
        said_no = NO.search(words) or UNRESOLVED.search(words)
        if QUESTION.search(words) and not (said_yes or said_no):
            return None  # a follow-up or a related question: answered, then asked again
        if said_no:
            ctx.funnel("unresolved")
            return self.hand_over_after_rating(ctx, "unresolved")
        if said_yes:
            ctx.funnel("resolved")
            return ctx.enter(ctx.next_step())
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "resolved":
            return self.respond(ctx, "yes", {})
        if name == "unresolved":
            return self.respond(ctx, "no", {})
        return None

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language)

    def hand_over_after_rating(self, ctx: StepContext, reason: str, lead: str = "") -> TurnResult:
        ctx.session.memory["handoff"] = reason
        # On record at once (the agents' queue and the KPIs see it); the session becomes
        # "handed over" as soon as the customer has rated or skipped the rating.
        ctx.funnel("handed_over", {"reason": reason})
        reply = text(ctx, "handoff_then_rate")
        ctx.rest_on(ctx.next_step())
        ctx.funnel("entered")
        return ctx.say(
            f"{lead}\n{reply}" if lead else reply,
            actions=[
                {"type": "handoff", "reason": reason, "after": "rating"},
                {"type": "rating", "scale": [1, 5]},
            ],
        )
