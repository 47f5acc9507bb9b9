"""Per-turn sentiment: polarity, negation, degree, anger and the labelled evaluation set."""

from __future__ import annotations

import csv
import dataclasses
import timeit
from pathlib import Path

import pytest

from bank_ai.ai.sentiment import Sentiment, analyse_sentiment

EVAL_CSV = Path(__file__).resolve().parents[2] / "bank_ai" / "ai" / "eval_data" / "sentiment.csv"


def load_eval() -> list[tuple[str, str, bool]]:
    with EVAL_CSV.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["label"], row["angry"] == "1") for row in csv.DictReader(fh)]


# ------------------------------------------------------------------------------ the result


def test_the_result_is_a_frozen_value_with_bounded_scores() -> None:
    result = analyse_sentiment("太慢了！！！我要投诉")

    assert isinstance(result, Sentiment)
    assert -1.0 <= result.score <= 1.0
    assert 0.0 <= result.anger <= 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.label = "positive"  # type: ignore[misc]


def test_the_cues_name_the_words_that_decided_the_label() -> None:
    result = analyse_sentiment("柜员非常耐心，谢谢")

    assert result.cues == ("非常+耐心", "谢谢")


@pytest.mark.parametrize("text", ["", "   ", "。。。"])
def test_empty_or_punctuation_only_text_is_neutral(text: str) -> None:
    result = analyse_sentiment(text)

    assert (result.label, result.score, result.anger, result.cues) == ("neutral", 0.0, 0.0, ())


# ------------------------------------------------------------------------------ neutral


@pytest.mark.parametrize(
    "text",
    [
        "信用卡年费多少",
        "我卡丢了咋办",
        "最低还款额是多少",
        "我经常出差，推荐一张信用卡",  # 差 inside 出差 is not "poor"
        "麻烦帮我打印一下近三个月的流水",  # 麻烦 here is politeness, not hassle
        "帮我操作一下转账",  # 操 inside 操作 is not profanity
        "What's the exchange rate for euros today?",
        "Which card is good for overseas travel?",  # asks, doesn't praise
    ],
)
def test_factual_banking_questions_stay_neutral(text: str) -> None:
    assert analyse_sentiment(text).label == "neutral"


# ------------------------------------------------------------------------------ negation


@pytest.mark.parametrize(
    ("plain", "negated"),
    [("满意", "不满意"), ("开心", "不开心"), ("很满意", "不是很满意"), ("happy", "not happy")],
)
def test_negation_turns_a_positive_word_negative(plain: str, negated: str) -> None:
    assert analyse_sentiment(plain).label == "positive"
    assert analyse_sentiment(negated).label == "negative"


@pytest.mark.parametrize(("negative", "negated"), [("错了", "不错"), ("bad", "not bad")])
def test_a_lexicalised_negation_of_a_negative_word_is_positive(negative: str, negated: str) -> None:
    assert analyse_sentiment(negative).label in {"negative", "neutral"}
    assert analyse_sentiment(negated).label == "positive"


def test_a_graded_negator_softens_but_keeps_the_negation() -> None:
    strong = analyse_sentiment("这个收费不合理")
    softened = analyse_sentiment("这个收费不太合理")

    assert softened.label == "negative"
    assert strong.score < softened.score


def test_negation_does_not_reach_past_a_clause_boundary() -> None:
    assert analyse_sentiment("No, I'm happy with it").label == "positive"


def test_a_negated_anger_word_is_not_anger() -> None:
    result = analyse_sentiment("我没生气")

    assert result.anger == 0.0
    assert result.label == "neutral"


def test_a_blocker_stops_a_false_negation() -> None:
    # 不好意思 (excuse me) must not be read as 不好 (bad) + 意思.
    assert analyse_sentiment("不好意思，打扰一下").label == "neutral"


@pytest.mark.parametrize("text", ["你们不要乱扣费", "你们是不是乱扣费了"])
def test_imperatives_and_a_not_a_questions_do_not_negate_a_complaint(text: str) -> None:
    assert analyse_sentiment(text).label == "negative"


# ------------------------------------------------------------------------------ degree


@pytest.mark.parametrize(
    ("plain", "intensified"),
    [
        ("满意", "非常满意"),
        ("失望", "太让人失望了"),
        ("slow", "extremely slow"),
        ("helpful", "really helpful"),
    ],
)
def test_a_degree_adverb_raises_the_magnitude(plain: str, intensified: str) -> None:
    assert abs(analyse_sentiment(intensified).score) > abs(analyse_sentiment(plain).score)


@pytest.mark.parametrize(("plain", "marked"), [("太慢了", "太慢了！！！"), ("great", "great!")])
def test_exclamation_marks_raise_the_magnitude(plain: str, marked: str) -> None:
    assert abs(analyse_sentiment(marked).score) > abs(analyse_sentiment(plain).score)


