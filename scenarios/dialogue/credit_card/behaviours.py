"""The credit-card journey's behaviours: needs summary, recommendation, choice, card details.

Matching is deterministic and explainable (`scenarios.matching`); this module only turns its
results into replies and UI actions and records the funnel.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from bank_ai.ai.text import ordinal
from bank_ai.i18n import localised, pick
from scenarios.definitions import card_catalogue, card_named
from scenarios.dialogue.base import (
    Scenario,
    StepBehaviour,
    TurnResult,
    register_behaviour,
)
from scenarios.dialogue.engine import NO, QUESTION, YES, ConfirmBehaviour, StepContext
from scenarios.matching import CustomerNeeds, comparison, match_cards
from scenarios.slots import extract_slots

MORE = re.compile(
    r"换一批|其他|别的|都不(喜欢|要|合适)|more|others?|something else|"
    r"none of (these|them)",
    re.IGNORECASE,
)

SCENARIO_NAMES = {
    "travel": ("出行旅游", "travel"),
    "overseas": ("境外消费", "spending abroad"),
    "flights": ("乘机出行", "flying"),
    "dining": ("餐饮美食", "dining"),
    "online_shopping": ("网购", "online shopping"),
    "everyday": ("日常消费", "everyday spending"),
    "car": ("用车加油", "driving and fuel"),
    "study": ("学习", "study"),
    "business": ("商务出差", "business travel"),
    "health_beauty": ("健康美容", "health and beauty"),
    "entertainment": ("休闲娱乐", "entertainment"),
    "premium_service": ("高端礼遇", "premium services"),
}
FEE_NAMES = {
    "none": ("不希望有年费", "no annual fee"),
    "low": ("年费越低越好", "a low fee"),
    "any": ("年费可以接受", "a fee is fine"),
}


def needs_from_slots(slots: dict[str, Any]) -> CustomerNeeds:
    return CustomerNeeds(
        scenarios=tuple(slots.get("scenarios", ())),
        income_band=slots.get("income_band"),
        annual_income=Decimal(slots["annual_income"]) if slots.get("annual_income") else None,
        age=slots.get("age"),
        fee_tolerance=slots.get("fee_tolerance", "any"),
        is_student=slots.get("is_student"),
    )


def summarise_needs(slots: dict[str, Any], language: str) -> str:
    index = 0 if language == "zh-hans" else 1
    uses = [SCENARIO_NAMES[s][index] for s in slots.get("scenarios", []) if s in SCENARIO_NAMES]
    parts = []
    if language == "zh-hans":
        if uses:
            parts.append("主要用于" + "、".join(uses))
        if slots.get("is_student"):
            parts.append("目前是学生")
        if slots.get("annual_income"):
            parts.append(f"年收入约{Decimal(slots['annual_income']) / 10000:g}万元")
        if slots.get("fee_tolerance"):
            parts.append(FEE_NAMES[slots["fee_tolerance"]][0])
        return "；".join(parts) or "暂未说明具体需求"
    if uses:
        parts.append("mainly for " + ", ".join(uses))
    if slots.get("is_student"):
        parts.append("you are a student")
    if slots.get("annual_income"):
        parts.append(f"annual income about RMB {Decimal(slots['annual_income']):,.0f}")
    if slots.get("fee_tolerance"):
        parts.append(FEE_NAMES[slots["fee_tolerance"]][1])
    return "; ".join(parts) or "no specific needs yet"


class CreditCardScenario(Scenario):
    """Reads the customer's needs (slots) from every turn; new needs re-recommend."""

    def extract_slots(self, text: str, ctx: StepContext) -> dict[str, Any]:
        return extract_slots(text)

    def slots_changed(self, ctx: StepContext, before: dict[str, Any]) -> TurnResult | None:
        if ctx.step.behaviour in {CardChoice.name, CardDetails.name}:
            # New needs after the recommendation: recommend again from the new needs.
            return ctx.enter(ctx.step_with(behaviour=CardRecommendation.name))
        return None


@register_behaviour
class NeedsSummary(ConfirmBehaviour):
    """Summarise the needs back to the customer and ask whether they are right."""

    name = "needs_summary"

    def arrive(self, ctx: StepContext) -> TurnResult:
        summary = summarise_needs(ctx.session.slots, ctx.language)
        return ctx.say(
            ctx.step.prompt(ctx.language).replace("{summary}", summary),
            actions=[{"type": "show_summary", "slots": ctx.session.slots}],
        )

    def prompt_again(self, ctx: StepContext) -> str:
        return self.arrive(ctx).reply


