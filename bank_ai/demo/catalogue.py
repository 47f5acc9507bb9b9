from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from bank_ai.demo import DATA_DIRS
from scenarios.models import CardBenefit, CardProduct


@transaction.atomic
def seed(log: Callable[[str], None]) -> dict[str, int]:
    cards = json.loads((DATA_DIRS["scenarios"] / "cards.json").read_text(encoding="utf-8"))
    created = 0
    for card in cards:
        if CardProduct.objects.filter(code=card["code"]).exists():
            continue
        threshold = card["waiver_rule"].get("threshold") or None
        product = CardProduct.objects.create(
            code=card["code"],
            category=card["category"],
            tier=card["tier"],
            network=card["network"],
            name_zh=card["name"]["zh-hans"],
            name_en=card["name"]["en"],
            tagline_zh=card["tagline"]["zh-hans"],
            tagline_en=card["tagline"]["en"],
            annual_fee=Decimal(card["annual_fee"]),
            waiver_kind=card["waiver_rule"]["kind"],
            waiver_threshold=Decimal(threshold) if threshold else None,
            waiver_text_zh=card["annual_fee_waiver"]["zh-hans"],
            waiver_text_en=card["annual_fee_waiver"]["en"],
            credit_limit_min=Decimal(card["credit_limit_min"]),
            credit_limit_max=Decimal(card["credit_limit_max"]),
            interest_free_days=card["interest_free_days"],
            min_age=card["min_age"],
            max_age=card["max_age"],
            min_annual_income=Decimal(card["min_annual_income"]),
            eligibility=card["eligibility"],
            required_documents=card["required_documents"],
            instalment_terms=card["instalment"],
            cash_advance_fee_rate=Decimal(card["cash_advance_fee"]["rate"]),
            cash_advance_fee_min=Decimal(card["cash_advance_fee"]["minimum"]),
            fx_fee_rate=Decimal(card["fx_fee_rate"]),
            late_fee_rate=Decimal(card["late_fee_rate"]),
            daily_interest_rate=Decimal(card.get("daily_interest_rate", "0.0005")),
            minimum_payment_rate=Decimal(card.get("minimum_payment_rate", "0.10")),
            disclosures=card["disclosures"],
            timeline=card["timeline"],
            value_added_services=card.get("value_added_services", []),
        )
        CardBenefit.objects.bulk_create(
            CardBenefit(
                card=product,
                position=position,
                category=benefit["category"],
                value=Decimal(benefit["value"]),
                unit=benefit["unit"],
                title_zh=benefit["title"]["zh-hans"],
                title_en=benefit["title"]["en"],
                description_zh=benefit["description"]["zh-hans"],
                description_en=benefit["description"]["en"],
                conditions_zh=benefit["conditions"]["zh-hans"],
                conditions_en=benefit["conditions"]["en"],
                weight=Decimal(str(benefit["weight"])),
            )
            for position, benefit in enumerate(card["benefits"])
        )
        created += 1
    log(f"card products: {len(cards)} ({created} new)")
    return {"cards": len(cards)}
