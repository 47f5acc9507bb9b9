"""The engine hands the model one passage per page, the page's chunks joined in page order."""

from __future__ import annotations

from bank_ai.ai.engine import passages_by_page, question_language
from bank_ai.ai.retrieval import RetrievedPassage


def _chunk(chunk_id: int, page_id: int | None, text: str, score: float) -> RetrievedPassage:
    return RetrievedPassage(
        chunk_id=chunk_id,
        page_id=page_id,
        revision_id=None,
        external_id="",
        title=f"page {page_id}",
        url=f"/kb/{page_id}/",
        text=text,
        language="en",
        collection="",
        audience="public",
        page_type="faq",
        score=score,
        similarity=score,
    )


def test_chunks_of_one_page_become_one_passage_in_page_order_without_the_overlap() -> None:
    retrieved = [
        _chunk(12, 7, "the block is immediate. Report fraud to the police.", 0.9),
        _chunk(40, 3, "Another page.", 0.8),
        _chunk(11, 7, "Report the loss in the app; the block is immediate.", 0.7),
    ]
    merged = passages_by_page(retrieved)
    assert [r.page_id for _, r in merged] == [7, 3]  # ranked by each page's best chunk
    assert merged[0][0].text == (
        "Report the loss in the app; the block is immediate. Report fraud to the police."
    )


def test_passages_without_a_page_stay_separate() -> None:
    merged = passages_by_page([_chunk(1, None, "One.", 0.5), _chunk(2, None, "Two.", 0.4)])
    assert [p.text for p, _ in merged] == ["One.", "Two."]


def test_the_answer_language_follows_the_question_when_it_is_plain() -> None:
    assert question_language("My card was stolen, what now?", "zh-hans") == "en"
    assert question_language("我的ATM卡被吞了", "en") == "zh-hans"
    assert question_language("ok", "zh-hans") == "zh-hans"
