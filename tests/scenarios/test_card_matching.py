from __future__ import annotations

from decimal import Decimal

import pytest

from scenarios.matching import CustomerNeeds, comparison, match_cards, score_card
from scenarios.models import CardProduct

pytestmark = pytest.mark.django_db


def _codes(needs: CustomerNeeds, limit: int = 3) -> list[str]:
    return [match.card.code for match in match_cards(needs, limit=limit)]


def test_a_frequent_overseas_traveller_gets_the_travel_cards_first() -> None:
    needs = CustomerNeeds(
        benefits=("fx_overseas", "lounge"), scenarios=("travel",), income_band="150k-500k", age=35
    )
    assert _codes(needs)[0] == "travel-platinum"


def test_a_car_owner_gets_the_etc_card() -> None:
    needs = CustomerNeeds(scenarios=("car",), income_band="60k-150k", age=40)
    assert _codes(needs, limit=1) == ["car-etc"]


def test_a_student_gets_the_student_card_and_no_card_needing_income() -> None:
    needs = CustomerNeeds(
        scenarios=("study", "online_shopping"),
        income_band="lt60k",
        age=20,
        is_student=True,
        fee_tolerance="none",
    )
    codes = _codes(needs)
    assert codes[0] == "student-youth"
    assert "premium-infinite" not in codes


def test_income_below_a_cards_minimum_excludes_it() -> None:
    needs = CustomerNeeds(benefits=("concierge", "lounge"), income_band="60k-150k", age=40)
    assert "premium-infinite" not in _codes(needs, limit=10)


def test_the_same_needs_always_give_the_same_ranking() -> None:
    needs = CustomerNeeds(benefits=("dining", "cashback"), income_band="60k-150k", age=30)
    assert _codes(needs) == _codes(needs)


def test_a_customer_who_will_not_pay_a_fee_never_gets_an_unavoidable_one() -> None:
    CardProduct.objects.filter(code="dining-gold").update(waiver_kind=CardProduct.WaiverKind.NONE)
    needs = CustomerNeeds(
        benefits=("dining",), income_band="60k-150k", age=30, fee_tolerance="none"
    )
    assert "dining-gold" not in _codes(needs, limit=10)


def test_fee_averse_customers_see_spend_waivable_cards_ranked_lower() -> None:
    needs = CustomerNeeds(scenarios=("car", "entertainment"), income_band="60k-150k", age=30)
    averse = CustomerNeeds(
        scenarios=("car", "entertainment"), income_band="60k-150k", age=30, fee_tolerance="none"
    )

    def score(code: str, who: CustomerNeeds) -> Decimal:
        card = CardProduct.objects.get(code=code)
        return score_card(card, card.benefits.all(), who).score

    def penalty(code: str) -> Decimal:
        return score(code, needs) - score(code, averse)

    # car-etc is waived only above a yearly spend; young-pro after six purchases of any size,
    # which costs the fee-averse customer far less.
    assert penalty("car-etc") > penalty("young-pro") > 0


def test_every_match_explains_itself_in_both_languages() -> None:
    needs = CustomerNeeds(benefits=("dining",), income_band="60k-150k", age=30)
    best = match_cards(needs, limit=1)[0]
    assert best.card.code == "dining-gold"
    assert "dining" in {reason.category for reason in best.reasons}
    assert best.card.name_zh in best.why("zh-hans")
    assert best.card.name_en in best.why("en")


def test_the_comparison_lists_fee_waiver_and_top_benefits() -> None:
    needs = CustomerNeeds(scenarios=("travel",), income_band="gt500k", age=40)
    rows = comparison(match_cards(needs), "en")
    assert 1 <= len(rows) <= 3
    assert {"annual_fee", "fee_waiver", "interest_free_days", "top_benefits", "why"} <= set(rows[0])
    assert Decimal(rows[0]["score"]) >= Decimal(rows[-1]["score"])


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="limit must be at least 1"):
        match_cards(CustomerNeeds(), limit=0)
