from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from scenarios.models import CardProduct, CustomerCard
from scenarios.money import InstalmentError, instalment_quote
from scenarios.selectors import spending_by_category

pytestmark = pytest.mark.django_db


@pytest.fixture
def dining_gold() -> CardProduct:
    return CardProduct.objects.get(code="dining-gold")


def test_an_instalment_fee_is_the_monthly_rate_on_the_original_principal(dining_gold) -> None:  # noqa: ANN001
    quote = instalment_quote(dining_gold, Decimal("12000.00"), 12)
    assert quote.monthly_fee_rate == Decimal("0.0066")
    assert quote.schedule[0].fee == Decimal("79.20")
    assert quote.total_fee == Decimal("950.40")
    assert quote.total_payment == Decimal("12950.40")


def test_uneven_cents_are_paid_with_the_first_instalment(dining_gold) -> None:  # noqa: ANN001
    quote = instalment_quote(dining_gold, Decimal("1000.00"), 3)
    assert [p.principal for p in quote.schedule] == [
        Decimal("333.34"),
        Decimal("333.33"),
        Decimal("333.33"),
    ]
    assert sum(p.principal for p in quote.schedule) == Decimal("1000.00")


def test_the_annualised_rate_is_disclosed_and_higher_than_twelve_times_the_fee_rate(
    dining_gold,  # noqa: ANN001
) -> None:
    quote = instalment_quote(dining_gold, Decimal("12000.00"), 12)
    # 0.66% a month on the original principal is about 14.3% a year on the declining balance.
    assert Decimal("0.14") < quote.annualised_rate < Decimal("0.15")


def test_a_period_the_card_does_not_offer_is_refused() -> None:
    student = CardProduct.objects.get(code="student-youth")
    with pytest.raises(InstalmentError, match="offers 3, 6, 12 periods, not 24"):
        instalment_quote(student, Decimal("3000.00"), 24)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("10.005")])
def test_an_amount_that_is_not_positive_whole_cents_is_refused(dining_gold, amount) -> None:  # noqa: ANN001
    with pytest.raises(InstalmentError, match="positive sum in whole cents"):
        instalment_quote(dining_gold, amount, 6)


def test_spending_shares_add_up_to_one_and_match_the_transactions() -> None:
    card = CustomerCard.objects.filter(customer__customer_no="C202600005").first()
    rows = spending_by_category(card, date(2020, 1, 1), date(2030, 1, 1))
    total = sum(row.amount for row in rows)
    assert total == sum(t.amount for t in card.transactions.all())
    assert abs(sum(row.share for row in rows) - Decimal("1")) <= Decimal("0.001")
    assert rows[0].category == "dining"  # this customer is the foodie persona


def test_a_period_that_ends_before_it_starts_is_refused() -> None:
    card = CustomerCard.objects.first()
    with pytest.raises(ValueError, match="ends before it starts"):
        spending_by_category(card, date(2026, 5, 1), date(2026, 4, 1))
