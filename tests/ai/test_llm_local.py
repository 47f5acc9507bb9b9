"""LocalProvider: the offline, extractive engine the product relies on without an API key."""

from __future__ import annotations

import re

import pytest

from bank_ai.ai.llm import Completed, GenerationRequest, LocalProvider, Passage, TextDelta
from bank_ai.ai.llm.local import approx_tokens, split_sentences

ZH_PASSAGES = (
    Passage(
        "kb-cc",
        "信用卡年费说明",
        "https://bank.example/cc",
        "本行标准信用卡年费为200元。当年刷卡满6次即可免次年年费。金卡年费为600元。",
    ),
    Passage(
        "kb-td",
        "定期存款利率",
        "https://bank.example/td",
        "一年期定期存款年利率为1.5%。三年期定期存款年利率为2.1%。提前支取将按活期利率计息。",
    ),
    Passage(
        "kb-lost",
        "银行卡挂失",
        "https://bank.example/lost",
        "银行卡丢失后请立即拨打客服热线95555办理挂失。挂失后可到网点补办新卡，工本费10元。",
    ),
)
EN_PASSAGES = (
    Passage(
        "en-card",
        "Debit card fees",
        "https://bank.example/debit",
        "Our Everyday debit card has no monthly fee. Withdrawals at other banks' ATMs cost "
        "$2.50 each. Replacement cards are free once a year.",
    ),
    Passage(
        "en-intl",
        "International transfers",
        "https://bank.example/intl",
        "International transfers cost $15 per transfer. Transfers sent before 3 p.m. usually "
        "arrive within 2 business days. The daily limit for online transfers is $10,000.",
    ),
)

CITED = re.compile(r"\s?\[(\d+)\]")


def answer(question: str, passages: tuple[Passage, ...], language: str) -> str:
    request = GenerationRequest(
        task="answer", language=language, question=question, passages=passages
    )
    return LocalProvider().generate(request).text


def cited_sentences(text: str) -> list[tuple[str, int]]:
    """(sentence without its marker, cited passage number) for every sentence.

    Each source is cited once, after the last sentence taken from it, so a sentence without a
    marker belongs to the next marker.
    """
    body = text.split("\n", 1)[1]  # drop the lead-in line
    found: list[tuple[str, int]] = []
    pending: list[str] = []
    for sentence in split_sentences(body):
        numbers = [int(n) for n in CITED.findall(sentence)]
        assert len(numbers) <= 1, f"multiply cited sentence: {sentence!r}"
        pending.append(CITED.sub("", sentence))
        if numbers:
            found.extend((s, numbers[0]) for s in pending)
            pending = []
    assert not pending, f"sentences after the last citation: {pending!r}"
    return found


def test_english_answer_only_uses_cited_passage_sentences() -> None:
    text = answer("How much does an international transfer cost?", EN_PASSAGES, "en")
    sentences = cited_sentences(text)
    assert 1 <= len(sentences) <= 4
    for sentence, number in sentences:
        # Every sentence is copied verbatim from the passage it cites.
        assert sentence in EN_PASSAGES[number - 1].text
    assert ("International transfers cost $15 per transfer.", 2) in sentences


def test_chinese_answer_cites_the_relevant_passage_sentences() -> None:
    text = answer("信用卡年费是多少？", ZH_PASSAGES, "zh-hans")
    assert text.startswith("根据我行资料：")
    sentences = cited_sentences(text)
    for sentence, number in sentences:
        assert sentence in ZH_PASSAGES[number - 1].text
    assert ("本行标准信用卡年费为200元。", 1) in sentences
    assert all(number == 1 for _, number in sentences)


def test_marker_sits_before_the_closing_punctuation() -> None:
    text = answer("银行卡丢了怎么挂失？", ZH_PASSAGES, "zh-hans")
    assert "工本费10元[3]。" in text


def test_answer_leads_with_the_sentence_holding_the_number_asked_about() -> None:
    passages = (
        Passage("a", "Standard", "", "Standard transfers arrive within 5 days."),
        Passage("b", "Express", "", "Express transfers arrive within 2 days."),
    )
    text = answer("Which transfers arrive within 2 days?", passages, "en")
    assert cited_sentences(text)[0] == ("Express transfers arrive within 2 days.", 2)


