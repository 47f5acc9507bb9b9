"""Periods from free text and working days in the PRC calendar."""

from __future__ import annotations

from datetime import date

import pytest

from scenarios.calendar import add_business_days
from scenarios.periods import Period, PeriodError, parse_date, parse_period

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("上个月", date(2026, 10, 1), date(2026, 10, 31)),
        ("帮我看看上月的账单", date(2026, 10, 1), date(2026, 10, 31)),
        ("上上个月花了多少", date(2026, 9, 1), date(2026, 9, 30)),
        ("本月", date(2026, 11, 1), TODAY),
        ("最近3个月", date(2026, 9, 1), TODAY),
        ("近三个月的消费", date(2026, 9, 1), TODAY),
        ("最近十二个月", date(2025, 12, 1), TODAY),
        ("2026年10月", date(2026, 10, 1), date(2026, 10, 31)),
        ("2025年二月", date(2025, 2, 1), date(2025, 2, 28)),
        ("十月份", date(2026, 10, 1), date(2026, 10, 31)),
        ("12月", date(2025, 12, 1), date(2025, 12, 31)),
        ("最近7天", date(2026, 11, 23), TODAY),
        ("今年", date(2026, 1, 1), TODAY),
        ("去年", date(2025, 1, 1), date(2025, 12, 31)),
        ("上季度", date(2026, 7, 1), date(2026, 9, 30)),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("What did I spend this month?", date(2026, 11, 1), TODAY),
        ("last 3 months", date(2026, 9, 1), TODAY),
        ("the past six months", date(2026, 6, 1), TODAY),
        ("October 2026", date(2026, 10, 1), date(2026, 10, 31)),
        ("Sept 2026", date(2026, 9, 1), date(2026, 9, 30)),
        ("2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("in December", date(2025, 12, 1), date(2025, 12, 31)),
        ("the last 30 days", date(2026, 10, 31), TODAY),
        ("last quarter", date(2026, 7, 1), date(2026, 9, 30)),
        ("last year", date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_it_reads_the_period_the_customer_names(text: str, start: date, end: date) -> None:
    assert parse_period(text, TODAY) == Period(start, end)


@pytest.mark.parametrize("text", ["分12期", "你好", "I want a card", "3 instalments"])
def test_text_without_a_period_names_none(text: str) -> None:
    assert parse_period(text, TODAY) is None


@pytest.mark.parametrize("text", ["2026年12月", "January 2027", "最近30个月", "last 25 months"])
def test_a_future_or_too_long_period_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text, TODAY)


def test_labels_state_the_dates_used() -> None:
    period = Period(date(2026, 9, 1), TODAY)
    assert period.label("zh-hans") == "2026年9月1日至2026年11月29日"
    assert period.label("en") == "1 Sep 2026 to 29 Nov 2026"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("有效期至2031年5月1日", date(2031, 5, 1)),
        ("valid until 2031-05-01", date(2031, 5, 1)),
        ("2031.5.1", date(2031, 5, 1)),
        ("长期有效", date.max),
        ("2031-02-30", None),
        ("明年", None),
    ],
)
def test_it_reads_a_document_validity_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday + 1 = Monday
        (date(2026, 11, 29), 0, date(2026, 11, 30)),  # filed on Sunday: looked at on Monday
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # National Day week off
        (date(2026, 10, 8), 2, date(2026, 10, 10)),  # Saturday 10 October is worked
        (date(2026, 2, 12), 2, date(2026, 2, 14)),  # Saturday before Spring Festival is worked
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # the worked Saturday, then nine days off
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # New Year's Day, then the weekend
    ],
)
def test_business_days_follow_the_holiday_calendar(start: date, days: int, expected: date) -> None:
    assert add_business_days(start, days) == expected


@pytest.mark.django_db
def test_an_operator_added_holiday_moves_the_timeline() -> None:
    from scenarios.models import BusinessCalendarDay

    assert add_business_days(date(2027, 2, 1), 1) == date(2027, 2, 2)
    BusinessCalendarDay.objects.create(date=date(2027, 2, 2), is_working=False, name_en="test")
    assert add_business_days(date(2027, 2, 1), 1) == date(2027, 2, 3)
