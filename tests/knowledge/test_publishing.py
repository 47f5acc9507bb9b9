"""Publishing makes knowledge answerable with a citation of that revision; unpublishing, expiry
and drafts never reach retrieval."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_q.models import Schedule
from wagtail.test.utils.form_data import nested_form_data, streamfield

from bank_ai.ai.engine import AskContext, ask
from bank_ai.ai.models import CuratedQuestion, KnowledgeChunk
from bank_ai.ai.retrieval import RetrievalFilters
from bank_ai.ai.runtime import get_retriever
from bank_ai.ai.tasks import index_page_task
from content.models import FaqPage, KnowledgeCollection, KnowledgeIndexPage
from content.tasks import SWEEP_SCHEDULE_NAME, knowledge_sweep
from tests.factories import publish_article

pytestmark = pytest.mark.django_db

TITLE = "What is the Lighthouse saver bonus rate?"
ANSWER_V1 = "The Lighthouse saver bonus is 1.8% a year, paid monthly on balances up to RMB 50,000."
ANSWER_V2 = "The Lighthouse saver bonus is 2.1% a year, paid monthly on balances up to RMB 80,000."


def _en() -> AskContext:
    return AskContext(language="en", channel="app")


def _publish_in_cms(client: Client, **overrides: object) -> FaqPage:
    """Create and publish an FAQ through Wagtail's page editor, as an editor would."""
    index = KnowledgeIndexPage.objects.get(locale__language_code="en")
    collection = KnowledgeCollection.objects.get(slug="customer-service")
    fields = {
        "title": TITLE,
        "slug": "faq-lighthouse-saver-bonus",
        "summary": "The bonus rate of the Lighthouse saver account.",
        "audience": "public",
        "collection": collection.pk,
        "topics": "debit-account, fees",
        "product_code": "",
        "valid_from": "",
        "valid_until": "",
        "questions": streamfield([("question", "How much bonus does the Lighthouse saver pay?")]),
        "answer": ANSWER_V1,
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "action-publish": "publish",
        **overrides,
    }
    response = client.post(f"/cms/pages/add/content/faqpage/{index.pk}/", nested_form_data(fields))
    assert response.status_code == 302, response.content.decode()[:3000]
    return FaqPage.objects.get(slug=fields["slug"], locale__language_code="en")


def _republish(page: FaqPage, **changes: object) -> FaqPage:
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_a_page_published_in_the_cms_is_answered_with_a_citation_of_that_revision(
    editor_client: Client, run_queued_tasks, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    with django_capture_on_commit_callbacks(execute=True):
        page = _publish_in_cms(editor_client)
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()
    run_queued_tasks()  # the cluster's index_page_task

    answer = ask(TITLE, _en())

    cited = [s for s in answer.sources if s["page_id"] == page.pk]
    assert cited, answer.sources
    assert cited[0]["revision_id"] == page.live_revision_id
    assert cited[0]["url"].endswith(
        f"/faq-lighthouse-saver-bonus/revisions/{page.live_revision_id}/"
    )
    assert "1.8%" in answer.text


def test_the_citation_keeps_showing_what_was_live_when_the_answer_was_given() -> None:
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
    )
    index_page_task(page.pk)
    first = ask(TITLE, _en()).sources[0]
    assert first["page_id"] == page.pk

    page = _republish(page, answer=ANSWER_V2)
    index_page_task(page.pk)
    second = ask(TITLE, _en())

    assert second.sources[0]["revision_id"] == page.live_revision_id != first["revision_id"]
    assert "2.1%" in second.text
    old = Client().get(first["url"])
    assert old.status_code == 200
    assert "1.8%" in old.content.decode()
    assert "2.1%" not in old.content.decode()
    assert f'data-revision="{first["revision_id"]}"' in old.content.decode()
    current = Client().get(second.sources[0]["url"])
    assert "2.1%" in current.content.decode()


def test_a_draft_is_never_retrieved_nor_shown_by_a_revision_link() -> None:
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
    )
    page.answer = "Draft: the Zephyr moonstone bonus is 9.9% a year."
    draft = page.save_revision()  # saved, not published
    index_page_task(page.pk)

    texts = " ".join(KnowledgeChunk.objects.filter(page_id=page.pk).values_list("text", flat=True))
    assert "moonstone" not in texts
    assert "1.8%" in texts
    hits = get_retriever().search(
        "Zephyr moonstone bonus", filters=RetrievalFilters(languages=("en",)), k=10
    )
    assert all("moonstone" not in hit.text for hit in hits)
    assert Client().get(f"{page.url}revisions/{draft.pk}/").status_code == 404


def test_unpublishing_in_the_cms_takes_the_page_out_of_retrieval(
    admin_client: Client, run_queued_tasks, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
    )
    index_page_task(page.pk)
    assert any(s["page_id"] == page.pk for s in ask(TITLE, _en()).sources)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/cms/pages/{page.pk}/unpublish/", {})
    assert response.status_code == 302
    run_queued_tasks()

    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()
    assert not CuratedQuestion.objects.filter(page_id=page.pk).exists()
    assert all(s["page_id"] != page.pk for s in ask(TITLE, _en()).sources)


def test_expiry_takes_the_page_out_of_retrieval_on_the_next_sweep() -> None:
    today = timezone.localdate()
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
        valid_until=today,
    )
    index_page_task(page.pk)
    assert knowledge_sweep(today=today)["pages_removed"] == 0
    assert KnowledgeChunk.objects.filter(page_id=page.pk).exists()

    result = knowledge_sweep(today=today + timedelta(days=1))

    assert result["pages_removed"] >= 1
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()
    assert not CuratedQuestion.objects.filter(page_id=page.pk).exists()


def test_a_page_published_already_expired_is_not_indexed() -> None:
    yesterday = timezone.localdate() - timedelta(days=1)
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
        valid_until=yesterday,
    )
    index_page_task(page.pk)
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()
    assert all(s["page_id"] != page.pk for s in ask(TITLE, _en()).sources)


def test_the_sweep_indexes_pages_published_outside_the_page_editor() -> None:
    page = publish_article(
        FaqPage,
        language="en",
        title=TITLE,
        slug="faq-lh",
        answer=ANSWER_V1,
        summary="Lighthouse saver bonus.",
    )
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()

    result = knowledge_sweep()

    assert result["pages_indexed"] >= 1
    assert set(
        KnowledgeChunk.objects.filter(page_id=page.pk).values_list("revision_id", flat=True)
    ) == {page.live_revision_id}


def test_the_sweep_runs_every_fifteen_minutes_in_the_task_cluster() -> None:
    schedule = Schedule.objects.get(name=SWEEP_SCHEDULE_NAME)
    assert schedule.func == "content.tasks.knowledge_sweep_task"
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 15
    assert schedule.repeats < 0