def test_selected_sentences_keep_their_order_within_a_passage() -> None:
    text = answer("定期存款利率是多少？三年期呢？", ZH_PASSAGES, "zh-hans")
    sentences = [s for s, _ in cited_sentences(text)]
    source = ZH_PASSAGES[1].text
    positions = [source.index(s) for s in sentences]
    assert len(positions) >= 2
    assert positions == sorted(positions)


def test_abbreviations_and_decimals_do_not_split_sentences() -> None:
    assert split_sentences("Send before 3 p.m. today. Rate is 1.5% p.a.") == [
        "Send before 3 p.m. today.",
        "Rate is 1.5% p.a.",
    ]


@pytest.mark.parametrize(
    ("language", "dont_know", "human"),
    [("zh-hans", "没有找到", "人工客服"), ("en", "couldn't find", "colleague")],
)
def test_no_passages_admits_not_knowing_and_offers_a_human(
    language: str, dont_know: str, human: str
) -> None:
    text = answer("What is the fee?", (), language)
    assert dont_know in text
    assert human in text
    assert not CITED.search(text)


def test_unrelated_passages_point_to_documents_instead_of_guessing() -> None:
    text = answer("Can I get a mortgage?", EN_PASSAGES, "en")
    assert "couldn't find a direct answer" in text
    assert "[1] Debit card fees https://bank.example/debit" in text
    assert "Our Everyday debit card" not in text  # no passage sentence passed off as answer


def test_rephrase_returns_the_draft_without_adding_words() -> None:
    draft = "  年费为200元[1]。\n\n\n刷卡满6次   免年费[1]。  "
    request = GenerationRequest(task="rephrase", language="zh-hans", draft=draft)
    text = LocalProvider().generate(request).text
    assert text == "年费为200元[1]。\n\n刷卡满6次 免年费[1]。"
    assert set(text) <= set(draft)


def test_summarise_extracts_sentences_from_the_conversation() -> None:
    history = (
        ("user", "我的信用卡被盗刷了，有两笔不是我消费的。"),
        ("assistant", "请您先冻结卡片。您可以在手机银行中冻结。"),
        ("user", "已经冻结了，盗刷的两笔一共5000元，怎么退回？"),
    )
    request = GenerationRequest(task="summarise", language="zh-hans", history=history)
    lines = LocalProvider().generate(request).text.split("\n")
    assert lines[0] == "摘要："
    assert 1 <= len(lines) - 1 <= 3
    source = " ".join(text for _, text in history)
    for line in lines[1:]:
        assert line[3:] in source  # each line is a role label plus a verbatim sentence


def test_chat_without_passages_is_a_polite_template_without_facts() -> None:
    request = GenerationRequest(task="chat", language="en", question="hi")
    text = LocalProvider().generate(request).text
    assert text.startswith("Hello!")
    assert "colleague" in text
    assert not re.search(r"\d", text)


def test_streams_in_several_small_deltas_that_join_to_the_completed_text() -> None:
    request = GenerationRequest(
        task="answer", language="zh-hans", question="信用卡年费是多少", passages=ZH_PASSAGES
    )
    events = list(LocalProvider().stream(request))
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    completed = events[-1]
    assert isinstance(completed, Completed)
    assert completed.provider == "local"
    assert len(deltas) > 5
    assert max(len(d) for d in deltas) <= 6
    assert "".join(deltas) == completed.text
    assert "[1]" in deltas  # a citation marker is never split across deltas


def test_english_streams_about_a_word_per_delta() -> None:
    request = GenerationRequest(task="chat", language="en", question="hi")
    deltas = [e.text for e in LocalProvider().stream(request) if isinstance(e, TextDelta)]
    assert all(len(d.split()) <= 1 for d in deltas)


def test_same_request_gives_the_same_text() -> None:
    first = answer("How much are ATM withdrawals?", EN_PASSAGES, "en")
    assert all(
        answer("How much are ATM withdrawals?", EN_PASSAGES, "en") == first for _ in range(3)
    )


