from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import localised
from scenarios.models.watched import WatchedManager

BENEFIT_CATEGORIES = [
    ("travel", _("Travel")),
    ("airline_miles", _("Airline miles")),
    ("lounge", _("Airport lounge")),
    ("dining", _("Dining")),
    ("cashback", _("Cashback")),
    ("online_shopping", _("Online shopping")),
    ("fuel", _("Fuel")),
    ("car_etc", _("Car and ETC tolls")),
    ("study", _("Study")),
    ("business_expense", _("Business expenses")),
    ("insurance", _("Insurance")),
    ("female_health", _("Health and beauty")),
    ("fx_overseas", _("Overseas and FX")),
    ("points", _("Points")),
    ("concierge", _("Concierge")),
    ("entertainment", _("Entertainment")),
]


class CardProduct(models.Model):
    objects = WatchedManager()  # bulk writes tell the per-process copies

    class WaiverKind(models.TextChoices):
        SWIPE_COUNT = "swipe_count", _("Waived after N purchases a year")
        SPEND_AMOUNT = "spend_amount", _("Waived above an annual spend")
        FIRST_YEAR_FREE = "first_year_free", _("First year free")
        POINTS = "points", _("Paid with points")
        NONE = "none", _("Not waived")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    category = models.CharField(_("category"), max_length=30)
    tier = models.CharField(_("tier"), max_length=20)
    network = models.CharField(_("network"), max_length=30)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    tagline_zh = models.CharField(_("tagline (Chinese)"), max_length=200, blank=True)
    tagline_en = models.CharField(_("tagline (English)"), max_length=200, blank=True)
    annual_fee = models.DecimalField(_("annual fee (RMB)"), max_digits=10, decimal_places=2)
    waiver_kind = models.CharField(_("waiver rule"), max_length=20, choices=WaiverKind.choices)
    waiver_threshold = models.DecimalField(
        _("waiver threshold"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    waiver_text_zh = models.CharField(_("waiver rule (Chinese)"), max_length=300, blank=True)
    waiver_text_en = models.CharField(_("waiver rule (English)"), max_length=300, blank=True)
    credit_limit_min = models.DecimalField(
        _("minimum credit limit"), max_digits=12, decimal_places=2
    )
    credit_limit_max = models.DecimalField(
        _("maximum credit limit"), max_digits=12, decimal_places=2
    )
    interest_free_days = models.PositiveSmallIntegerField(_("interest-free days (max)"))
    min_age = models.PositiveSmallIntegerField(_("minimum age"), default=18)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), default=65)
    min_annual_income = models.DecimalField(
        _("minimum annual income (RMB)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )
    eligibility = models.JSONField(_("eligibility"), default=dict, blank=True)
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    # {"periods": [3, 6, 12], "monthly_fee_rate": {"3": "0.0075", ...}}
    instalment_terms = models.JSONField(_("instalment terms"), default=dict, blank=True)
    cash_advance_fee_rate = models.DecimalField(
        _("cash advance fee rate"), max_digits=6, decimal_places=4, default=Decimal("0.01")
    )
    cash_advance_fee_min = models.DecimalField(
        _("cash advance minimum fee"), max_digits=8, decimal_places=2, default=Decimal("10")
    )
    fx_fee_rate = models.DecimalField(
        _("foreign transaction fee rate"), max_digits=6, decimal_places=4, default=Decimal("0.015")
    )
    late_fee_rate = models.DecimalField(
        _("late fee rate"), max_digits=6, decimal_places=4, default=Decimal("0.05")
    )
    # Revolving credit: interest per day on what is not repaid in full (0.0005 = 0.05%/day).
    daily_interest_rate = models.DecimalField(
        _("daily interest rate"), max_digits=8, decimal_places=6, default=Decimal("0.0005")
    )
    # Share of the statement balance due as the minimum payment (the common PRC 10%).
    minimum_payment_rate = models.DecimalField(
        _("minimum payment rate"), max_digits=5, decimal_places=4, default=Decimal("0.10")
    )
    disclosures = models.JSONField(_("risk and fee disclosures"), default=dict, blank=True)
    timeline = models.JSONField(_("approval timeline"), default=dict, blank=True)
    value_added_services = models.JSONField(_("value-added services"), default=list, blank=True)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("card product")
        verbose_name_plural = _("card products")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(credit_limit_min__lte=models.F("credit_limit_max")),
                name="card_limit_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name()

    def name(self, language: str | None = None) -> str:
        return localised(self, "name", language)


class CardBenefit(models.Model):
    objects = WatchedManager()  # bulk writes tell the per-process copies

    card = models.ForeignKey(CardProduct, on_delete=models.CASCADE, related_name="benefits")
    category = models.CharField(_("category"), max_length=30, choices=BENEFIT_CATEGORIES)
    value = models.DecimalField(_("value"), max_digits=10, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=30)
    title_zh = models.CharField(_("title (Chinese)"), max_length=120)
    title_en = models.CharField(_("title (English)"), max_length=120)
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    conditions_zh = models.TextField(_("conditions (Chinese)"), blank=True)
    conditions_en = models.TextField(_("conditions (English)"), blank=True)
    # How central the benefit is to the card, used when matching needs to cards.
    weight = models.DecimalField(
        _("weight"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["card", "position"]
        verbose_name = _("card benefit")
        verbose_name_plural = _("card benefits")

    def __str__(self) -> str:
        return f"{self.card.code}: {localised(self, 'title')}"
