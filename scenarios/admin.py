from __future__ import annotations

from django.contrib import admin

from scenarios.models import (
    Account,
    CardBenefit,
    CardProduct,
    CardStatement,
    CardTransaction,
    Customer,
    CustomerCard,
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
