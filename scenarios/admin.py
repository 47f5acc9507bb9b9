from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from bank_ai.admin_inlines import RecordInline
from scenarios.models import (
    Account,
    ApplicationDocument,
    ApplicationMilestone,
    ApplicationStatusChange,
    BusinessCalendarDay,
    CardApplication,
    CardBenefit,
    CardProduct,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
    CustomerNotification,
    DialogueSession,
    DisclosureAcknowledgement,
    Flow,
    FlowStep,
    FunnelEvent,
    HandoffKeyword,
    RepaymentReminder,
    Takeover,
    TakeoverAudit,
    Turn,
)
from scenarios.registry import scenario_choices


class CardBenefitInline(admin.StackedInline):
    model = CardBenefit
    extra = 0


@admin.register(CardProduct)
class CardProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "category", "tier", "annual_fee", "is_active"]
    list_filter = ["category", "tier", "network", "is_active"]
    search_fields = ["code", "name_zh", "name_en"]
    inlines = [CardBenefitInline]


class AccountInline(admin.TabularInline):
    model = Account
    extra = 0


class CustomerCardInline(admin.TabularInline):
    model = CustomerCard
    extra = 0
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["customer_no", "full_name", "income_band", "segment", "home_branch"]
    list_filter = ["income_band", "segment", "home_branch"]
    search_fields = ["customer_no", "full_name"]
    inlines = [AccountInline, CustomerCardInline]


class CardStatementInline(admin.TabularInline):
    model = CardStatement
    extra = 0


@admin.register(CustomerCard)
class CustomerCardAdmin(admin.ModelAdmin):
    list_display = ["__str__", "customer", "status", "credit_limit", "statement_day"]
    list_filter = ["status", "product"]
    search_fields = ["customer__customer_no", "customer__full_name", "last4"]
    inlines = [CardStatementInline]


@admin.register(CardTransaction)
class CardTransactionAdmin(admin.ModelAdmin):
    list_display = ["posted_at", "card", "merchant", "category", "amount", "currency"]
    list_filter = ["category", "currency"]
    search_fields = ["merchant", "card__last4"]
    date_hierarchy = "posted_at"
    list_select_related = ["card", "card__product"]


