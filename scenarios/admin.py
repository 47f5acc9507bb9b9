from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from scenarios.models import (
    Account,
    ApplicationDocument,
    CardApplication,
    CardBenefit,
    CardProduct,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
    DialogueSession,
    Flow,
    FlowStep,
    FunnelEvent,
    HandoffKeyword,
    Takeover,
    TakeoverAudit,
    Turn,
)


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


@admin.register(Flow)
class FlowAdmin(admin.ModelAdmin):
    list_display = ["code", "scenario", "name_zh", "name_en", "is_active"]
    inlines = [FlowStepInline]


class TurnInline(admin.TabularInline):
    model = Turn
    extra = 0
    fields = ["seq", "role", "text", "step", "intent", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


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


class ApplicationDocumentInline(admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    fields = ["kind", "content_type", "size", "sha256", "uploaded_at", "file"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(CardApplication)
class CardApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "card", "status", "created_at"]
    list_filter = ["status", "card"]
    readonly_fields = ["session", "card", "created_at"]
    inlines = [ApplicationDocumentInline]

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
