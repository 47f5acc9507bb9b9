"""Reads about customers' cards and spending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from scenarios.models import CardTransaction, CustomerCard


@dataclass(frozen=True)
class CategorySpend:
    category: str
    amount: Decimal
    transactions: int
    share: Decimal  # of the period's net spending, 0..1


def spending_by_category(card: CustomerCard, start: date, end: date) -> list[CategorySpend]:
    """Net spending per category from `start` to `end` inclusive (refunds subtracted)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    zone = timezone.get_current_timezone()
    rows = (
        CardTransaction.objects.filter(
            card=card,
            posted_at__gte=datetime.combine(start, time.min, tzinfo=zone),
            posted_at__lt=datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
        )
        .values("category")
        .annotate(
            spent=Sum("amount", filter=Q(is_refund=False), default=Decimal("0")),
            refunded=Sum("amount", filter=Q(is_refund=True), default=Decimal("0")),
            count=Count("id", filter=Q(is_refund=False)),
        )
    )
    net = {row["category"]: (row["spent"] - row["refunded"], row["count"]) for row in rows}
    total = sum((amount for amount, _ in net.values() if amount > 0), Decimal("0"))
    result = [
        CategorySpend(
            category=category,
            amount=amount,
            transactions=count,
            share=(amount / total).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
            if total
            else Decimal("0"),
        )
        for category, (amount, count) in net.items()
        if amount > 0
    ]
    return sorted(result, key=lambda row: (-row.amount, row.category))
