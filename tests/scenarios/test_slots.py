from __future__ import annotations

import pytest

from scenarios.slots import extract_slots, merge_slots


@pytest.mark.parametrize(
    ("text", "income", "band"),
    [
        ("年收入大概25万", "250000", "150k-500k"),
        ("不对，年收入其实是60万", "600000", "gt500k"),
        ("月薪1.5万", "180000", "150k-500k"),
        ("I earn about 400k a year", "400000", "150k-500k"),
        ("my salary is 15k a month", "180000", "150k-500k"),
    ],
)
def test_income_is_read_as_an_annual_amount_and_band(text: str, income: str, band: str) -> None:
    slots = extract_slots(text)
    assert slots["annual_income"] == income
    assert slots["income_band"] == band


@pytest.mark.parametrize(
    ("text", "scenarios"),
    [
        ("我经常出差，也喜欢吃美食", ["dining", "business", "travel"]),
        ("平时加油开车走高速", ["car"]),
        ("mostly shopping online and studying", ["online_shopping", "study"]),
        ("I fly a lot", ["flights", "travel"]),
    ],
)
def test_usage_scenarios_are_recognised_in_both_languages(text: str, scenarios: list[str]) -> None:
    assert sorted(extract_slots(text)["scenarios"]) == sorted(scenarios)


@pytest.mark.parametrize(
    ("text", "tolerance"),
    [
        ("不想要年费", "none"),
        ("年费无所谓", "any"),
        ("年费低一点", "low"),
        ("no annual fee please", "none"),
        ("I don't mind the fee", "any"),
    ],
)
def test_fee_tolerance_is_recognised(text: str, tolerance: str) -> None:
    assert extract_slots(text)["fee_tolerance"] == tolerance


def test_a_student_who_says_they_work_now_is_no_longer_a_student() -> None:
    assert extract_slots("我是大学生")["is_student"] is True
    assert extract_slots("不对，我已经工作了")["is_student"] is False
    assert extract_slots("Actually I'm not a student")["is_student"] is False


def test_plain_numbers_are_not_taken_for_income_or_age() -> None:
    assert extract_slots("我的卡尾号是1234，额度3万够用吗") == {}


def test_a_changed_value_is_reported_as_a_correction_and_scenarios_accumulate() -> None:
    merged, corrected = merge_slots(
        {"annual_income": "250000", "scenarios": ["travel"]},
        {"annual_income": "600000", "scenarios": ["dining"]},
    )
    assert corrected == ["annual_income"]
    assert merged["scenarios"] == ["travel", "dining"]
