from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from bank_ai.admin_inlines import RecordInline
from devices.broadcasts import playlist_changed, playlist_publish, playlist_unpublish
from devices.models import (
    Device,
    DeviceConnection,
    DeviceGroup,
    DeviceToken,
    Playlist,
    PlaylistItem,
    SessionFrame,
)
from devices.selectors import device_is_online, devices_offline, devices_online
from devices.services import device_token_issue, device_tokens_revoke
from scenarios.touchpoints.services import (
    DeviceError,
    device_change,
    device_check,
    device_delete,
    device_disable,
    device_enable,
    device_group_change,
    device_group_check,
    device_group_create,
    device_group_delete,
    device_register,
)


class OnlineFilter(admin.SimpleListFilter):
    """Online = a live socket or a heartbeat within the configured window."""

    title = _("online")
    parameter_name = "online"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", _("Online")), ("no", _("Offline"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Device]) -> QuerySet[Device]:
        if self.value() == "yes":
            return devices_online(queryset)
        if self.value() == "no":
            return devices_offline(queryset)
        return queryset


# The registry's rows are written by its domain services (scenarios.touchpoints.services): the
# forms ask them whether a change would be refused and show why per field; save_model calls them.


def _changes(form: forms.ModelForm, fields: tuple[str, ...]) -> dict[str, Any]:
    """The form's values a service is to set: all of them for a new row, else the changed."""
    names = fields if form.instance.pk is None else form.changed_data
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def _add_domain_errors(form: forms.ModelForm, exc: DeviceError) -> None:
    for field, refusals in exc.errors.items():
        form.add_error(field if field in form.fields else None, ValidationError(refusals))


class RegistryForm(forms.ModelForm):
    fields_for_service: tuple[str, ...] = ()

    def validate_unique(self) -> None:
        # The service says when a name is taken (once, in its own words).
        return

    def check_with_service(self, changes: dict[str, Any]) -> None:
        raise NotImplementedError

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            self.check_with_service(_changes(self, self.fields_for_service))
        except DeviceError as exc:
            _add_domain_errors(self, exc)
        return cleaned


class DeviceGroupForm(RegistryForm):
    fields_for_service = ("name", "branch", "description")

    class Meta:
        model = DeviceGroup
        fields = ["name", "branch", "description"]

    def check_with_service(self, changes: dict[str, Any]) -> None:
        device_group_check(group=self.instance if self.instance.pk else None, **changes)


class DeviceForm(RegistryForm):
    fields_for_service = ("name", "kind", "branch", "capabilities", "groups", "is_active")

    class Meta:
        model = Device
        fields = ["name", "kind", "branch", "groups", "capabilities", "is_active"]

    def check_with_service(self, changes: dict[str, Any]) -> None:
        device_check(device=self.instance if self.instance.pk else None, **changes)


