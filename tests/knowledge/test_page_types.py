"""The page types editors expect, with their rules: product pages tied to the card catalogue,
audiences that match their collection."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from bank_ai.ai.engine import AskContext, ask
from bank_ai.ai.tasks import index_page_task
from content.models import (
    AntiFraudNoticePage,
    CampaignPage,
    FaqPage,
    KnowledgeCollection,
    ProcessGuidePage,
    ProductPage,
    RegulationPage,
)
from scenarios.models import CardProduct
from tests.factories import publish_article

pytestmark = pytest.mark.django_db


def test_the_demo_bank_has_every_page_type_in_both_languages() -> None:
    for page_class in (
        FaqPage,
        ProcessGuidePage,
        RegulationPage,
        CampaignPage,
        AntiFraudNoticePage,
        ProductPage,
    ):
        languages = set(page_class.objects.live().values_list("locale__language_code", flat=True))
        assert languages == {"zh-hans", "en"}, page_class


def test_every_demo_product_page_is_linked_to_a_catalogue_card() -> None:
    assert not ProductPage.objects.filter(product__isnull=True).exists()


def test_a_product_page_without_a_catalogue_card_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        publish_article(
            ProductPage,
            language="en",
            title="Mystery card",
            slug="mystery",
            summary="?",
            body="<p>?</p>",
        )
    assert "product" in refused.value.message_dict


def test_a_product_page_shows_and_indexes_the_catalogues_figures() -> None:
    page = ProductPage.objects.get(product__code="travel-platinum", locale__language_code="en")
    facts = page.catalogue_facts()
    assert any("RMB 1,000" in fact for fact in facts)
    assert "56 interest-free days" in page.knowledge_text()
    body = Client().get(page.url).content.decode()
    assert "From the card catalogue" in body
    assert "RMB 1,000" in body


def test_a_catalogue_change_reaches_the_answers_after_reindexing() -> None:
    page = ProductPage.objects.get(product__code="travel-platinum", locale__language_code="en")
    CardProduct.objects.filter(code="travel-platinum").update(interest_free_days=61)
    page.refresh_from_db()
    assert index_page_task(page.pk)["written"] > 0
    answer = ask(
        f"How many interest-free days does the {page.product.name('en')} have?",
        AskContext(language="en", channel="app", page_types=("product",)),
    )
    assert page.pk in {s["page_id"] for s in answer.sources}
    assert "61" in answer.text


def test_a_page_cannot_be_more_open_than_its_collection() -> None:
    with pytest.raises(ValidationError) as refused:
        publish_article(
            RegulationPage,
            language="en",
            title="Leaky",
            slug="leaky",
            summary="x",
            source="x",
            body="<p>x</p>",
            collection="compliance-restricted",
            audience="public",
        )
    assert "audience" in refused.value.message_dict
    assert KnowledgeCollection.objects.get(slug="compliance-restricted").audience == "restricted"
