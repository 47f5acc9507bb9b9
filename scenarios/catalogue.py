"""The card catalogue as knowledge pages read it (content.catalogue.CardCatalogue).

Registered by the project's wiring (`bank_ai/apps.py`): knowledge sits beside the scenarios,
not below them, so neither imports the other.
"""

from __future__ import annotations

from scenarios.models import CardProduct


class CardProductCatalogue:
    def card(self, code: str) -> CardProduct | None:
        return CardProduct.objects.prefetch_related("benefits").filter(code=code).first()

    def choices(self) -> list[tuple[str, str]]:
        return [
            (product.code, f"{product.name('zh-hans')} / {product.name('en')}")
            for product in CardProduct.objects.order_by("code")
        ]