def test_usage_is_an_approximate_token_count() -> None:
    assert approx_tokens("年费为二百元") == 3  # two Chinese characters per token
    assert approx_tokens("the annual fee") == 3  # one token per English word
    request = GenerationRequest(task="chat", language="en", question="hi")
    completed = LocalProvider().generate(request)
    assert completed.usage.output_tokens == approx_tokens(completed.text)
    assert completed.usage.input_tokens >= 1


def test_max_tokens_truncates_and_reports_it() -> None:
    request = GenerationRequest(task="chat", language="en", question="hi", max_tokens=5)
    completed = LocalProvider().generate(request)
    assert approx_tokens(completed.text) <= 5
    assert completed.stop_reason == "max_tokens"


# A stolen-card article as the demo knowledge writes it: the summary restates the body, and
# the first thing to do (report the loss) comes first.
STOLEN_CARD = Passage(
    "kb-stolen",
    "银行卡丢失或被盗怎么办？",
    "https://bank.example/stolen",
    "银行卡丢失或被盗怎么办？立即通过 App 或致电95500-8挂失，挂失即时生效；"
    "信用卡挂失前48小时内的盗刷可申请失卡保障。"
    "请第一时间登录 App「我的—卡片管理—挂失」或致电95500-8（24小时）办理挂失，挂失即时生效。"
    "信用卡挂失免费，可同时申请补卡，新卡约5–7个工作日寄达。"
    "挂失前48小时内发生的盗刷可申请失卡保障。"
    "被盗刷请同时向公安机关报案。",
)
FRAUD_ALERT = Passage(
    "kb-phishing",
    "钓鱼短信诈骗提醒",
    "https://bank.example/phishing",
    "如您已经在可疑网页上填写了信息，请立即拨打95500-8冻结卡片、修改密码，并向公安机关报案。"
    "被盗刷请同时向公安机关报案。",
)


def test_stolen_card_answer_puts_reporting_the_loss_first() -> None:
    text = answer("我的卡被盗了还被人刷了怎么办", (FRAUD_ALERT, STOLEN_CARD), "zh-hans")
    sentences = [s for s, _ in cited_sentences(text)]
    report_loss = next(i for i, s in enumerate(sentences) if "挂失" in s)
    police = next(i for i, s in enumerate(sentences) if "报案" in s)
    assert report_loss < police
    assert sentences[0].startswith("立即通过 App 或致电95500-8挂失")


def test_answer_keeps_the_passage_order_of_steps() -> None:
    text = answer("我的卡被盗了还被人刷了怎么办", (STOLEN_CARD,), "zh-hans")
    sentences = [s for s, _ in cited_sentences(text)]
    positions = [STOLEN_CARD.text.index(s) for s in sentences]
    assert len(positions) >= 2
    assert positions == sorted(positions)


def test_answer_says_no_sentence_twice() -> None:
    doubled = Passage(
        "kb-stolen-2", STOLEN_CARD.title, STOLEN_CARD.url, STOLEN_CARD.text.split("？", 1)[1]
    )
    text = answer("卡被盗刷了，失卡保障怎么申请？", (STOLEN_CARD, doubled, FRAUD_ALERT), "zh-hans")
    sentences = [s for s, _ in cited_sentences(text)]
    keys = [re.sub(r"\W+", "", s) for s in sentences]
    assert len(keys) == len(set(keys))
    # The summary's "48小时内的盗刷可申请失卡保障" and the body's restatement are one fact.
    assert sum("失卡保障" in s for s in sentences) == 1


def test_each_source_is_cited_once() -> None:
    text = answer("我的卡被盗了还被人刷了怎么办", (STOLEN_CARD, FRAUD_ALERT), "zh-hans")
    numbers = [int(n) for n in CITED.findall(text)]
    assert numbers
    assert len(numbers) == len(set(numbers))


def test_english_answer_cites_each_source_once_after_its_sentences() -> None:
    text = answer(
        "How much does an international transfer cost and when does it arrive?", EN_PASSAGES, "en"
    )
    assert CITED.findall(text) == ["2"]
    assert "International transfers cost $15 per transfer. Transfers sent before 3 p.m." in text
