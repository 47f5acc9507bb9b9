"""A card's catalogue figures as sentences, for product pages and the answers given from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from bank_ai.i18n import localised, normalise_language


class CardCatalogue(Protocol):
    """The bank's card catalogue as knowledge pages see it: cards by their code.

    Knowledge names a card by its catalogue code, never by a key into another app's table;
    whoever owns the catalogue registers it here (the project's wiring, `bank_ai/apps.py`).
    """

    def card(self, code: str) -> Any | None:
        """The card with this code (its fees, limits, benefits), or None."""

    def choices(self) -> list[tuple[str, str]]:
        """(code, name) of every card an editor may link, for the page editor."""


_catalogue: CardCatalogue | None = None


def register_card_catalogue(catalogue: CardCatalogue) -> None:
    global _catalogue
    _catalogue = catalogue


def card_for(code: str) -> Any | None:
    """The catalogue's card for `code` ("" or an unknown code: None)."""
    if not code or _catalogue is None:
        return None
    return _catalogue.card(code)


def card_select_choices() -> list[tuple[str, str]]:
    """The editor's list of cards, "no card" first."""
    return [("", "—"), *(_catalogue.choices() if _catalogue is not None else [])]


def _rmb(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    value = Decimal(amount)
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def card_facts(product: Any, language: str) -> list[str]:
    """Fee, waiver, limits, interest-free days and headline benefits of one catalogue card."""
    lang = normalise_language(language)
    name = product.name(lang)
    waiver = localised(product, "waiver_text", lang)
    benefits = [localised(b, "title", lang) for b in product.benefits.all()[:6]]
    if lang == "zh-hans":
        facts = [
            f"{name}年费{_rmb(product.annual_fee)}元。",
            f"年费减免：{waiver}" if waiver else "",
            f"信用额度{_rmb(product.credit_limit_min)}元至{_rmb(product.credit_limit_max)}元，"
            f"最长免息期{product.interest_free_days}天。",
            f"申请年龄{product.min_age}至{product.max_age}周岁。",
            f"主要权益：{'；'.join(benefits)}。" if benefits else "",
        ]
    else:
        facts = [
            f"The {name} has an annual fee of RMB {_rmb(product.annual_fee)}.",
            f"Fee waiver: {waiver}" if waiver else "",
            f"Credit limits range from RMB {_rmb(product.credit_limit_min)} to RMB "
            f"{_rmb(product.credit_limit_max)}, with up to {product.interest_free_days} "
            "interest-free days.",
            f"Applicants must be aged {product.min_age} to {product.max_age}.",
            f"Main benefits: {'; '.join(benefits)}." if benefits else "",
        ]
    return [fact for fact in facts if fact]
