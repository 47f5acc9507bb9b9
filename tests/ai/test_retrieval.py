from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bank_ai.ai import retrieval
from bank_ai.ai.indexing import index_document, reindex_knowledge
from bank_ai.ai.models import KNOWLEDGE_CORPUS, IndexingRun, KnowledgeChunk
from bank_ai.ai.retrieval import RetrievalFilters, filtered_chunks
from bank_ai.ai.runtime import get_retriever
from content.knowledge import article_document
from content.models import FaqPage, KnowledgeArticle, ProcessGuidePage
from tests.factories import publish_article

pytestmark = pytest.mark.django_db


def _search(query: str, **filters: object) -> list:
    return get_retriever().search(query, filters=RetrievalFilters(**filters), k=5)


def test_every_live_article_is_indexed_in_its_language() -> None:
    live = KnowledgeArticle.objects.live().exclude(valid_until__lt=timezone.localdate())
    indexed = set(
        KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS).values_list("page_id", flat=True)
    )
    assert set(live.values_list("pk", flat=True)) == indexed


def test_a_chinese_question_finds_the_article_that_answers_it() -> None:
    hits = _search("银行卡丢了应该怎么挂失", languages=("zh-hans",))
    assert hits[0].url.rsplit("/kb/", 1)[1] in {"faq-lost-stolen-card/", "guide-report-lost-card/"}


def test_an_english_paraphrase_finds_the_article() -> None:
    hits = _search("my card got stolen, what should I do", languages=("en",))
    assert hits[0].url.rsplit("/kb/", 1)[1] in {"faq-lost-stolen-card/", "guide-report-lost-card/"}


def test_customer_filters_never_return_internal_or_restricted_passages() -> None:
    hits = _search("反洗钱预警分级升级处置的阈值", languages=("zh-hans",))
    assert hits, "public passages should still be found"
    assert {hit.audience for hit in hits} == {"public"}


def test_a_permitted_collection_is_searchable_for_its_readers() -> None:
    hits = _search(
        "反洗钱预警分级升级处置",
        languages=("zh-hans",),
        audiences=("public", "internal"),
        extra_collections=("compliance-restricted",),
    )
    assert any(hit.collection == "compliance-restricted" for hit in hits)


def test_expired_passages_are_not_retrieved() -> None:
    page = FaqPage.objects.get(slug="faq-annual-fee-waiver", locale__language_code="zh-hans")
    KnowledgeChunk.objects.filter(page_id=page.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    hits = _search("信用卡年费怎么收", languages=("zh-hans",))
    assert page.pk not in {hit.page_id for hit in hits}


def test_reindexing_unchanged_pages_writes_nothing() -> None:
    run = reindex_knowledge(IndexingRun.objects.create(reason="test"))
    assert run.status == IndexingRun.Status.DONE
    assert run.chunks_written == 0
    assert run.pages_done == run.pages_total > 150


def test_an_edited_page_is_reindexed_with_its_new_revision() -> None:
    page = FaqPage.objects.get(slug="faq-annual-fee-waiver", locale__language_code="zh-hans")
    page.answer += "\n\n自2027年起，金卡年费调整为每年300元。"
    revision = page.save_revision()
    revision.publish()
    page.refresh_from_db()
    written, removed = index_document(article_document(page))
    assert written
    assert removed
    assert set(
        KnowledgeChunk.objects.filter(page_id=page.pk).values_list("revision_id", flat=True)
    ) == {revision.pk}
    assert _search("2027年金卡年费调整", languages=("zh-hans",))[0].page_id == page.pk


def test_an_unpublished_page_loses_its_passages_on_reindex() -> None:
    page = ProcessGuidePage.objects.get(slug="guide-report-lost-card", locale__language_code="en")
    page.unpublish()
    reindex_knowledge(IndexingRun.objects.create(reason="test"))
    assert not KnowledgeChunk.objects.filter(page_id=page.pk).exists()


def test_a_new_article_is_found_by_its_own_words_after_indexing() -> None:
    page = publish_article(
        FaqPage,
        title="海港银行数字人营业时间",
        slug="faq-avatar-hours",
        summary="数字人服务时间。",
        answer="大堂数字人每天8:00至21:00提供服务，节假日照常。",
    )
    index_document(article_document(page))
    assert _search("数字人几点下班", languages=("zh-hans",))[0].page_id == page.pk


def test_vector_search_uses_the_hnsw_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM ai_knowledgechunk ORDER BY embedding <=> %s::vector LIMIT 5",
            ["[" + ",".join(["0.05"] * 384) + "]"],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "chunk_embedding_hnsw" in plan


def test_bm25_figures_are_counted_again_after_a_page_is_indexed() -> None:
    filters = RetrievalFilters(languages=("zh-hans",))
    chunks = filtered_chunks(filters)
    _search("数字人营业时间", languages=("zh-hans",))  # the figures are now kept
    before_total, _length, before = retrieval._statistics.get(chunks, filters, ["数字"])
    page = publish_article(
        FaqPage,
        title="海港银行数字人营业时间",
        slug="faq-avatar-hours",
        summary="数字人服务时间。",
        answer="大堂数字人每天8:00至21:00提供服务，节假日照常。",
    )
    index_document(article_document(page))
    total, _length, after = retrieval._statistics.get(chunks, filters, ["数字"])
    written = KnowledgeChunk.objects.filter(page_id=page.pk).count()
    assert total == before_total + written
    assert after["数字"] == before["数字"] + written


def test_bm25_figures_changed_by_another_process_are_recounted_after_their_age() -> None:
    now = [0.0]
    statistics = retrieval.CorpusStatistics(clock=lambda: now[0])
    filters = RetrievalFilters(languages=("zh-hans",))
    chunks = filtered_chunks(filters)
    total, _length, _df = statistics.get(chunks, filters, ["年费"])
    # Written without this process's indexing (as another worker's reindex would be).
    KnowledgeChunk.objects.filter(pk__in=list(chunks.values_list("pk", flat=True)[:1])).update(
        language="en"
    )
    assert statistics.get(chunks, filters, ["年费"])[0] == total
    now[0] = statistics.MAX_AGE_SECONDS + 1
    assert statistics.get(chunks, filters, ["年费"])[0] == total - 1


def test_a_search_with_known_figures_is_one_round_trip(django_assert_num_queries) -> None:
    _search("信用卡年费怎么减免", languages=("zh-hans",))
    with django_assert_num_queries(1):
        hits = _search("信用卡年费怎么减免", languages=("zh-hans",))
    assert hits


def test_without_client_side_binding_the_search_finds_the_same_passages(monkeypatch) -> None:
    query = "my card got stolen, what should I do"
    together = _search(query, languages=("en",))
    monkeypatch.setattr(retrieval, "_allows_several_statements", lambda cursor: False)
    apart = _search(query, languages=("en",))
    assert [(p.chunk_id, p.similarity, p.score) for p in apart] == [
        (p.chunk_id, p.similarity, p.score) for p in together
    ]


def test_figures_counted_while_the_knowledge_base_changed_are_not_kept() -> None:
    statistics = retrieval.CorpusStatistics()
    counts = []

    class ChangingChunks:
        def aggregate(self, **aggregates: object) -> dict[str, float]:
            counts.append(sorted(aggregates))
            statistics.forget()  # a page was indexed while these were counted
            return dict.fromkeys(aggregates, 3)

    filters = RetrievalFilters(languages=("en",), on_date=timezone.localdate())
    assert statistics.get(ChangingChunks(), filters, ["fee"]) == (3, 3.0, {"fee": 3})
    statistics.get(ChangingChunks(), filters, ["fee"])
    assert len(counts) == 2