class RegistryAdmin(admin.ModelAdmin):
    """Admin of registry rows whose saves the touchpoint services may refuse.

    The form asks the service first, but another change can commit between that check and
    the save (another admin takes the same name in that instant); the service then refuses
    in save_model and the admin's transaction rolls back. The form is shown once more, so
    the check now sees the other change and names the field; should even that save be
    refused, the refusal is a message on the form's page, never a server error.
    """

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DeviceError:
            pass
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DeviceError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def _adopt(obj: Any, saved: Any) -> None:
    """Make the admin's unsaved instance the row the service created (pk, defaults, state)."""
    for field in saved._meta.concrete_fields:
        setattr(obj, field.attname, getattr(saved, field.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


@admin.register(DeviceGroup)
class DeviceGroupAdmin(RegistryAdmin):
    form = DeviceGroupForm
    list_display = ["name", "branch", "description"]
    list_filter = ["branch"]

    def save_model(self, request: HttpRequest, obj: DeviceGroup, form: Any, change: bool) -> None:
        fields = _changes(form, DeviceGroupForm.fields_for_service)
        if change:
            device_group_change(group=obj, **fields)
        else:
            _adopt(obj, device_group_create(**fields))

    def delete_model(self, request: HttpRequest, obj: DeviceGroup) -> None:
        device_group_delete(group=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DeviceGroup]) -> None:
        for group in queryset:
            device_group_delete(group=group)


class DeviceConnectionInline(RecordInline):
    model = DeviceConnection
    fields = ["server", "session_id", "connected_at", "last_seen_at"]
    verbose_name_plural = _("open connections")


class DeviceTokenInline(RecordInline):
    model = DeviceToken
    fields = ["prefix", "label", "created_at", "last_used_at", "revoked_at"]


@admin.register(Device)
class DeviceAdmin(RegistryAdmin):
    list_display = ["name", "kind", "branch", "is_active", "online", "last_seen_at", "console"]
    list_filter = [OnlineFilter, "kind", "branch", "is_active", "groups"]
    search_fields = ["name"]
    filter_horizontal = ["groups"]
    readonly_fields = ["last_seen_at", "created_at"]
    inlines = [DeviceConnectionInline, DeviceTokenInline]
    actions = ["issue_token", "disable", "enable"]
    form = DeviceForm

    @admin.display(boolean=True, description=_("online"))
    def online(self, obj: Device) -> bool:
        return device_is_online(obj)

    @admin.display(description=_("demo console"))
    def console(self, obj: Device) -> str:
        url = reverse("devices:console", args=[obj.name])
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("open"))

    @admin.action(description=_("Issue a new token (shown once)"))
    def issue_token(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            token = device_token_issue(device=device, label=f"admin: {request.user}")
            self.message_user(request, f"{device.name}: {token}", messages.WARNING)

    @admin.action(description=_("Disable selected devices (closes their open connections)"))
    def disable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            device_disable(device=device)
        self.message_user(request, _("Disabled %(n)d device(s).") % {"n": queryset.count()})

    @admin.action(description=_("Enable selected devices"))
    def enable(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            device_enable(device=device)
        self.message_user(request, _("Enabled %(n)d device(s).") % {"n": queryset.count()})

    def save_model(self, request: HttpRequest, obj: Device, form: Any, change: bool) -> None:
        # Disabling closes the device's open sockets (the service's event, on commit).
        fields = _changes(form, DeviceForm.fields_for_service)
        if change:
            device_change(device=obj, **fields)
        else:
            _adopt(obj, device_register(**fields))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The groups were set by the service in save_model (no form.save_m2m()).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request: HttpRequest, obj: Device) -> None:
        device_delete(device=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Device]) -> None:
        for device in queryset:
            device_delete(device=device)


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

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Revoke instead: it closes the token's open sockets and keeps the record for audit.
        return False

    @admin.action(description=_("Revoke selected tokens (closes their open connections)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[DeviceToken]) -> None:
        revoked = device_tokens_revoke(tokens=queryset)
        self.message_user(request, _("Revoked %(n)d token(s).") % {"n": revoked})


@admin.register(SessionFrame)
class SessionFrameAdmin(admin.ModelAdmin):
    """The avatar protocol's outbox, read-only: what each session's screens were sent."""

    list_display = ["session", "seq", "type", "state", "created_at", "ready_at"]
    list_filter = ["type", "state"]
    search_fields = ["session__id"]
    readonly_fields = ["session", "seq", "type", "state", "payload", "created_at", "ready_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PlaylistItemInline(admin.TabularInline):
    model = PlaylistItem
    extra = 1
    fields = [
        "position",
        "kind",
        "article",
        "title_zh",
        "title_en",
        "text_zh",
        "text_en",
        "duration_seconds",
    ]


@admin.register(Playlist)
class PlaylistAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "device_group",
        "priority",
        "is_published",
        "on_air",
        "starts_at",
        "ends_at",
        "updated_at",
    ]
    list_filter = ["is_published", "device_group"]
    search_fields = ["name"]
    readonly_fields = ["on_air_since", "published_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "device_group", "priority", "is_published"]}),
        (
            _("Schedule"),
            {"fields": ["starts_at", "ends_at", "weekdays", "daily_start", "daily_end"]},
        ),
        (_("State"), {"fields": ["on_air_since", "published_at", "updated_at"]}),
    ]
    inlines = [PlaylistItemInline]
    actions = ["publish", "unpublish"]

    @admin.display(boolean=True, description=_("on air"))
    def on_air(self, obj: Playlist) -> bool:
        return obj.on_air_since is not None

    def save_related(
        self, request: HttpRequest, form: object, formsets: object, change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        # After the items are saved: push the playlist as it now is to the group's screens.
        if playlist_changed(playlist=form.instance) == "play":
            self.message_user(request, _("Pushed to the group's devices."))

    @admin.action(description=_("Publish (push to the group's devices when on air)"))
    def publish(self, request: HttpRequest, queryset: QuerySet[Playlist]) -> None:
        for playlist in queryset:
            playlist_publish(playlist=playlist)
        self.message_user(request, _("Published %(n)d playlist(s).") % {"n": queryset.count()})

    @admin.action(description=_("Unpublish (stop on the group's devices)"))
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Playlist]) -> None:
        for playlist in queryset:
            playlist_unpublish(playlist=playlist)
        self.message_user(request, _("Unpublished %(n)d playlist(s).") % {"n": queryset.count()})
