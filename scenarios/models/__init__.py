"""Scenario domain: the card catalogue, the bank's customers and (later) dialogue sessions."""

from scenarios.models.catalogue import CardBenefit, CardProduct
from scenarios.models.customers import (
    Account,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
)

__all__ = [
    "Account",
    "CardBenefit",
    "CardProduct",
    "CardStatement",
    "CardTransaction",
    "Customer",
    "CustomerCard",
]
