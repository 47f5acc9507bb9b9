from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Count, Max, Min

from bank_ai.demo import seed_all
from content.models import KnowledgeArticle
from scenarios.branches.models import Branch
from scenarios.models import CardBenefit, CardProduct, CardTransaction, Customer

pytestmark = pytest.mark.django_db

REQUIRED_CARD_CATEGORIES = {
    "travel",
    "dining",
    "cashback",
    "student",
    "business",
    "airline",
    "premium",
    "young_professional",
    "female",
    "car_owner",
}


def test_the_catalogue_has_ten_distinct_cards_with_three_to_eight_benefits() -> None:
    assert set(CardProduct.objects.values_list("category", flat=True)) >= REQUIRED_CARD_CATEGORIES
    counts = CardProduct.objects.annotate(n=Count("benefits")).values_list("n", flat=True)
    assert all(3 <= n <= 8 for n in counts)


def test_every_card_states_fees_documents_and_disclosures_in_both_languages() -> None:
    for card in CardProduct.objects.all():
        assert card.name_zh
        assert card.name_en
        assert card.waiver_text_zh
        assert card.waiver_text_en
        assert card.required_documents
        assert card.disclosures["zh-hans"]
        assert card.disclosures["en"]
        assert card.credit_limit_min <= card.credit_limit_max


def test_benefits_carry_category_value_and_conditions() -> None:
    assert not CardBenefit.objects.filter(conditions_zh="").exists()
    assert CardBenefit.objects.values("category").distinct().count() >= 10


def test_three_branches_together_offer_the_five_core_services() -> None:
    assert Branch.objects.count() == 3
    offered: set[str] = set()
    for branch in Branch.objects.all():
        codes = set(branch.services.values_list("service__code", flat=True))
        # Like real sub-branches, not every branch does everything (FX is concentrated).
        assert len(codes) >= 4
        assert branch.counters.count() >= 3
        assert branch.opening_hours
        offered |= codes
    assert {"account_opening", "card_services", "loans", "wealth", "foreign_exchange"} <= offered


def test_customers_have_six_months_of_categorised_card_spending() -> None:
    assert Customer.objects.count() >= 20
    customer = Customer.objects.get(customer_no="C202600001")
    span = CardTransaction.objects.filter(card__customer=customer).aggregate(
        first=Min("posted_at"), last=Max("posted_at")
    )
    assert span["last"] - span["first"] > timedelta(days=150)
    categories = CardTransaction.objects.values("category").distinct().count()
    assert categories >= 10


def test_the_knowledge_base_has_150_articles_in_both_languages() -> None:
    assert KnowledgeArticle.objects.count() >= 150
    by_language = dict(
        KnowledgeArticle.objects.values_list("locale__language_code").annotate(n=Count("id"))
    )
    assert by_language["zh-hans"] == by_language["en"]


def test_every_article_has_an_english_translation_of_the_chinese_one() -> None:
    zh_keys = set(
        KnowledgeArticle.objects.filter(locale__language_code="zh-hans").values_list(
            "translation_key", flat=True
        )
    )
    en_keys = set(
        KnowledgeArticle.objects.filter(locale__language_code="en").values_list(
            "translation_key", flat=True
        )
    )
    assert zh_keys == en_keys


def test_articles_are_published_with_a_revision() -> None:
    assert not KnowledgeArticle.objects.filter(live=False).exists()
    assert not KnowledgeArticle.objects.filter(live_revision__isnull=True).exists()


def test_seeding_again_creates_nothing_new() -> None:
    before = (
        CardProduct.objects.count(),
        Customer.objects.count(),
        KnowledgeArticle.objects.count(),
        CardTransaction.objects.count(),
    )
    seed_all(log=lambda line: None)
    after = (
        CardProduct.objects.count(),
        Customer.objects.count(),
        KnowledgeArticle.objects.count(),
        CardTransaction.objects.count(),
    )
    assert after == before
