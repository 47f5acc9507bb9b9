"""Matching a customer's needs to credit cards: deterministic, explainable, no LLM.

Every card's benefits are scored against the needs (benefit categories the customer wants,
in priority order, and the usage scenarios they mentioned); eligibility rules exclude cards the
customer cannot get, and fee tolerance penalises cards whose fee they would not accept. Each
match carries the reasons in both languages so the avatar (or an LLM rephrasing it) can say
"why this card" without inventing anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from bank_ai.i18n import localised, pick
from scenarios.models import CardBenefit, CardProduct

FeeTolerance = Literal["none", "low", "any"]

# A usage scenario the customer describes, and the benefit categories that serve it.
SCENARIO_BENEFITS: dict[str, tuple[str, ...]] = {
    "travel": ("travel", "lounge", "fx_overseas", "airline_miles", "insurance"),
    "overseas": ("fx_overseas", "travel", "lounge"),
    "flights": ("airline_miles", "lounge", "travel"),
    "dining": ("dining",),
    "online_shopping": ("online_shopping", "cashback"),
    "everyday": ("cashback", "points"),
    "car": ("fuel", "car_etc"),
    "study": ("study",),
    "business": ("business_expense", "travel"),
    "health_beauty": ("female_health",),
    "entertainment": ("entertainment",),
    "premium_service": ("concierge", "lounge"),
}
# Upper annual-income bound of each band, for cards with an income requirement.
INCOME_BAND_MAX = {
    "lt60k": Decimal("60000"),
    "60k-150k": Decimal("150000"),
    "150k-500k": Decimal("500000"),
    "gt500k": Decimal("100000000"),
}
LOW_FEE = Decimal("300")
PRIORITY_WEIGHTS = (Decimal("1.0"), Decimal("0.7"), Decimal("0.5"), Decimal("0.35"))


@dataclass(frozen=True)
class CustomerNeeds:
    """What the needs dialogue found out; every field is optional."""

    benefits: tuple[str, ...] = ()  # benefit categories in the customer's priority order
    scenarios: tuple[str, ...] = ()  # keys of SCENARIO_BENEFITS
    income_band: str | None = None
    annual_income: Decimal | None = None
    age: int | None = None
    fee_tolerance: FeeTolerance = "any"
    is_student: bool | None = None  # None: not asked yet


@dataclass(frozen=True)
class Reason:
    category: str
    points: Decimal
    title: dict[str, str]
    detail: dict[str, str]


@dataclass(frozen=True)
class CardMatch:
    card: CardProduct
    score: Decimal
    reasons: tuple[Reason, ...]
    eligible: bool
    blockers: tuple[str, ...] = ()
    fee_note: dict[str, str] = field(default_factory=dict)

    def why(self, language: str) -> str:
        """One plain-language sentence: the card's best reasons for these needs."""
        titles = [pick(reason.title, language) for reason in self.reasons[:2]]
        name = self.card.name(language)
        if language.startswith("en"):
            joined = " and ".join(titles) if titles else "a broad set of benefits"
            return f"{name} suits you for {joined}; {pick(self.fee_note, language)}"
        joined = "、".join(titles) if titles else "综合权益"
        return f"{name}最符合您的需求：{joined}；{pick(self.fee_note, language)}"


def _need_weights(needs: CustomerNeeds) -> dict[str, Decimal]:
    weights: dict[str, Decimal] = {}
    for position, category in enumerate(needs.benefits):
        weight = PRIORITY_WEIGHTS[min(position, len(PRIORITY_WEIGHTS) - 1)]
        weights[category] = max(weights.get(category, Decimal("0")), weight)
    for scenario in needs.scenarios:
        for rank, category in enumerate(SCENARIO_BENEFITS.get(scenario, ())):
            # A scenario's first category is what it is mostly about.
            weight = Decimal("0.6") if rank == 0 else Decimal("0.3")
            weights[category] = max(weights.get(category, Decimal("0")), weight)
    return weights


def _income(needs: CustomerNeeds) -> Decimal | None:
    if needs.annual_income is not None:
        return needs.annual_income
    if needs.income_band:
        return INCOME_BAND_MAX.get(needs.income_band)
    return None


