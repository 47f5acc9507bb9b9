"""What both record pages share: figures as (value, numerator, denominator), the range, the
admin lists a number links to, and the shape of a report's rows and series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from django.urls import get_script_prefix, reverse
from django.utils import timezone

from scenarios.analytics.contact_centre.definitions import RecordKpi
from scenarios.analytics.selectors import Filters, day_bounds

Figure3 = tuple[float | None, int, int | None]  # value, numerator, denominator


def ratio(part: int, whole: int) -> Figure3:
    return (part / whole if whole else None, part, whole)


def count_of(n: int) -> Figure3:
    return (float(n), n, None)


def range_bounds(filters: Filters) -> tuple[Any, Any]:
    start, _end = day_bounds(filters.since)
    _start, end = day_bounds(filters.until)
    return start, end


def admin_list(model: str, filters: Filters, stamp: str, **params: Any) -> str:
    """An admin changelist of the records behind a number, over the range. The session
    filters (channel, branch, device, language) are not carried: the admin lists filter on
    the records' own fields only."""
    dates = _range_query(stamp, filters.since, filters.until, str(timezone.get_current_timezone()))
    query = f"{dates}&{_encoded(tuple(params.items()))}" if params else dates
    return f"{changelist(model)}?{query}"


@lru_cache(maxsize=2048)
def _encoded(params: tuple[tuple[str, Any], ...]) -> str:
    return urlencode(params)


@lru_cache(maxsize=64)
def _range_query(stamp: str, since: date, until: date, zone: str) -> str:
    # A page links a few hundred numbers over the same range: encode it once (`zone` keys the
    # cache: the bounds are local days).
    start, _end = day_bounds(since)
    _start, end = day_bounds(until)
    return urlencode({f"{stamp}__gte": start.isoformat(), f"{stamp}__lt": end.isoformat()})


def changelist(model: str) -> str:
    # A page links a few hundred numbers; resolving the same admin URL each time shows.
    key = (get_script_prefix(), model)
    if key not in _CHANGELISTS:
        _CHANGELISTS[key] = reverse(f"admin:{model}_changelist")
    return _CHANGELISTS[key]


_CHANGELISTS: dict[tuple[str, str], str] = {}


def kpi_row(kpi: RecordKpi, figure: Figure3, link: str) -> dict[str, Any]:
    value, numerator, denominator = figure
    return {
        "code": kpi.code,
        "name": str(kpi.name),
        "definition": str(kpi.definition),
        "measure": kpi.measure,
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "link": link,
        "breakdown": [],
    }


def breakdown_row(
    key: str, figure: Figure3, measure: str, link: str, label: str = ""
) -> dict[str, Any]:
    value, numerator, denominator = figure
    return {
        "key": key,
        "label": label or key,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "measure": measure,
        "link": link,
    }


def series(
    kpi: RecordKpi, filters: Filters, by_day: dict[date, Any], values: Callable[[Any], Any]
) -> dict[str, Any]:
    points = []
    for day in filters.days():
        tally = by_day.get(day)
        value, numerator, denominator = values(tally)[kpi.code] if tally else (None, 0, 0)
        points.append(
            {
                "day": day.isoformat(),
                "value": value,
                "numerator": numerator,
                "denominator": denominator or 0,
            }
        )
    return {"kpi": kpi.code, "name": str(kpi.name), "measure": kpi.measure, "points": points}
