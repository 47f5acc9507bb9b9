"""Exact money arithmetic for card use: instalment quotes and spending analysis inputs.

Decimal throughout, rounded to the cent half-up as statements are; instalment fees follow the
card's terms (a fixed monthly rate on the original principal, the usual Chinese practice) and
the quote also states the annualised rate the PBoC requires banks to disclose.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from scenarios.models import CardProduct

CENT = Decimal("0.01")


class InstalmentError(ValueError):
    """The amount or the number of periods is not offered for this card."""


@dataclass(frozen=True)
class InstalmentPeriod:
    number: int
    principal: Decimal
    fee: Decimal

    @property
    def payment(self) -> Decimal:
        return self.principal + self.fee


@dataclass(frozen=True)
class InstalmentQuote:
    principal: Decimal
    periods: int
    monthly_fee_rate: Decimal
    total_fee: Decimal
    schedule: tuple[InstalmentPeriod, ...]
    # Annualised rate on the declining balance (the IRR of the schedule, times 12).
    annualised_rate: Decimal

    @property
    def total_payment(self) -> Decimal:
        return self.principal + self.total_fee


def instalment_quote(card: CardProduct, principal: Decimal, periods: int) -> InstalmentQuote:
    terms = card.instalment_terms or {}
    if periods not in terms.get("periods", []):
        offered = ", ".join(str(p) for p in terms.get("periods", [])) or "none"
        raise InstalmentError(f"{card.code} offers {offered} periods, not {periods}")
    principal = Decimal(principal)
    if principal <= 0 or principal != principal.quantize(CENT):
        raise InstalmentError("the amount must be a positive sum in whole cents")
    rate = Decimal(terms["monthly_fee_rate"][str(periods)])
    fee = (principal * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    base = (principal / periods).quantize(CENT, rounding=ROUND_DOWN)
    # The cents that do not divide evenly are paid with the first instalment.
    first = principal - base * (periods - 1)
    schedule = tuple(
        InstalmentPeriod(number=n, principal=first if n == 1 else base, fee=fee)
        for n in range(1, periods + 1)
    )
    return InstalmentQuote(
        principal=principal,
        periods=periods,
        monthly_fee_rate=rate,
        total_fee=fee * periods,
        schedule=schedule,
        annualised_rate=_annualised_rate(principal, [p.payment for p in schedule]),
    )


def _annualised_rate(principal: Decimal, payments: list[Decimal]) -> Decimal:
    """12 × the monthly IRR, by bisection (monotone in the rate), to 0.01 percentage point."""
    low, high = Decimal("0"), Decimal("0.1")
    for _ in range(60):
        middle = (low + high) / 2
        present = sum(payment / (1 + middle) ** n for n, payment in enumerate(payments, start=1))
        if present > principal:
            low = middle
        else:
            high = middle
    return (((low + high) / 2) * 12).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
