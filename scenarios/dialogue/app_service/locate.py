"""Locating what the customer means, and confirming it: a business module of the app
(pre-sales) or the knowledge page about their problem (after-sales).

The candidates are scored here (paraphrases, retrieval of process guides and knowledge pages,
the intent classifier); offering the others numbered after a "no" and picking one by title,
number or ordinal is the shared `scenarios.dialogue.locating` component."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from bank_ai.ai.masking import mask_pii
from bank_ai.i18n import pick
from scenarios.dialogue.app_service.common import (
    Candidate,
    retrieve,
    text,
)
from scenarios.dialogue.base import StepBehaviour, TurnResult, behaviour_for, register_behaviour
from scenarios.dialogue.engine import NO, QUESTION, YES, StepContext
from scenarios.dialogue.locating import Option, numbered, picked

MAX_LOCATE_TRIES = 2
MAX_CANDIDATES = 3


class Locate(StepBehaviour):
    """The customer describes what they want; the best few matches are kept and the first is
    confirmed next. Failing twice hands the conversation to a colleague."""

    def candidates(self, ctx: StepContext, words: str) -> list[Candidate]:
        raise NotImplementedError

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        return self.locate(ctx, words)

    def locate(
        self, ctx: StepContext, words: str, candidates: list[Candidate] | None = None
    ) -> TurnResult:
        session = ctx.session
        describe = ctx.step_with(behaviour=self.name)
        if candidates is None:
            candidates = self.candidates(ctx, words)
        candidates = candidates[:MAX_CANDIDATES]
        session.memory["description"] = mask_pii(words).text[:500]
        if not candidates:
            tries = session.memory.get("locate_failures", 0) + 1
            session.memory["locate_failures"] = tries
            ctx.funnel("not_located", {"tries": tries}, step=describe.code)
            if tries >= MAX_LOCATE_TRIES:
                return ctx.hand_over("not_located")
            ctx.rest_on(describe)
            return ctx.say(text(ctx, "not_located", describe))
        session.memory["candidates"] = [c.as_dict() for c in candidates]
        session.memory["chosen"] = candidates[0].as_dict()
        session.memory.pop("offering", None)
        ctx.funnel("located", candidates[0].as_dict(), step=describe.code)
        return ctx.enter(ctx.next_step(describe))


# How the three signals of a business module are weighed (calibrated on the demo bank's
# modules with tests/app_service): paraphrase match against the module's phrases, retrieval
# of its process guide, and the intent classifier naming one of the module's intents (in
# proportion to its confidence; a classification it is unsure of adds nothing).
MATCH_WEIGHT = 0.6
RETRIEVAL_WEIGHT = 0.4
INTENT_WEIGHT = 0.5
INTENT_TIE_MARGIN = 0.1
DEFAULT_THRESHOLD = 0.4


@register_behaviour
class LocateModule(Locate):
    """Pre-sales: the app's business modules (the step's `modules` setting: name, examples,
    intents, the process guide that explains it, deep links)."""

    name = "locate_module"

    def candidates(self, ctx: StepContext, words: str) -> list[Candidate]:
        modules = modules_of(ctx)
        if not modules:
            return []
        masked = mask_pii(words).text
        matched = self._paraphrase_scores(ctx, masked, modules)
        retrieved = self._retrieval_scores(ctx, masked, modules)
        intent = _confident_intent(masked)
        threshold = float(ctx.step.config.get("threshold", DEFAULT_THRESHOLD))
        base = {
            module["code"]: MATCH_WEIGHT * matched.get(module["code"], 0.0)
            + RETRIEVAL_WEIGHT * retrieved.get(module["code"], 0.0)
            for module in modules
        }
        lead = max(base.values())
        scored = []
        for module in modules:
            code = module["code"]
            score = base[code]
            # The classifier lifts weak matches and breaks near-ties, but never overturns a
            # clear lead: it knows "apply for a card" and not "cancel a card", for one.
            named = intent is not None and intent[0] in module.get("intents", ())
            if named and score >= lead - INTENT_TIE_MARGIN:
                score += INTENT_WEIGHT * intent[1]
            if score >= threshold:
                scored.append(Candidate(code, pick(module["name"], ctx.language), score))
        return sorted(scored, key=lambda c: -c.similarity)

    def _paraphrase_scores(
        self, ctx: StepContext, words: str, modules: list[dict[str, Any]]
    ) -> dict[str, float]:
        from bank_ai.ai.matching import QuestionMatcher
        from bank_ai.ai.runtime import get_embedder
        from scenarios.dialogue.app_service.common import guide_page

        phrases: list[tuple[str, str]] = []
        for module in modules:
            own = [
                pick(module["name"], ctx.language),
                *pick(module.get("examples"), ctx.language, []),
            ]
            page = guide_page(module["guide"], ctx.language)
            if page is not None:
                own += [page.title, *page.question_variants()]
            phrases += [(module["code"], phrase) for phrase in own if phrase]
        matcher = QuestionMatcher(get_embedder())
        features = matcher.features_many([(words, p) for _c, p in phrases])
        best: dict[str, float] = {}
        for (code, _phrase), feature in zip(phrases, features, strict=True):
            # The matcher's penalties guard FAQ answers against near misses; describing a
            # need in more words than the example is not a near miss, so cosine counts too.
            score = max(matcher.combine(feature), feature.cosine)
            best[code] = max(best.get(code, -1.0), score)
        return best

    def _retrieval_scores(
        self, ctx: StepContext, words: str, modules: list[dict[str, Any]]
    ) -> dict[str, float]:
        from wagtail.models import Page

        by_guide = {module["guide"]: module["code"] for module in modules}
        passages = retrieve(ctx, words, ("guide",))
        slugs = dict(
            Page.objects.filter(pk__in={p.page_id for p in passages}).values_list("pk", "slug")
        )
        best: dict[str, float] = {}
        for passage in passages:
            code = by_guide.get(slugs.get(passage.page_id, ""))
            if code is not None:
                best[code] = max(best.get(code, 0.0), passage.similarity)
        return best


def _confident_intent(words: str) -> tuple[str, float] | None:
    from bank_ai.ai.intents import NoIntentModel, classify_intent

    try:
        intent = classify_intent(words)
    except NoIntentModel:
        return None
    if intent.intent is None or intent.out_of_scope or intent.needs_clarification:
        return None
    return intent.intent, intent.confidence


def candidate_option(candidate: dict[str, Any]) -> Option:
    """A located candidate (as kept in the session's memory) as an option to pick."""
    return Option(
        key=candidate["key"],
        label=candidate["title"],
        names=(candidate["title"],),
        value=candidate,
    )


def modules_of(ctx: StepContext) -> list[dict[str, Any]]:
    describe = ctx.step_with(behaviour=LocateModule.name)
    return list(describe.config.get("modules", [])) if describe else []


def chosen_module(ctx: StepContext) -> dict[str, Any]:
    code = ctx.session.memory.get("chosen", {}).get("key")
    return next(module for module in modules_of(ctx) if module["code"] == code)


@register_behaviour
class LocateProblem(Locate):
    """After-sales: the public knowledge page (of the step's `page_types`) about the problem."""

    name = "locate_problem"

    def candidates(self, ctx: StepContext, words: str) -> list[Candidate]:
        page_types = tuple(ctx.step.config.get("page_types", ())) or None
        masked = mask_pii(words).text
        found: dict[str, Candidate] = {}
        curated = self._curated(ctx, masked) if page_types is None or "faq" in page_types else None
        if curated is not None:
            found[curated.key] = curated
        for passage in retrieve(ctx, masked, page_types):
            key = str(passage.page_id)
            if (
                passage.page_id
                and key not in found
                and passage.similarity >= settings.RETRIEVAL_MIN_SIMILARITY
            ):
                found[key] = Candidate(key, passage.title, passage.similarity)
        return list(found.values())

    def _curated(self, ctx: StepContext, words: str) -> Candidate | None:
        """An FAQ whose editor-written question variants match the description: the surest
        sign of a known problem, so it is offered first."""
        from bank_ai.ai.engine import AskContext, match_curated
        from bank_ai.ai.runtime import get_embedder

        vector = get_embedder().embed_queries([words])[0]
        context = AskContext(language=ctx.language, channel=ctx.session.channel)
        best = match_curated(words, vector, context, ctx.language)
        if best is None or best[1] < settings.CURATED_MATCH_THRESHOLD:
            return None
        faq, score = best
        return Candidate(str(faq.page_id), faq.title, score)


@register_behaviour
class ConfirmChoice(StepBehaviour):
    """ "Is it X?" — yes moves on; no offers the other matches, or takes a new description."""

    name = "confirm_choice"

    def arrive(self, ctx: StepContext) -> TurnResult:
        chosen = ctx.session.memory["chosen"]
        return ctx.say(
            ctx.step.prompt(ctx.language).replace("{title}", chosen["title"]),
            actions=[{"type": "confirm", "title": chosen["title"], "key": chosen["key"]}],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        if ctx.session.memory.get("offering"):
            return self._offer(ctx).reply
        return self.arrive(ctx).reply

    def respond(self, ctx: StepContext, words: str, found: dict[str, Any]) -> TurnResult | None:
        memory = ctx.session.memory
        if memory.get("offering"):
            picked = self._picked(words, memory.get("candidates", [])[1:])
            if picked is not None:
                return self._choose(ctx, picked)
            if QUESTION.search(words):
                return None
            return self._corrected(ctx, words) or self._describe_again(ctx)
        if YES.search(words):
            ctx.funnel("confirmed", {"key": memory["chosen"]["key"]})
            return ctx.enter(ctx.next_step())
        if NO.search(words):
            ctx.funnel("rejected", {"key": memory["chosen"]["key"]})
            corrected = self._corrected(ctx, words)
            if corrected is not None:
                return corrected
            if memory.get("candidates", [])[1:]:
                memory["offering"] = True
                return self._offer(ctx)
            return self._describe_again(ctx)
        return None

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        if name == "confirm" and not ctx.session.memory.get("offering"):
            return self.respond(ctx, "yes", {})
        if name == "reject":
            return self.respond(ctx, "no", {})
        if name == "choose":
            for candidate in ctx.session.memory.get("candidates", []):
                if candidate["key"] == str(data.get("key", "")):
                    return self._choose(ctx, candidate)
        return None

    def _offer(self, ctx: StepContext) -> TurnResult:
        others = ctx.session.memory.get("candidates", [])[1:]
        return ctx.say(
            text(ctx, "options", options=numbered([c["title"] for c in others], ctx.language)),
            actions=[{"type": "options", "options": others}],
        )

    def _picked(self, words: str, options: list[dict[str, Any]]) -> dict[str, Any] | None:
        """An offered candidate picked by its title, number or ordinal (the shared picker)."""
        choice = picked(words, [candidate_option(c) for c in options])
        return None if choice is None else choice.value

    def _choose(self, ctx: StepContext, candidate: dict[str, Any]) -> TurnResult:
        ctx.session.memory["chosen"] = candidate
        ctx.session.memory.pop("offering", None)
        ctx.funnel("chosen_from_options", {"key": candidate["key"]})
        return ctx.enter(ctx.next_step())

    def _corrected(self, ctx: StepContext, words: str) -> TurnResult | None:
        """ "不是，我是想买外汇": what follows the no is itself a new description."""
        rest = NO.sub("", words, count=1).strip(" ，,。.!！")
        if len(rest) < 4 or QUESTION.search(rest):
            return None
        describe = ctx.first_step()
        behaviour = behaviour_for(describe)
        assert isinstance(behaviour, Locate)
        candidates = behaviour.candidates(ctx, rest)
        if not candidates:
            return None  # "no, not that one": not a description after all
        ctx.rest_on(describe)
        return behaviour.locate(ctx, rest, candidates)

    def _describe_again(self, ctx: StepContext) -> TurnResult:
        reply = text(ctx, "describe_again")
        ctx.session.memory.pop("offering", None)
        ctx.rest_on(ctx.first_step())
        return ctx.say(reply)
