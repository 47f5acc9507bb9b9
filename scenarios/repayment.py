"""Repayment plans for a statement, with the interest consequences computed exactly (Decimal).

The rules follow the card's terms and common PRC practice (the 2017 PBoC card rules left
interest-free periods, minimum payments and interest calculation to the issuer's contract):

- **Full**: pay the outstanding balance O = new balance − already paid by the due date. No
  interest; the interest-free period is kept.
- **Minimum**: pay the statement's minimum payment M (the bank computes it; for new balances it
  is `card.product.minimum_payment_rate` × balance, 10% for every demo card). No late fee and no
  credit record, but the interest-free period is lost on what stays unpaid, U = balance − M.
  Per the card's terms ("未还部分自记账日起计息"), the unpaid part accrues interest at the daily
  rate r from each purchase's posting date. Repayments settle the oldest purchases first, so U
  is made of the statement's latest purchases; any part of U not covered by the statement's
  purchases (e.g. a balance carried over) counts from the start of the period. The interest that
  appears on the next statement is

      I = Σ uᵢ × r × (next statement date − posting dateᵢ) in days,

  rounded half-up to the cent once, at the end. Interest left unpaid then compounds monthly.
- **Instalment** (账单分期): convert O into n monthly instalments at the card's monthly fee
  rate (`scenarios.money.instalment_quote`); no revolving interest on the converted amount, the
  fee is the cost.
- **Below the minimum**: a late fee of `late_fee_rate` × the unpaid part of the minimum, and the
  arrears are reported to the PBoC credit reference centre.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from scenarios.models import CardStatement, CardTransaction, CustomerCard
from scenarios.money import CENT, InstalmentQuote, instalment_quote

ZERO = Decimal("0")


@dataclass(frozen=True)
class InterestItem:
    posted_on: date
    unpaid: Decimal
    days: int


@dataclass(frozen=True)
class RepaymentPlan:
    code: str  # full | minimum | instalment
    pay_by_due_date: Decimal
    interest: Decimal
    fees: Decimal
    unpaid_after: Decimal
    instalment: InstalmentQuote | None = None
    interest_items: tuple[InterestItem, ...] = ()


@dataclass(frozen=True)
class RepaymentPlans:
    statement: CardStatement
    outstanding: Decimal
    minimum_due: Decimal
    daily_rate: Decimal
    next_statement_on: date
    late_fee_if_nothing_paid: Decimal
    plans: tuple[RepaymentPlan, ...] = field(default_factory=tuple)

    def plan(self, code: str) -> RepaymentPlan:
        return next(plan for plan in self.plans if plan.code == code)

    @property
    def annual_rate(self) -> Decimal:
        return (self.daily_rate * 365).quantize(Decimal("0.0001"))


class RepaymentError(ValueError):
    """Nothing to plan (no statement, already repaid) or periods the card does not offer."""


def next_statement_date(card: CustomerCard, after: date) -> date:
    year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
    day = min(card.statement_day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def latest_statement(card: CustomerCard) -> CardStatement | None:
    return card.statements.order_by("-period_end").first()


def minimum_plan_interest(
    card: CustomerCard, statement: CardStatement, unpaid: Decimal, until: date
) -> tuple[Decimal, tuple[InterestItem, ...]]:
    """Interest on `unpaid` from the posting dates of the statement's latest purchases."""
    rate = card.product.daily_interest_rate
    zone = timezone.get_current_timezone()
    purchases = CardTransaction.objects.filter(
        Q(card=card, is_refund=False),
        posted_at__date__gte=statement.period_start,
        posted_at__date__lte=statement.period_end,
    ).order_by("-posted_at", "-id")
    items: list[InterestItem] = []
    left = unpaid
    for purchase in purchases.iterator():
        if left <= 0:
            break
        part = min(purchase.amount, left)
        posted = timezone.localtime(purchase.posted_at, zone).date()
        items.append(InterestItem(posted, part, (until - posted).days))
        left -= part
    if left > 0:
        items.append(
            InterestItem(statement.period_start, left, (until - statement.period_start).days)
        )
    exact = sum((item.unpaid * rate * item.days for item in items), ZERO)
    return exact.quantize(CENT, rounding=ROUND_HALF_UP), tuple(items)


def repayment_plans(
    card: CustomerCard, statement: CardStatement | None = None, *, instalment_periods: int = 12
) -> RepaymentPlans:
    statement = statement or latest_statement(card)
    if statement is None:
        raise RepaymentError("this card has no statement yet")
    outstanding = statement.new_balance - statement.paid_amount
    if outstanding <= 0:
        raise RepaymentError("this statement is repaid in full")
    product = card.product
    minimum_due = max(ZERO, statement.minimum_payment - statement.paid_amount)
    until = next_statement_date(card, statement.period_end)
    plans = [
        RepaymentPlan("full", outstanding, ZERO, ZERO, ZERO),
    ]
    unpaid = statement.new_balance - max(statement.paid_amount, statement.minimum_payment)
    interest, items = minimum_plan_interest(card, statement, unpaid, until)
    plans.append(RepaymentPlan("minimum", minimum_due, interest, ZERO, unpaid, None, items))
    offered = (product.instalment_terms or {}).get("periods", [])
    if offered:
        periods = instalment_periods if instalment_periods in offered else max(offered)
        quote = instalment_quote(product, outstanding, periods)
        plans.append(RepaymentPlan("instalment", ZERO, ZERO, quote.total_fee, outstanding, quote))
    return RepaymentPlans(
        statement=statement,
        outstanding=outstanding,
        minimum_due=minimum_due,
        daily_rate=product.daily_interest_rate,
        next_statement_on=until,
        late_fee_if_nothing_paid=(minimum_due * product.late_fee_rate).quantize(
            CENT, rounding=ROUND_HALF_UP
        ),
        plans=tuple(plans),
    )
