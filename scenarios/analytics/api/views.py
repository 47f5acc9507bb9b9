"""The dashboards' figures over REST (session or `Authorization: Token <key>`), staff with the
analytics permission only. Same filters as the pages: since, until (YYYY-MM-DD, inclusive),
channel, language, branch, device (ids), turns (the N of "within N turns").

Errors: 400 {"detail"} for a bad filter, 403 without the permission, 404 for an unknown page
or KPI.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.analytics import contact_centre, pages, selectors
from scenarios.analytics import kpis as kpi_defs
from scenarios.analytics.api import serializers as s

PERMISSION = "analytics.view_dailyrollup"

FILTERS = [
    OpenApiParameter("since", OpenApiTypes.DATE, description="first day (default 30 days ago)"),
    OpenApiParameter("until", OpenApiTypes.DATE, description="last day, inclusive (default today)"),
    OpenApiParameter("channel", OpenApiTypes.STR, description="app, web, kiosk, vtm, hall_screen"),
    OpenApiParameter("language", OpenApiTypes.STR, description="zh-hans or en"),
    OpenApiParameter("branch", OpenApiTypes.INT, description="branch id"),
    OpenApiParameter("device", OpenApiTypes.INT, description="device id"),
    OpenApiParameter("turns", OpenApiTypes.INT, description="N of the 'within N turns' KPIs"),
    OpenApiParameter("queue", OpenApiTypes.STR, description="routing queue code (contact_centre)"),
    OpenApiParameter("campaign", OpenApiTypes.STR, description="campaign code (outbound)"),
]


class CanSeeAnalytics(permissions.BasePermission):
    message = "You are not allowed to see the operations analytics."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.has_perm(PERMISSION))


class AnalyticsView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, CanSeeAnalytics]
    error_statuses = {400}

    def filters(self, request: Request) -> selectors.Filters | Response:
        try:
            return selectors.parse_filters(request.query_params)
        except selectors.FilterError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _not_found(what: str) -> Response:
    return Response({"detail": f"no such {what}"}, status=status.HTTP_404_NOT_FOUND)


def _kpi_stubs(kpis: Any) -> list[dict[str, Any]]:
    """The page list's entry of each KPI: what it is, without figures (those come per page)."""
    return [
        {
            "code": kpi.code,
            "name": str(kpi.name),
            "definition": str(kpi.definition),
            "measure": kpi.measure,
            "value": None,
            "numerator": 0,
            "denominator": 0,
            "breakdown": [],
        }
        for kpi in kpis
    ]


class PageListView(AnalyticsView):
    """Every dashboard page with its KPIs' names and written definitions."""

    error_statuses: set[int] = set()

    @extend_schema(responses={200: s.PageSerializer(many=True)})
    def get(self, request: Request) -> Response:
        pages = [
            {"code": page.code, "title": str(page.title), "kpis": _kpi_stubs(page.kpis)}
            for page in kpi_defs.pages()
        ]
        for code, title in (
            (selectors.CONTACT_PAGE, _("Contact centre")),
            (selectors.OUTBOUND_PAGE, _("Outbound campaigns")),
        ):
            kpis = _kpi_stubs(contact_centre.record_kpis(code))
            pages.append({"code": code, "title": str(title), "kpis": kpis})
        return Response(pages)


class PageReportView(AnalyticsView):
    """One page's figures over the filters (the video studio page ignores channel, language,
    branch and device: its records are not conversations; on `outbound`, channel is the
    delivery channel and language the customer's, branch and device do not apply)."""

    @extend_schema(parameters=FILTERS, responses={200: s.ReportSerializer})
    def get(self, request: Request, page: str) -> Response:
        if page not in selectors.page_codes():
            return _not_found("page")
        filters = self.filters(request)
        if isinstance(filters, Response):
            return filters
        return Response(pages.report(page, filters))


class PageSeriesView(AnalyticsView):
    """One KPI of a page, day by day (`kpi`: its code, e.g. credit_card.completion)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("kpi", OpenApiTypes.STR, required=True, description="KPI code"),
            *FILTERS,
        ],
        responses={200: s.SeriesSerializer},
    )
    def get(self, request: Request, page: str) -> Response:
        if page not in selectors.page_codes() or page == selectors.STUDIO_PAGE:
            return _not_found("page")
        filters = self.filters(request)
        if isinstance(filters, Response):
            return filters
        code = str(request.query_params.get("kpi", ""))
        try:
            return Response(pages.series(page, code, filters))
        except KeyError:
            return _not_found("KPI")
