"""The bank's customers as the scenarios see them.

No full card or account number is stored here: cards keep BIN + last four and accounts their
last four, the way a front-office system sees core-banking data through a tokenised view.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from scenarios.models.catalogue import CardProduct


class Customer(models.Model):
    class IncomeBand(models.TextChoices):
        UNDER_60K = "lt60k", _("Under RMB 60,000")
        FROM_60K = "60k-150k", _("RMB 60,000–150,000")
        FROM_150K = "150k-500k", _("RMB 150,000–500,000")
        OVER_500K = "gt500k", _("Over RMB 500,000")

    customer_no = models.CharField(_("customer number"), max_length=20, unique=True)
    full_name = models.CharField(_("name"), max_length=80)
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        default="zh-hans",
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    birth_year = models.PositiveSmallIntegerField(_("birth year"))
    id_last4 = models.CharField(_("ID number (last 4)"), max_length=4)
    mobile_masked = models.CharField(_("mobile (masked)"), max_length=20)
    income_band = models.CharField(_("income band"), max_length=12, choices=IncomeBand.choices)
    segment = models.CharField(_("segment"), max_length=30, blank=True)
    home_branch = models.ForeignKey(
        "branches.Branch",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
    )
    created_at = models.DateTimeField(_("customer since"))

    class Meta:
        ordering = ["customer_no"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.customer_no} {self.full_name}"


class Account(models.Model):
    class Kind(models.TextChoices):
        TYPE_I = "type_i", _("Type I debit account")
        TYPE_II = "type_ii", _("Type II debit account")
        TYPE_III = "type_iii", _("Type III debit account")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="accounts")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    last4 = models.CharField(_("account number (last 4)"), max_length=4)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    balance = models.DecimalField(_("balance"), max_digits=14, decimal_places=2)
    opened_on = models.DateField(_("opened on"))

    class Meta:
        ordering = ["customer", "kind"]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ****{self.last4}"


class CustomerCard(models.Model):
    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued, not activated")
        ACTIVE = "active", _("Active")
        BLOCKED = "blocked", _("Blocked")
        CLOSED = "closed", _("Closed")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cards")
    product = models.ForeignKey(CardProduct, on_delete=models.PROTECT, related_name="issued_cards")
    bin = models.CharField(_("BIN"), max_length=6)
    last4 = models.CharField(_("last 4"), max_length=4)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    credit_limit = models.DecimalField(_("credit limit"), max_digits=12, decimal_places=2)
    statement_day = models.PositiveSmallIntegerField(_("statement day of month"))
    # Days after the statement date when repayment is due.
    grace_days = models.PositiveSmallIntegerField(_("days from statement to due date"), default=20)
    opened_on = models.DateField(_("opened on"))
    activated_on = models.DateField(_("activated on"), null=True, blank=True)

    class Meta:
        ordering = ["customer", "opened_on"]
        verbose_name = _("customer card")
        verbose_name_plural = _("customer cards")

    def __str__(self) -> str:
        return f"{self.product.code} {self.bin}******{self.last4}"


SPENDING_CATEGORIES = [
    ("dining", _("Dining")),
    ("groceries", _("Groceries")),
    ("online_shopping", _("Online shopping")),
    ("travel", _("Travel")),
    ("airline", _("Airlines")),
    ("hotel", _("Hotels")),
    ("fuel", _("Fuel")),
    ("tolls", _("Tolls")),
    ("entertainment", _("Entertainment")),
    ("education", _("Education")),
    ("health_beauty", _("Health and beauty")),
    ("utilities", _("Utilities")),
    ("transport", _("Transport")),
    ("overseas", _("Overseas")),
    ("other", _("Other")),
]


class CardTransaction(models.Model):
    card = models.ForeignKey(CustomerCard, on_delete=models.CASCADE, related_name="transactions")
    posted_at = models.DateTimeField(_("posted at"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    merchant = models.CharField(_("merchant"), max_length=120)
    category = models.CharField(_("category"), max_length=20, choices=SPENDING_CATEGORIES)
    is_refund = models.BooleanField(_("refund"), default=False)

    class Meta:
        ordering = ["-posted_at"]
        verbose_name = _("card transaction")
        verbose_name_plural = _("card transactions")
        indexes = [models.Index(fields=["card", "posted_at"], name="cardtx_card_posted")]

    def __str__(self) -> str:
        return f"{self.posted_at:%Y-%m-%d} {self.merchant} {self.amount}"


class CardStatement(models.Model):
    card = models.ForeignKey(CustomerCard, on_delete=models.CASCADE, related_name="statements")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("due date"))
    new_balance = models.DecimalField(_("new balance"), max_digits=12, decimal_places=2)
    minimum_payment = models.DecimalField(_("minimum payment"), max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(_("paid"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        ordering = ["card", "-period_end"]
        verbose_name = _("card statement")
        verbose_name_plural = _("card statements")
        constraints = [
            models.UniqueConstraint(fields=["card", "period_end"], name="uniq_card_statement"),
        ]

    def __str__(self) -> str:
        return f"{self.card} {self.period_end}"
