"""A card's catalogue figures as sentences, for product pages and the answers given from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bank_ai.i18n import localised, normalise_language


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
