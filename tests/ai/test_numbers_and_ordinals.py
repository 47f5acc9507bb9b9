"""The one reader of numbers and ordinals (`bank_ai.ai.text`) every scenario picks options with."""

from __future__ import annotations

import pytest

from bank_ai.ai.text import ordinal, ordinals, parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", 2),
        ("两", 2),
        ("二", 2),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零五", 105),
        ("三千五百", 3500),
        ("两万", 20000),
        ("two", 2),
        ("Twelve", 12),
        ("twenty-one", 21),
        ("twenty one", 21),
    ],
)
def test_it_reads_a_number_in_digits_chinese_or_english(text: str, value: int) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "一二", "two three", "十二月", "abc", "1.5"])
def test_it_reads_nothing_from_what_is_not_one_number(text: str) -> None:
    assert parse_number(text) is None


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("第二个", 2),
        ("第2张", 2),
        ("我要第三个", 3),
        ("两", 2),
        ("二", 2),
        ("十二", 12),
        ("第十二个", 12),
        ("三号", 3),
        ("1号", 1),
    ],
)
def test_it_reads_a_chinese_pick(text: str, position: int) -> None:
    assert ordinal(text) == position


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("second", 2),
        ("the second one", 2),
        ("2nd", 2),
        ("the 3rd please", 3),
        ("number two", 2),
        ("Number 2", 2),
        ("#3", 3),
        ("option 3", 3),
        ("two", 2),
        ("the third one", 3),
        ("2", 2),
        ("I'll take 2", 2),
        ("2.", 2),
    ],
)
def test_it_reads_an_english_pick(text: str, position: int) -> None:
    assert ordinal(text) == position


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("第2个 please", 2),
        ("the 第三个", 3),
        ("我要 number two", 2),
        ("选 1", 1),
        ("second 那个", 2),
    ],
)
def test_it_reads_a_pick_in_mixed_chinese_and_english(text: str, position: int) -> None:
    assert ordinal(text) == position


@pytest.mark.parametrize(
    "text",
    [
        "我要存2万",
        "存 5 万",
        "1.5",
        "12期",
        "3 months",
        "手机号码是3",
        "我想办信用卡",
        "I'd like two cards",
        "1,000",
        "$3",
    ],
)
def test_amounts_counts_and_plain_words_are_not_picks(text: str) -> None:
    assert ordinals(text) == []


def test_it_lists_every_pick_once_in_the_order_named() -> None:
    assert ordinals("第一个和第三个，还有 the first") == [1, 3]
    assert ordinals("#2 and the 1st") == [2, 1]


def test_a_pick_beyond_the_options_offered_is_no_pick() -> None:
    assert ordinal("第五个", count=3) is None
    assert ordinal("第五个，不对，第二个", count=3) == 2
    assert ordinal("第三个", count=3) == 3
