"""Closing both app service flows: a satisfaction score (1–5 and a comment), then the end
of the session, completed or handed over, with the handling time on record."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from scenarios.dialogue.app_service.common import (
    SKIP_RATING,
    masked_comment,
    parse_rating,
    text,
)
from scenarios.dialogue.base import StepBehaviour, TurnResult, register_behaviour
from scenarios.dialogue.engine import QUESTION, StepContext
from scenarios.models import DialogueSession

RATING_ACTION = {"type": "rating", "scale": [1, 5]}


@register_behaviour
class Satisfaction(StepBehaviour):
    name = "satisfaction"

    def arrive(self, ctx: StepContext) -> TurnResult:
        if ctx.session.funnel_events.filter(outcome="rated").exists():
            # Rated already through POST /api/sessions/<id>/rating/: not asked twice.
            return ctx.enter(ctx.next_step())
        return ctx.say(ctx.step.prompt(ctx.language), actions=[RATING_ACTION])

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        score, comment = parse_rating(words)
        if score is not None:
            return self.rate(ctx, score, comment)
        if SKIP_RATING.search(words):
            return self.skip(ctx)
        if QUESTION.search(words):
            return None
        return ctx.say(text(ctx, "again"), actions=[RATING_ACTION])

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "skip_rating":
            return self.skip(ctx)
        score = data.get("score")
        if name != "rate" or isinstance(score, bool) or not isinstance(score, int):
            return None
        if not 1 <= score <= 5:
            return None
        comment = data.get("comment", "")
        return self.rate(ctx, score, comment if isinstance(comment, str) else "")

    def rate(self, ctx: StepContext, score: int, comment: str) -> TurnResult:
        # The same record as POST /api/sessions/<id>/rating/ (a `rated` funnel event, once),
        # so the funnel report's satisfaction covers every scenario alike.
        from scenarios.services import RatingError, session_rate

        comment = masked_comment(comment)
        try:
            session_rate(session=ctx.session, score=score, comment=comment)
        except RatingError:
            pass  # rated meanwhile through the rating endpoint: that rating stands
        else:
            ctx.session.memory["satisfaction"] = {"score": score, "comment": comment}
        return ctx.enter(ctx.next_step())

    def skip(self, ctx: StepContext) -> TurnResult:
        ctx.funnel("rating_skipped")
        return ctx.enter(ctx.next_step())

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language)


@register_behaviour
class ServiceEnd(StepBehaviour):
    name = "service_end"

    def arrive(self, ctx: StepContext) -> TurnResult:
        session = ctx.session
        seconds = int((timezone.now() - session.created_at).total_seconds())
        handoff = session.memory.get("handoff")
        ctx.funnel(
            "service_closed",
            {
                "handling_seconds": seconds,
                "result": "handed_over" if handoff else "completed",
                "score": _score(session),
            },
        )
        reply = ctx.step.prompt(ctx.language)
        actions: list[dict[str, Any]] = []
        if handoff:
            session.status = DialogueSession.Status.HANDED_OVER
            reply = f"{reply}\n{text(ctx, 'handing_over')}"
            actions.append({"type": "handoff", "reason": handoff})
        else:
            session.status = DialogueSession.Status.COMPLETED
            ctx.funnel("completed", {"handling_seconds": seconds})
        return ctx.say(reply, actions=actions, status=session.status)


def _score(session: DialogueSession) -> int | None:
    rated = session.funnel_events.filter(outcome="rated").order_by("-id").first()
    return rated.detail.get("score") if rated else None
