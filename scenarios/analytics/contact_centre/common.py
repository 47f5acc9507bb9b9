"""What both record pages share: figures as (value, numerator, denominator), the range, the
admin lists a number links to, and the shape of a report's rows and series."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from scenarios.analytics.contact_centre.definitions import RecordKpi
from scenarios.analytics.selectors import Filters, day_bounds


def percentile(values: list[int], share: float) -> float | None:
    """Nearest-rank percentile (as `agentrouting.selectors`), None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))])


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
    start, end = range_bounds(filters)
    query = {f"{stamp}__gte": start.isoformat(), f"{stamp}__lt": end.isoformat(), **params}
    return f"{reverse(f'admin:{model}_changelist')}?{urlencode(query)}"


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
