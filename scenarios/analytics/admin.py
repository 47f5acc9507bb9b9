"""The admin index links to the dashboards through the roll-up model's entry."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from scenarios.analytics.models import DailyRollup


@admin.register(DailyRollup)
class DashboardEntry(admin.ModelAdmin):
    """Listed on the admin index as "Daily KPI roll-ups"; opening it opens the dashboards
    (the rows themselves are sums only the roll-up writes)."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict | None = None
    ) -> HttpResponse:
        return redirect("analytics-index")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
