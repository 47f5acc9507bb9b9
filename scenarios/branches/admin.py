"""Branches with their services and counters, service types, and (read-only) queue tickets."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from scenarios.branches.models import Branch, BranchService, Counter, ServiceType, Ticket


class BranchServiceInline(admin.TabularInline):
    model = BranchService
    extra = 0


class CounterInline(admin.TabularInline):
    model = Counter
    extra = 0
    filter_horizontal = ["services"]


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "phone", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [BranchServiceInline, CounterInline]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en"]
    search_fields = ["code", "name_zh", "name_en"]
    fields = ["code", "name_zh", "name_en", "materials", "keywords", "intents"]


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets change at the counter page (or its API), where calls are announced."""

    list_display = ["display", "day", "branch", "branch_service", "status", "counter", "issued_at"]
    list_filter = ["status", "branch", "day"]
    search_fields = ["display"]
    date_hierarchy = "issued_at"
    list_select_related = ["branch", "branch_service__branch", "branch_service__service", "counter"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
