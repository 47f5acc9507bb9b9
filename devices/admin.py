from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from devices.models import (
    Branch,
    BranchService,
    Counter,
    Device,
    DeviceGroup,
    DeviceToken,
    ServiceType,
)
from devices.services import device_token_issue, device_token_revoke


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


@admin.register(DeviceGroup)
class DeviceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "description"]
    list_filter = ["branch"]


class DeviceTokenInline(admin.TabularInline):
    model = DeviceToken
    extra = 0
    fields = ["prefix", "label", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "branch", "is_active", "online", "last_seen_at"]
    list_filter = ["kind", "branch", "is_active", "groups"]
    search_fields = ["name"]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_seen_at", "created_at"]
    inlines = [DeviceTokenInline]
    actions = ["issue_token"]

    @admin.display(boolean=True, description=_("online"))
    def online(self, obj: Device) -> bool:
        return obj.is_online

    @admin.action(description=_("Issue a new token (shown once)"))
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            token = device_token_issue(device=device, label=f"admin: {request.user}")
            self.message_user(request, f"{device.name}: {token}", messages.WARNING)


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ["device", "prefix", "label", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["device__kind"]
    search_fields = ["device__name", "prefix", "label"]
    readonly_fields = [
        "device",
        "prefix",
        "secret_hash",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Tokens are issued from the device page so the secret can be shown exactly once.
        return False

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[DeviceToken]) -> None:
        for token in queryset:
            device_token_revoke(token=token)
        self.message_user(request, _("Revoked %(n)d token(s).") % {"n": queryset.count()})