def test_shouting_in_capitals_raises_magnitude_and_anger() -> None:
    calm = analyse_sentiment("this is the worst bank")
    shouted = analyse_sentiment("THIS IS THE WORST BANK")

    assert shouted.score < calm.score
    assert shouted.anger > calm.anger
    assert "ALL CAPS" in shouted.cues


def test_acronyms_in_capitals_are_not_shouting() -> None:
    assert analyse_sentiment("Can I reset my ATM PIN at the VTM, USD account?").label == "neutral"


def test_a_diminisher_lowers_the_magnitude() -> None:
    assert abs(analyse_sentiment("有点失望").score) < abs(analyse_sentiment("失望").score)


def test_what_follows_but_outweighs_what_precedes_it() -> None:
    assert analyse_sentiment("The app is great but transfers are slow").label == "negative"


# ------------------------------------------------------------------------------ anger


@pytest.mark.parametrize(
    "text",
    [
        "再不处理我就打12378投诉你们",
        "我要投诉到银保监会，必须给我个说法",
        "I'm going to report you to the regulator",
        "Fix this or I take it to the ombudsman",
    ],
)
def test_a_threat_to_go_to_the_regulator_is_anger(text: str) -> None:
    result = analyse_sentiment(text)

    assert result.is_angry
    assert result.label == "negative"


@pytest.mark.parametrize(
    "text", ["气死我了，受够了", "垃圾银行，乱扣费！！！", "I'm fed up, this is unacceptable"]
)
def test_outright_anger_words_are_anger(text: str) -> None:
    assert analyse_sentiment(text).is_angry


@pytest.mark.parametrize("text", ["等了两个小时都没人管", "I've been waiting for 2 hours"])
def test_a_long_wait_is_negative_and_counts_towards_anger(text: str) -> None:
    result = analyse_sentiment(text)

    assert result.label == "negative"
    assert result.anger > 0.3


@pytest.mark.parametrize(
    "text",
    ["我好像被骗了，刚才有人冒充客服让我转账", "I think I've been scammed", "柜员态度不太好"],
)
def test_distress_or_mild_dissatisfaction_is_negative_without_anger(text: str) -> None:
    result = analyse_sentiment(text)

    assert result.label == "negative"
    assert not result.is_angry


def test_politeness_lowers_anger() -> None:
    blunt = analyse_sentiment("你们乱扣费了")
    polite = analyse_sentiment("麻烦您查一下，你们乱扣费了")

    assert polite.anger < blunt.anger


def test_thanks_beside_real_irritation_reads_as_sarcasm() -> None:
    assert analyse_sentiment("谢谢你们啊，让我白跑一趟").label == "negative"


# ------------------------------------------------------------------------------ positive


@pytest.mark.parametrize(
    "text", ["谢谢，太好了", "很满意", "Thanks a lot, that solved it", "great"]
)
def test_thanks_and_praise_are_positive(text: str) -> None:
    assert analyse_sentiment(text).label == "positive"


def test_mixed_chinese_and_english_turns_are_read_in_one_pass() -> None:
    result = analyse_sentiment("App又崩了，so annoying")

    assert result.label == "negative"
    assert result.cues == ("又+崩了", "so+annoying")


# ------------------------------------------------------------------------------ evaluation


def test_the_labelled_set_is_balanced_and_bilingual() -> None:
    rows = load_eval()
    labels = [label for _, label, _ in rows]
    chinese = [text for text, _, _ in rows if any("\u4e00" <= ch <= "\u9fff" for ch in text)]

    assert len(rows) >= 120
    assert len({text for text, _, _ in rows}) == len(rows)
    assert min(labels.count(label) for label in ("negative", "neutral", "positive")) >= 35
    assert 0.35 <= len(chinese) / len(rows) <= 0.65
    assert sum(angry for _, _, angry in rows) >= 20
    assert all(label == "negative" for _, label, angry in rows if angry)


def test_label_accuracy_on_the_labelled_set_is_at_least_85_percent() -> None:
    rows = load_eval()
    correct = sum(analyse_sentiment(text).label == label for text, label, _ in rows)

    assert correct / len(rows) >= 0.85, f"accuracy {correct}/{len(rows)}"


def test_anger_recall_on_the_labelled_set_is_at_least_80_percent() -> None:
    angry = [text for text, _, is_angry in load_eval() if is_angry]
    caught = sum(analyse_sentiment(text).is_angry for text in angry)

    assert caught / len(angry) >= 0.8, f"anger recall {caught}/{len(angry)}"


# ------------------------------------------------------------------------------ cost


def test_a_short_turn_takes_under_a_fifth_of_a_millisecond() -> None:
    # Best of several runs, so a busy CI machine measures the code rather than its neighbours.
    runs = timeit.repeat(
        lambda: analyse_sentiment("等了半天还没叫到我的号，太慢了！"), number=200, repeat=5
    )

    assert min(runs) / 200 < 0.0002
