from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from scenarios.outbound.models import (
    Campaign,
    ContactAttempt,
    ContactConsent,
    ContactHold,
    DoNotContact,
    Segment,
)
from scenarios.outbound.services import OutboundError, campaign_run, validate_script


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


class CampaignForm(forms.ModelForm):
    class Meta:
        model = Campaign
        fields = [
            "code",
            "name",
            "segment",
            "channel",
            "purpose",
            "status",
            "script",
            "starts_at",
            "ends_at",
            "quiet_from",
            "quiet_until",
            "batch_size",
        ]

    def clean_script(self) -> dict:
        script = self.cleaned_data["script"]
        try:
            validate_script(script)
        except OutboundError as exc:
            raise ValidationError(str(exc)) from exc
        return script


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "segment",
        "channel",
        "purpose",
        "status",
        "starts_at",
        "ends_at",
    )
    list_filter = ("status", "channel", "purpose")
    search_fields = ("code", "name")
    actions = ["run_now"]

    form = CampaignForm

    @admin.action(description="Run now (respects consent, caps and quiet hours)")
    def run_now(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        for campaign in queryset:
            try:
                report = campaign_run(campaign)
            except OutboundError as exc:
                self.message_user(request, f"{campaign.code}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request,
                f"{campaign.code}: sent {report.sent}, queued {report.queued}, "
                f"failed {report.failed}, "
                f"skipped {report.skipped}"
                + (
                    f" (quiet hours: nothing sent, {report.held_quiet_hours} held back)"
                    if report.deferred_quiet_hours
                    else ""
                ),
            )


@admin.register(ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):
    list_display = (
        "campaign",
        "customer",
        "channel",
        "status",
        "skip_reason",
        "outcome",
        "delivery_ref",
        "created_at",
    )
    list_filter = ("status", "outcome", "skip_reason", "campaign")
    # An outbox row leads to its contact: delivery_ref is wechat-outbox:<id>, then wechat:<msgid>.
    search_fields = ("delivery_ref", "customer__customer_no")
    readonly_fields = [f.name for f in ContactAttempt._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ContactHold)
class ContactHoldAdmin(admin.ModelAdmin):
    """Who a campaign held back for a while (quiet hours): the dashboard's drill-down."""

    list_display = ("campaign", "customer", "reason", "first_held_at", "last_held_at")
    # campaign__channel: the dashboard's drill-down filters on the delivery channel.
    list_filter = ("reason", "campaign", "campaign__channel")
    search_fields = ("customer__customer_no",)
    readonly_fields = [f.name for f in ContactHold._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ContactConsent)
class ContactConsentAdmin(admin.ModelAdmin):
    list_display = ("customer", "marketing", "channels", "updated_at")
    list_filter = ("marketing",)
    raw_id_fields = ("customer",)


@admin.register(DoNotContact)
class DoNotContactAdmin(admin.ModelAdmin):
    list_display = ("customer", "channel", "reason", "until", "created_at")
    raw_id_fields = ("customer",)
    search_fields = ("customer__customer_no",)