@register_behaviour
class CardRecommendation(StepBehaviour):
    """Score the catalogue against the needs and show the top 1–3 with reasons and a comparison."""

    name = "card_recommendation"

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        # Only reached if a turn arrives while the session rests on this step itself.
        return ctx.enter(ctx.step)

    def arrive(self, ctx: StepContext) -> TurnResult:
        session, language = ctx.session, ctx.language
        excluded = set(session.memory.get("excluded", []))
        catalogue = [
            card for card in card_catalogue() if card.is_active and card.code not in excluded
        ]
        matches = match_cards(needs_from_slots(session.slots), limit=3, cards=catalogue)
        lead = ""
        if not matches and excluded:
            # Every other fitting card was shown already: show the best ones again.
            ctx.funnel("no_more_cards")
            session.memory["excluded"] = []
            catalogue = [card for card in card_catalogue() if card.is_active]
            matches = match_cards(needs_from_slots(session.slots), limit=3, cards=catalogue)
            lead = (
                "没有更多符合您条件的卡片了，这几张仍是最适合您的："
                if language == "zh-hans"
                else "There are no other cards that fit; these remain the best for you:"
            )
        session.memory["recommended"] = [match.card.code for match in matches]
        if not matches:
            ctx.funnel("no_match")
            ctx.rest_on(ctx.first_step())
            reply = (
                "根据您目前的条件，暂时没有合适的卡片。您可以换个用卡场景再试，或让我为您转接客户经理。"
                if language == "zh-hans"
                else "No card fits these needs yet. Tell me about other ways you would use a "
                "card, or I can connect you to a relationship manager."
            )
            return ctx.say(reply)
        ctx.funnel(
            "recommended", {"cards": session.memory["recommended"], "turns": session.turn_count}
        )
        lines = [f"{n}. {match.why(language)}" for n, match in enumerate(matches, start=1)]
        if lead:
            lines.insert(0, lead)
        prompt = ctx.step.prompt(language)
        choice = ctx.next_step()
        ctx.rest_on(choice)
        ctx.funnel("entered")
        return ctx.say(
            "\n".join([prompt, *lines, choice.prompt(language)]),
            actions=[
                {"type": "show_cards", "cards": comparison(matches, language)},
                {
                    "type": "show_comparison",
                    "columns": ["annual_fee", "fee_waiver", "interest_free_days", "top_benefits"],
                },
            ],
        )


@register_behaviour
class CardChoice(StepBehaviour):
    """The customer picks a recommended card by position or name, or asks for others."""

    name = "card_choice"

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        session = ctx.session
        shown = session.memory.get("recommended", [])
        if MORE.search(text):
            ctx.funnel("asked_for_more")
            session.memory["excluded"] = session.memory.get("excluded", []) + shown
            return ctx.enter(ctx.step_with(behaviour=CardRecommendation.name))
        chosen = chosen_card(text, shown)
        if chosen is None:
            return None
        return self.choose(ctx, chosen, shown)

    def on_event(self, ctx: StepContext, name: str, data: dict[str, Any]) -> TurnResult | None:
        shown = ctx.session.memory.get("recommended", [])
        if name == "choose_card" and data.get("card") in shown:
            return self.choose(ctx, data["card"], shown)
        return None

    def choose(self, ctx: StepContext, chosen: str, shown: list[str]) -> TurnResult:
        ctx.session.memory["chosen_card"] = chosen
        ctx.funnel("card_chosen", {"card": chosen, "position": shown.index(chosen) + 1})
        return ctx.enter(ctx.next_step())


@register_behaviour
class CardDetails(StepBehaviour):
    """Core benefits, fee and waiver, eligibility and documents of the chosen card."""

    name = "card_details"

    def arrive(self, ctx: StepContext) -> TurnResult:
        language = ctx.language
        card = card_named(ctx.session.memory["chosen_card"])
        benefits = [localised(b, "title", language) for b in card.benefits.all()[:4]]
        documents = [pick(doc, language) for doc in card.required_documents]
        if language == "zh-hans":
            reply = (
                f"{card.name(language)}：核心权益有{'、'.join(benefits)}。年费"
                f"{card.annual_fee:.0f}元，{card.waiver_text_zh.rstrip('。')}。最长免息期"
                f"{card.interest_free_days}天，额度{card.credit_limit_min:.0f}–"
                f"{card.credit_limit_max:.0f}元。申请需准备：{'、'.join(documents)}。"
            )
        else:
            reply = (
                f"{card.name(language)}: key benefits are {', '.join(benefits)}. Annual fee "
                f"RMB {card.annual_fee:.0f}, {card.waiver_text_en.rstrip('.')}. Up to "
                f"{card.interest_free_days} interest-free days, credit limit RMB "
                f"{card.credit_limit_min:.0f}–{card.credit_limit_max:.0f}. To apply you need: "
                f"{', '.join(documents)}."
            )
        return ctx.say(
            f"{reply}\n{ctx.step.prompt(language)}",
            actions=[
                {
                    "type": "show_card",
                    "code": card.code,
                    "name": card.name(language),
                    "eligibility": pick(card.eligibility, language, []),
                    "documents": documents,
                    "disclosures": pick(card.disclosures, language, []),
                }
            ],
        )

    def respond(self, ctx: StepContext, text: str, found: dict[str, Any]) -> TurnResult | None:
        session = ctx.session
        if MORE.search(text):
            ctx.funnel("asked_for_more")
            session.memory["excluded"] = session.memory.get("excluded", []) + [
                session.memory.get("chosen_card")
            ]
            return ctx.enter(ctx.step_with(behaviour=CardRecommendation.name))
        if NO.search(text):
            # Not this card after all: back to the cards already recommended.
            ctx.funnel("card_rejected")
            options = ctx.step_with(behaviour=CardChoice.name)
            ctx.rest_on(options)
            return ctx.say(options.prompt(ctx.language))
        if QUESTION.search(text) and not YES.search(text):
            return None  # a question about the card: answered from knowledge, step kept
        ctx.funnel("completed")
        return ctx.enter(ctx.next_step())

    def prompt_again(self, ctx: StepContext) -> str:
        return ctx.step.prompt(ctx.language)


def chosen_card(text: str, shown: list[str]) -> str | None:
    lowered = text.lower()
    for card in (card for card in card_catalogue() if card.code in shown):
        if card.code in lowered or card.name_zh in text or card.name_en.lower() in lowered:
            return card.code
    position = ordinal(text, len(shown))
    return shown[position - 1] if position else None
