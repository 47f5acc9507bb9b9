"""Working days in the PRC calendar: Monday to Friday, except the exceptions operations keep in
`BusinessCalendarDay` (public holidays on weekdays, weekend days worked in exchange)."""

from __future__ import annotations

from datetime import date, timedelta

from scenarios.definitions import cached
from scenarios.models import BusinessCalendarDay

# Far enough for any timeline a card promises (and a guard against a calendar with no working
# days at all, which would otherwise loop for ever).
MAX_SEARCH_DAYS = 400


def calendar_exceptions(start: date, end: date) -> dict[date, bool]:
    """The calendar's exceptions between `start` and `end`: date -> is a working day."""
    return {day: working for day, working in _all_exceptions().items() if start <= day <= end}


def _all_exceptions() -> dict[date, bool]:
    # Kept per process with the flows (scenarios.definitions): operations edit the calendar a
    # few times a year, and every submitted application reads it.
    return cached(
        "business-calendar",
        lambda: dict(BusinessCalendarDay.objects.values_list("date", "is_working")),
    )


def is_business_day(day: date, exceptions: dict[date, bool] | None = None) -> bool:
    if exceptions is None:
        exceptions = calendar_exceptions(day, day)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_business_days(start: date, days: int, exceptions: dict[date, bool] | None = None) -> date:
    """The date `days` working days after `start`; 0 means `start` itself if it is a working
    day, else the next working day (an application filed on a Sunday is looked at on Monday).

    `exceptions`: `calendar_exceptions(start, start + MAX_SEARCH_DAYS)`, when the caller adds
    several spans to one start (read once instead of once per span)."""
    if days < 0:
        raise ValueError("days must not be negative")
    if exceptions is None:
        exceptions = calendar_exceptions(start, start + timedelta(days=MAX_SEARCH_DAYS))
    day = start
    while not is_business_day(day, exceptions):
        day += timedelta(days=1)
        if (day - start).days > MAX_SEARCH_DAYS:
            raise ValueError("no working day in the calendar")
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if (day - start).days > MAX_SEARCH_DAYS:
            raise ValueError("the timeline runs past the calendar")
        if is_business_day(day, exceptions):
            counted += 1
    return day