class FlowStepForm(forms.ModelForm):
    """Offers the behaviours scenario modules registered, so an editor cannot name a missing one."""

    behaviour = forms.ChoiceField(label=_("behaviour"), required=False, choices=())

    class Meta:
        model = FlowStep
        fields = [
            "position",
            "code",
            "kind",
            "behaviour",
            "slots",
            "optional",
            "next_step",
            "prompt_zh",
            "prompt_en",
            "config",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from scenarios.dialogue import behaviour_choices

        self.fields["behaviour"].choices = [("", _("(the kind's own)")), *behaviour_choices()]


class FlowStepInline(admin.TabularInline):
    model = FlowStep
    form = FlowStepForm
    extra = 0
    fields = FlowStepForm.Meta.fields


class FlowForm(forms.ModelForm):
    """Offers the registered scenarios, so an editor cannot name one that no package provides."""

    scenario = forms.ChoiceField(label=_("scenario"), choices=())

    class Meta:
        model = Flow
        fields = [
            "code",
            "scenario",
            "name_zh",
            "name_en",
            "is_active",
            "triggers",
            "requires_customer",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = scenario_choices()


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    form = FlowForm
    list_display = ["code", "scenario", "name_zh", "name_en", "is_active"]
    inlines = [FlowStepInline]


class TurnInline(RecordInline):
    model = Turn
    fields = ["seq", "role", "text", "step", "intent", "created_at"]


@admin.register(DialogueSession)
class DialogueSessionAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "flow",
        "channel",
        "device",
        "language",
        "status",
        "current_step",
        "turn_count",
        "created_at",
    ]
    list_filter = ["flow", "channel", "status", "language"]
    readonly_fields = [
        "flow",
        "channel",
        "device",
        "user",
        "language",
        "status",
        "customer",
        "current_step",
        "slots",
        "memory",
        "turn_count",
        "created_at",
    ]
    inlines = [TurnInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(FunnelEvent)
class FunnelEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "scenario", "step", "outcome", "turn_number", "channel", "device"]
    list_filter = ["scenario", "step", "outcome", "channel"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ReadOnlyInline(RecordInline):
    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ApplicationDocumentInline(ReadOnlyInline):
    model = ApplicationDocument
    fields = ["kind", "content_type", "size", "valid_until", "sha256", "uploaded_at", "file"]


class DisclosureAcknowledgementInline(ReadOnlyInline):
    model = DisclosureAcknowledgement
    fields = [
        "version",
        "language",
        "channel",
        "device",
        "customer",
        "evidence",
        "acknowledged_at",
        "text",
    ]


class ApplicationStatusChangeInline(ReadOnlyInline):
    model = ApplicationStatusChange
    fields = ["changed_at", "from_status", "to_status", "actor", "note"]


class ApplicationMilestoneInline(ReadOnlyInline):
    model = ApplicationMilestone
    fields = ["position", "code", "label_zh", "label_en", "expected_on", "completed_at"]


def _move_to(to_status: str, label: str):  # noqa: ANN202 - an admin action
    def action(admin_: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        from scenarios.applications import ApplicationError, card_application_status_change

        for application in queryset:
            try:
                card_application_status_change(
                    application=application,
                    to_status=to_status,
                    actor=f"staff:{request.user.get_username()}",
                )
            except ApplicationError as exc:
                admin_.message_user(request, f"{application.reference}: {exc}", messages.ERROR)

    action.__name__ = f"move_to_{to_status}"
    action.short_description = label
    return action


@admin.register(CardApplication)
class CardApplicationAdmin(admin.ModelAdmin):
    list_display = ["reference", "card", "customer", "status", "submitted_at", "created_at"]
    list_filter = ["status", "card"]
    search_fields = ["id", "customer__customer_no"]
    readonly_fields = [
        "reference",
        "session",
        "card",
        "customer",
        "status",
        "value_added_services",
        "services_decided_at",
        "submitted_at",
        "created_at",
    ]
    fields = readonly_fields
    inlines = [
        ApplicationDocumentInline,
        DisclosureAcknowledgementInline,
        ApplicationStatusChangeInline,
        ApplicationMilestoneInline,
    ]
    actions = [
        _move_to(CardApplication.Status.IN_REVIEW, _("Start review")),
        _move_to(CardApplication.Status.APPROVED, _("Approve")),
        _move_to(CardApplication.Status.DECLINED, _("Decline")),
        _move_to(CardApplication.Status.CARD_MAILED, _("Mark the card as sent")),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BusinessCalendarDay)
class BusinessCalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_working", "name_zh", "name_en"]
    list_filter = ["is_working"]
    date_hierarchy = "date"


@admin.register(RepaymentReminder)
class RepaymentReminderAdmin(admin.ModelAdmin):
    list_display = ["card", "days_before", "channel", "remind_at", "status", "sent_at", "error"]
    list_filter = ["status", "channel"]
    search_fields = ["card__customer__customer_no", "card__last4"]
    readonly_fields = [
        "card",
        "statement",
        "days_before",
        "channel",
        "remind_at",
        "status",
        "error",
        "schedule_name",
        "delivery_ref",
        "message",
        "sent_at",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CustomerNotification)
class CustomerNotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "customer", "kind", "title", "read_at"]
    list_filter = ["kind"]
    search_fields = ["customer__customer_no", "title"]
    readonly_fields = ["customer", "kind", "language", "title", "body", "reference", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Takeover)
class TakeoverAdmin(ReadOnlyAdmin):
    """Takeovers happen in the agent console (/agent/); here they are read."""

    list_display = ["requested_at", "session", "state", "reason", "step", "agent", "ended_at"]
    list_filter = ["state", "reason"]
    date_hierarchy = "requested_at"


@admin.register(TakeoverAudit)
class TakeoverAuditAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor_name", "reason", "session", "note"]
    list_filter = ["action", "reason"]
    search_fields = ["actor_name", "session__id"]
    date_hierarchy = "created_at"


@admin.register(HandoffKeyword)
class HandoffKeywordAdmin(admin.ModelAdmin):
    list_display = ["phrase", "is_active", "note"]
    list_filter = ["is_active"]
    search_fields = ["phrase", "note"]
