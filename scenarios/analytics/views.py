"""The analytics dashboards in the Django admin: an index and one page per scenario.

Thin: the figures come from `pages.report`; these views read the filters, check the
permission, and render, export or redirect to the sessions behind a number.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.admin import site
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics import pages, selectors
from scenarios.analytics.export import report_csv, report_xlsx

PERMISSION = "analytics.view_dailyrollup"


def _allowed(request: HttpRequest) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _filters(request: HttpRequest) -> selectors.Filters:
    return selectors.parse_filters(request.GET)


def _pages() -> list[dict[str, str]]:
    found = [{"code": p.code, "title": str(p.title)} for p in kpi_defs.pages()]
    found.insert(len(found) - 1, {"code": selectors.STUDIO_PAGE, "title": _("Video studio")})
    for code, title in (
        (selectors.CONTACT_PAGE, _("Contact centre")),
        (selectors.OUTBOUND_PAGE, _("Outbound campaigns")),
    ):
        found.insert(len(found) - 1, {"code": code, "title": title})
    return found


def _stack(trend: dict[str, Any] | None) -> list[dict[str, Any]]:
    """A count's parts per day (held back's reasons), one dataset each, for a stacked chart;
    none for a single line (ratios: occupancy's agents do not add up to the day)."""
    if not trend or trend["measure"] != kpi_defs.COUNT:
        return []
    keys: dict[str, None] = {}
    for point in trend["points"]:
        keys.update((row["key"], None) for row in point.get("breakdown", []))
    return [
        {
            "label": key,
            "values": [
                next((r["numerator"] for r in p.get("breakdown", []) if r["key"] == key), 0)
                for p in trend["points"]
            ],
        }
        for key in keys
    ]


def dashboard(request: HttpRequest, page: str = "") -> HttpResponse:
    _allowed(request)
    page = page or "across"
    if page not in selectors.page_codes():
        raise Http404(_("No such dashboard."))
    try:
        filters = _filters(request)
    except selectors.FilterError as exc:
        return HttpResponseBadRequest(str(exc))
    report = pages.report(page, filters)
    overview = None
    if not request.resolver_match or request.resolver_match.url_name == "analytics-index":
        entries = [
            e for e in _pages() if e["code"] != "across" and e["code"] not in selectors.RECORD_PAGES
        ]
        counts = selectors.page_session_counts([e["code"] for e in entries], filters)
        overview = [{**entry, "sessions": counts[entry["code"]]} for entry in entries]
    # The chart draws the page's trend, or another KPI's series named by `chart` (an unknown
    # one, or one without a daily figure, leaves the trend).
    trend = report.get("trend")
    chartable = pages.chartable_kpis(page)
    chart_kpi = str(request.GET.get("chart", ""))
    if chart_kpi and chart_kpi in chartable:
        if not trend or trend["kpi"] != chart_kpi:
            trend = pages.series(page, chart_kpi, filters)
    else:
        chart_kpi = ""
    query = urlencode(filters.as_query())
    context = {
        **site.each_context(request),
        "title": _("Operations analytics"),
        "subtitle": report["title"],
        "report": report,
        "pages": _pages(),
        "page": page,
        "filters": filters,
        "choices": selectors.filter_choices(),
        # Record pages link each number to the admin list of its records, not to sessions.
        "drill_sessions": page not in selectors.RECORD_PAGES,
        "query": query,
        "overview": overview,
        "chart_kpi": chart_kpi,
        "chartable": chartable,
        "chart": {
            "kpi": trend["kpi"] if trend else "",
            "label": trend["name"] if trend else "",
            "measure": trend["measure"] if trend else "",
            "days": [p["day"] for p in trend["points"]] if trend else [],
            "values": [p["value"] for p in trend["points"]] if trend else [],
            "stack": _stack(trend),
            "kpis": [
                {"name": k["name"], "value": k["value"]}
                for k in report["kpis"]
                if k["value"] is not None and k["measure"] in ("ratio", "drop_off", "within")
            ],
        },
    }
    return TemplateResponse(request, "analytics/dashboard.html", context)


def export(request: HttpRequest, page: str, fmt: str) -> HttpResponse:
    _allowed(request)
    if page not in selectors.page_codes():
        raise Http404(_("No such dashboard."))
    try:
        filters = _filters(request)
    except selectors.FilterError as exc:
        return HttpResponseBadRequest(str(exc))
    report = pages.report(page, filters)
    name = f"{page}-{filters.since}-{filters.until}"
    if fmt == "csv":
        response = HttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            report_xlsx(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def sessions(request: HttpRequest, page: str) -> HttpResponse:
    """The sessions behind a number: the admin's session list, filtered to them."""
    _allowed(request)
    if page not in selectors.page_codes() or page in selectors.RECORD_PAGES:
        raise Http404(_("No such dashboard."))
    code = request.GET.get("kpi", "")
    part = request.GET.get("part", "numerator")
    if not code.startswith(f"{page}.") or part not in ("numerator", "denominator"):
        return HttpResponseBadRequest(_("Name a KPI of this page and part=numerator|denominator."))
    try:
        filters = _filters(request)
        ids = selectors.sessions_behind(code, filters, key=request.GET.get("key", ""), part=part)
    except selectors.FilterError as exc:
        return HttpResponseBadRequest(str(exc))
    except KeyError:
        raise Http404(_("No such KPI.")) from None
    changelist = reverse("admin:scenarios_dialoguesession_changelist")
    # An id that matches nothing keeps an empty list empty (no filter would list them all).
    wanted = ",".join(str(i) for i in ids) or "00000000-0000-0000-0000-000000000000"
    return redirect(f"{changelist}?{urlencode({'id__in': wanted})}")
