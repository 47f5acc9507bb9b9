"""eval_answers' scoring: facts found, their order, repeats, citations and language."""

from __future__ import annotations

from bank_ai.ai.answer_eval import score_answer


def test_facts_are_found_across_spacing_dashes_and_citations() -> None:
    score = score_answer(
        "根据我行资料：\n新卡约5–7个工作日寄达[1]。",
        ["5-7个工作日"],
        ordered=False,
        language="zh-hans",
    )
    assert score.found == 1


def test_steps_out_of_order_are_counted() -> None:
    text = "根据我行资料：\n被盗刷请向公安机关报案。请立即挂失[1]。"
    score = score_answer(text, ["挂失", "报案"], ordered=True, language="zh-hans")
    assert score.in_order is False


def test_a_repeated_sentence_and_a_source_cited_twice_are_counted() -> None:
    text = "According to our documentation:\nReport it now [1]. Report it now [1]."
    score = score_answer(text, ["report"], ordered=False, language="en")
    assert score.repeated_sentences == 1
    assert score.sources_cited_more_than_once == 1


def test_chinese_in_an_english_answer_is_the_wrong_language() -> None:
    assert not score_answer(
        "Call 95500-8 或到网点.", ["95500-8"], ordered=False, language="en"
    ).right_language
