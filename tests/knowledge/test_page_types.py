"""The page types editors expect, with their rules: product pages tied to the card catalogue,
audiences that match their collection."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client

from bank_ai.ai.engine import AskContext, ask
from bank_ai.ai.tasks import index_page_task
from content.catalogue import card_for, card_select_choices
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
    assert not ProductPage.objects.filter(product_code="").exists()


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
    assert "product_code" in refused.value.message_dict


def test_a_product_page_shows_and_indexes_the_catalogues_figures() -> None:
    page = ProductPage.objects.get(product_code="travel-platinum", locale__language_code="en")
    facts = page.catalogue_facts()
    assert any("RMB 1,000" in fact for fact in facts)
    assert "56 interest-free days" in page.knowledge_text()
    body = Client().get(page.url).content.decode()
    assert "From the card catalogue" in body
    assert "RMB 1,000" in body


def test_a_catalogue_change_reaches_the_answers_after_reindexing() -> None:
    page = ProductPage.objects.get(product_code="travel-platinum", locale__language_code="en")
    CardProduct.objects.filter(code="travel-platinum").update(interest_free_days=61)
    page.refresh_from_db()
    assert index_page_task(page.pk)["written"] > 0
    answer = ask(
        f"How many interest-free days does the {card_for(page.product_code).name('en')} have?",
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


def test_a_page_naming_a_card_the_catalogue_does_not_have_is_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        publish_article(
            FaqPage,
            language="en",
            title="Ghost card fee",
            slug="ghost-card-fee",
            summary="?",
            answer="?",
            product_code="no-such-card",
        )
    assert "product_code" in refused.value.message_dict


def test_the_editor_offers_the_catalogues_cards_with_the_pages_own_selected() -> None:
    choices = dict(card_select_choices())
    assert choices[""] == "—"
    assert "travel-platinum" in choices
    page = ProductPage.objects.get(product_code="travel-platinum", locale__language_code="en")
    editor = Client()
    editor.force_login(get_user_model().objects.get(username="editor"))
    form = editor.get(f"/cms/pages/{page.pk}/edit/").content.decode()
    assert '<option value="travel-platinum" selected>' in form
