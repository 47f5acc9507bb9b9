"""A dashboard page's figures as CSV or XLSX (one row per KPI and per breakdown row)."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _

COLUMNS = ("kpi", "name", "breakdown", "value", "numerator", "denominator", "definition")


def _rows(report: dict[str, Any]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for kpi in report["kpis"]:
        rows.append(
            [
                kpi["code"],
                kpi["name"],
                "",
                kpi["value"],
                kpi["numerator"],
                kpi["denominator"],
                kpi["definition"],
            ]
        )
        for row in kpi["breakdown"]:
            rows.append(
                [
                    kpi["code"],
                    kpi["name"],
                    row["key"],
                    row["value"],
                    row["numerator"],
                    row["denominator"],
                    "",
                ]
            )
    return rows


def _header(report: dict[str, Any]) -> list[list[Any]]:
    filters = ", ".join(f"{k}={v}" for k, v in report["filters"].items())
    return [[report["title"], filters], list(COLUMNS)]


def report_csv(report: dict[str, Any]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_header(report))
    writer.writerows(_rows(report))
    # A BOM so spreadsheet programs read the Chinese names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(report: dict[str, Any]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = str(report["page"])[:31]
    for row in _header(report):
        sheet.append(row)
    for row in _rows(report):
        sheet.append(row)
    trend = report.get("trend")
    if trend:
        days = book.create_sheet(_("trend")[:31])
        days.append(["day", trend["kpi"], "numerator", "denominator"])
        for point in trend["points"]:
            days.append([point["day"], point["value"], point["numerator"], point["denominator"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