def eligibility_blockers(card: CardProduct, needs: CustomerNeeds) -> tuple[str, ...]:
    blockers = []
    income = _income(needs)
    if income is not None and income < card.min_annual_income:
        blockers.append("income_below_minimum")
    if needs.age is not None and not card.min_age <= needs.age <= card.max_age:
        blockers.append("age_out_of_range")
    if card.category == "student" and needs.is_student is False:
        blockers.append("not_a_student")
    if (
        needs.fee_tolerance == "none"
        and card.annual_fee > 0
        and card.waiver_kind == CardProduct.WaiverKind.NONE
    ):
        # A fee the customer can never avoid is a hard no for someone who will not pay one.
        blockers.append("unavoidable_annual_fee")
    return tuple(blockers)


def _fee_note(card: CardProduct) -> dict[str, str]:
    if card.annual_fee == 0:
        return {"zh-hans": "无年费", "en": "no annual fee"}
    return {
        "zh-hans": f"年费{card.annual_fee:.0f}元，{card.waiver_text_zh}",
        "en": f"annual fee RMB {card.annual_fee:.0f}, {card.waiver_text_en}",
    }


def _fee_penalty(card: CardProduct, tolerance: FeeTolerance) -> Decimal:
    # Six purchases or a first free year cost the customer nothing; a spend threshold or
    # paying with points does, so those cards stay possible but rank lower.
    waivable = card.waiver_kind in {
        CardProduct.WaiverKind.SWIPE_COUNT,
        CardProduct.WaiverKind.FIRST_YEAR_FREE,
    }
    if card.annual_fee == 0 or tolerance == "any":
        return Decimal("0")
    if tolerance == "none":
        return Decimal("0.3") if waivable else Decimal("1.0")
    if card.annual_fee <= LOW_FEE or waivable:
        return Decimal("0")
    return Decimal("0.6")


def score_card(
    card: CardProduct, benefits: Iterable[CardBenefit], needs: CustomerNeeds
) -> CardMatch:
    weights = _need_weights(needs)
    reasons: list[Reason] = []
    total = Decimal("0")
    for benefit in benefits:
        need = weights.get(benefit.category)
        if not need:
            continue
        points = (need * benefit.weight).quantize(Decimal("0.001"))
        total += points
        reasons.append(
            Reason(
                category=benefit.category,
                points=points,
                title={"zh-hans": benefit.title_zh, "en": benefit.title_en},
                detail={"zh-hans": benefit.description_zh, "en": benefit.description_en},
            )
        )
    if needs.is_student and card.category == "student":
        total += Decimal("0.5")
    total -= _fee_penalty(card, needs.fee_tolerance)
    blockers = eligibility_blockers(card, needs)
    reasons.sort(key=lambda reason: (-reason.points, reason.category))
    return CardMatch(
        card=card,
        score=total,
        reasons=tuple(reasons),
        eligible=not blockers,
        blockers=blockers,
        fee_note=_fee_note(card),
    )


def match_cards(
    needs: CustomerNeeds, *, limit: int = 3, cards: Sequence[CardProduct] | None = None
) -> list[CardMatch]:
    """The best 1..limit eligible cards, best first; ties broken by lower fee, then code."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    catalogue = (
        list(cards)
        if cards is not None
        else list(CardProduct.objects.filter(is_active=True).prefetch_related("benefits"))
    )
    matches = [score_card(card, card.benefits.all(), needs) for card in catalogue]
    eligible = [m for m in matches if m.eligible and m.score > 0]
    eligible.sort(key=lambda m: (-m.score, m.card.annual_fee, m.card.code))
    return eligible[:limit]


def comparison(matches: Sequence[CardMatch], language: str) -> list[dict[str, object]]:
    """Side-by-side rows for the UI action that shows a comparison."""
    return [
        {
            "code": match.card.code,
            "name": match.card.name(language),
            "annual_fee": str(match.card.annual_fee),
            "fee_waiver": localised(match.card, "waiver_text", language),
            "interest_free_days": match.card.interest_free_days,
            "credit_limit": [str(match.card.credit_limit_min), str(match.card.credit_limit_max)],
            "top_benefits": [pick(reason.title, language) for reason in match.reasons[:3]],
            "why": match.why(language),
            "score": str(match.score),
        }
        for match in matches
    ]
