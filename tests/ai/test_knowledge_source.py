"""The AI core reads knowledge through the registered KnowledgeSource, whatever app keeps it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.exceptions import ImproperlyConfigured

from bank_ai.ai import knowledge
from bank_ai.ai.engine import _source
from bank_ai.ai.indexing import reindex_knowledge
from bank_ai.ai.knowledge import KnowledgeDocument, knowledge_source, register_knowledge_source
from bank_ai.ai.models import KNOWLEDGE_CORPUS, CuratedQuestion, IndexingRun, KnowledgeChunk
from bank_ai.ai.tasks import index_page_task
from content.knowledge import ArticleKnowledgeSource
from content.models import FaqPage

pytestmark = pytest.mark.django_db


class FakeSource:
    """A knowledge source that is not the CMS: one FAQ held in memory."""

    def __init__(self, documents: list[KnowledgeDocument]) -> None:
        self.documents = {d.page_id: d for d in documents}

    def live_documents(self) -> Iterator[KnowledgeDocument]:
        yield from self.documents.values()

    def live_document(self, page_id: int) -> KnowledgeDocument | None:
        return self.documents.get(page_id)

    def citation_url(self, page_url: str, revision_id: int | None) -> str:
        return f"{page_url}?as-of={revision_id}"


def _faq(page_id: int) -> KnowledgeDocument:
    return KnowledgeDocument(
        page_id=page_id,
        revision_id=None,
        page_type="faq",
        language="en",
        title="When does the lobby avatar sleep?",
        text="The lobby avatar rests from 22:00 to 07:00 every night.",
        audience="public",
        collection="public-faq",
        url="/en/kb/avatar-sleep/",
        answer="The lobby avatar rests from 22:00 to 07:00 every night.",
        question_variants=("Is the avatar on at night?",),
    )


@pytest.fixture
def page_id() -> int:
    # Passages reference a Wagtail page row, so the fake document borrows a demo page's id.
    return FaqPage.objects.filter(locale__language_code="en").order_by("pk")[0].pk


@pytest.fixture
def fake_source(monkeypatch: pytest.MonkeyPatch, page_id: int) -> FakeSource:
    monkeypatch.setattr(knowledge, "_source", None)
    source = FakeSource([_faq(page_id)])
    register_knowledge_source(source)
    return source


def test_the_content_app_registers_the_knowledge_pages_as_the_source() -> None:
    assert isinstance(knowledge_source(), ArticleKnowledgeSource)


def test_it_says_what_is_missing_when_no_source_is_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(knowledge, "_source", None)
    with pytest.raises(ImproperlyConfigured, match="No knowledge source is registered"):
        knowledge_source()


def test_it_refuses_to_register_something_that_is_not_a_source() -> None:
    with pytest.raises(TypeError, match="does not implement KnowledgeSource"):
        register_knowledge_source(object())  # type: ignore[arg-type]


def _chunks(page_id: int) -> list[KnowledgeChunk]:
    return list(KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, page_id=page_id))


@pytest.mark.usefixtures("fake_source")
def test_the_page_task_indexes_what_the_registered_source_hands_over(page_id: int) -> None:
    result = index_page_task(page_id)
    chunks = _chunks(page_id)
    questions = set(
        CuratedQuestion.objects.filter(page_id=page_id).values_list("question", flat=True)
    )
    assert result["written"] == len(chunks) > 0
    assert {c.url for c in chunks} == {"/en/kb/avatar-sleep/"}
    assert questions == {"When does the lobby avatar sleep?", "Is the avatar on at night?"}


def test_a_document_the_source_no_longer_has_loses_its_passages(
    fake_source: FakeSource, page_id: int
) -> None:
    index_page_task(page_id)
    fake_source.documents.clear()
    result = index_page_task(page_id)
    assert result["removed"] > 0
    assert _chunks(page_id) == []


@pytest.mark.usefixtures("fake_source")
def test_a_full_reindex_keeps_only_the_pages_the_source_lists(page_id: int) -> None:
    run = reindex_knowledge(IndexingRun.objects.create(reason="test"))
    remaining_pages = set(
        KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS).values_list("page_id", flat=True)
    )
    assert run.pages_total == 1
    assert remaining_pages == {page_id}


@pytest.mark.usefixtures("fake_source")
def test_citations_link_where_the_source_says() -> None:
    source = _source(1, "Title", "/en/kb/avatar-sleep/", "text", 1, 42)
    assert source["url"] == "/en/kb/avatar-sleep/?as-of=42"
    assert source["page_url"] == "/en/kb/avatar-sleep/"
