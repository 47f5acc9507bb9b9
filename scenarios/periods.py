"""Date periods from free text, in Chinese and English ("上个月", "last 3 months", "2026年10月").

Rules, not a model: a bill analysis must cover exactly the period the customer meant, and say
which dates it used. Conventions (stated back to the customer with the dates):

- "last month" / 上个月: the previous calendar month; "this month" / 本月: the 1st to today.
- "last N months" / 最近N个月: the current month and the N-1 before it, from the 1st to today.
- "last N days" / 最近N天: today and the N-1 days before it.
- "this year" / 今年: 1 January to today; "last year" / 去年: the whole previous year.
- "last quarter" / 上季度: the previous calendar quarter.
- A named month ("2026年10月", "October 2026", "2026-10", "10月", "in October"): that month;
  without a year, the latest such month that has started.
- Months and days never run past today.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from bank_ai.ai.text import EN_NUMBERS, parse_number

MAX_MONTHS = 24
MAX_DAYS = 366

EN_MONTHS = {
    name: number
    for number in range(1, 13)
    for name in (calendar.month_name[number].lower(), calendar.month_abbr[number].lower())
}
EN_MONTHS["sept"] = 9

_ZH_NUMBER = r"(\d{1,3}|[零一二两三四五六七八九十]{1,3})"
# "a month", "an hour": a count of one in English periods.
_EN_ONE = frozenset({"a", "an"})
_EN_NUMBER = r"(\d{1,3}|" + "|".join(sorted([*EN_NUMBERS, *_EN_ONE], key=len, reverse=True)) + r")"
_MONTH_NAMES = "|".join(sorted(EN_MONTHS, key=len, reverse=True))

ZH_LAST_N_MONTHS = re.compile(r"(?:最近|近|过去|前)\s*" + _ZH_NUMBER + r"\s*个?月")
ZH_LAST_N_DAYS = re.compile(r"(?:最近|近|过去|前)\s*" + _ZH_NUMBER + r"\s*(?:天|日)")
ZH_YEAR_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月")
ZH_MONTH = re.compile(r"(?<![\d年个])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月(?:份)?")
EN_LAST_N_MONTHS = re.compile(
    r"\b(?:last|past|previous|recent)\s+" + _EN_NUMBER + r"\s+months?\b", re.I
)
EN_LAST_N_DAYS = re.compile(r"\b(?:last|past|previous)\s+" + _EN_NUMBER + r"\s+days?\b", re.I)
EN_MONTH_YEAR = re.compile(r"\b(" + _MONTH_NAMES + r")\.?\s*,?\s*(\d{4})\b", re.I)
EN_ISO_MONTH = re.compile(r"\b(\d{4})[-/.](\d{1,2})\b")
EN_MONTH = re.compile(r"\b(?:in|for|of|during)\s+(" + _MONTH_NAMES + r")\b", re.I)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def label(self, language: str) -> str:
        if language == "zh-hans":
            return (
                f"{self.start.year}年{self.start.month}月{self.start.day}日至"
                f"{self.end.year}年{self.end.month}月{self.end.day}日"
            )
        return f"{self.start.day} {self.start:%b %Y} to {self.end.day} {self.end:%b %Y}"

    def as_slot(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_slot(cls, slot: dict[str, str]) -> Period:
        return cls(date.fromisoformat(slot["start"]), date.fromisoformat(slot["end"]))


class PeriodError(ValueError):
    """The text names a period that cannot be analysed (in the future, too long)."""


def _number(text: str) -> int:
    """Arabic or Chinese numerals ("3", "三", "十二", "二十"); a PeriodError if it is none."""
    value = parse_number(text)
    if value is None:
        raise PeriodError(f"{text!r} is not a number")
    return value


def _en_number(text: str) -> int:
    return 1 if text.lower() in _EN_ONE else _number(text)


def month_period(year: int, month: int, today: date) -> Period:
    if not 1 <= month <= 12:
        raise PeriodError(f"there is no month {month}")
    start = date(year, month, 1)
    if start > today:
        raise PeriodError("that month has not started yet")
    end = date(year, month, calendar.monthrange(year, month)[1])
    return Period(start, min(end, today))


def months_back(today: date, months: int) -> date:
    """The 1st of the month `months` before today's month."""
    index = today.year * 12 + (today.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def last_months(today: date, months: int) -> Period:
    if not 1 <= months <= MAX_MONTHS:
        raise PeriodError(f"periods of 1 to {MAX_MONTHS} months can be analysed")
    return Period(months_back(today, months - 1), today)


def _latest_month(month: int, today: date) -> Period:
    year = today.year if month <= today.month else today.year - 1
    return month_period(year, month, today)


def parse_period(text: str, today: date) -> Period | None:
    """The period `text` names, or None when it names none. Raises PeriodError for a period
    that cannot be analysed (a future month, more than 24 months)."""
    lowered = text.lower()
    if match := ZH_YEAR_MONTH.search(text):
        return month_period(int(match.group(1)), _number(match.group(2)), today)
    if match := EN_MONTH_YEAR.search(text):
        return month_period(int(match.group(2)), EN_MONTHS[match.group(1).lower()], today)
    if match := EN_ISO_MONTH.search(text):
        return month_period(int(match.group(1)), int(match.group(2)), today)
    if match := ZH_LAST_N_MONTHS.search(text):
        return last_months(today, _number(match.group(1)))
    if match := EN_LAST_N_MONTHS.search(text):
        return last_months(today, _en_number(match.group(1)))
    if match := ZH_LAST_N_DAYS.search(text) or EN_LAST_N_DAYS.search(text):
        raw = match.group(1)
        days = _number(raw) if not raw.isascii() or raw.isdigit() else _en_number(raw)
        if not 1 <= days <= MAX_DAYS:
            raise PeriodError(f"periods of 1 to {MAX_DAYS} days can be analysed")
        return Period(today - timedelta(days=days - 1), today)
    if re.search(r"上上个?月", text):
        return month_period(*_shift(today, 2), today)
    if re.search(r"上个?月|上月份", text) or re.search(r"\b(last|previous|past) month\b", lowered):
        return month_period(*_shift(today, 1), today)
    if re.search(r"本月|这个月|当月", text) or re.search(r"\bthis month\b", lowered):
        return Period(today.replace(day=1), today)
    if re.search(r"上个?季度", text) or re.search(r"\blast quarter\b", lowered):
        quarter = (today.month - 1) // 3
        year, quarter = (today.year, quarter - 1) if quarter else (today.year - 1, 3)
        start = date(year, quarter * 3 + 1, 1)
        end_month = quarter * 3 + 3
        return Period(start, date(year, end_month, calendar.monthrange(year, end_month)[1]))
    if "今年" in text or re.search(r"\bthis year\b", lowered):
        return Period(date(today.year, 1, 1), today)
    if "去年" in text or re.search(r"\blast year\b", lowered):
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if re.search(r"最近|近期", text) or re.search(r"\brecently\b|\blately\b", lowered):
        return last_months(today, 1)
    if match := ZH_MONTH.search(text):
        return _latest_month(_number(match.group(1)), today)
    if match := EN_MONTH.search(text):
        return _latest_month(EN_MONTHS[match.group(1).lower()], today)
    return None


def _shift(today: date, months: int) -> tuple[int, int]:
    first = months_back(today, months)
    return first.year, first.month


FULL_DATE = re.compile(r"(\d{4})\s*(?:年|[-/.])\s*(\d{1,2})\s*(?:月|[-/.])\s*(\d{1,2})\s*日?")
LONG_TERM = re.compile(r"长期|永久|long[- ]term|no expiry|does not expire|never expires", re.I)


def parse_date(text: str) -> date | None:
    """A full date ("2031年5月1日", "2031-05-01", "2031.5.1"); "长期" / "long-term" (an ID card
    issued after 46 never expires) is the last representable date."""
    if match := FULL_DATE.search(text):
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    if LONG_TERM.search(text):
        return date.max
    return None
