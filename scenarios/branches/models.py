"""The bank's branches: what each offers, its counters and the queue tickets customers draw.

Domain data (docs/architecture.md, "Who owns the bank's data"): `scenarios.branches.services`
is the only writer, everyone else reads through `scenarios.branches.selectors`. The tables keep
the `devices_*` names they had when the channel app `devices` owned these models; the move was
state-only (no row copied, foreign keys unchanged).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import localised


class Branch(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    address_zh = models.CharField(_("address (Chinese)"), max_length=255, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # [{"weekday": 0, "open": "09:00", "close": "17:00"}, ...]; weekday 0 is Monday.
    opening_hours = models.JSONField(_("opening hours"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "devices_branch"
        ordering = ["code"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")

    def __str__(self) -> str:
        return self.name(None)

    def name(self, language: str | None = None) -> str:
        return localised(self, "name", language)


class ServiceType(models.Model):
    """What a customer comes to a branch for (account opening, card services, ...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    # {"zh-hans": ["..."], "en": ["..."]}: what to bring.
    materials = models.JSONField(_("materials to bring"), default=dict, blank=True)
    # How the hall avatar recognises the service in what a customer says:
    # {"zh-hans": ["取钱", ...], "en": ["withdraw", ...]} and the AI core's intent codes.
    keywords = models.JSONField(_("keywords"), default=dict, blank=True)
    intents = models.JSONField(_("intents"), default=list, blank=True)

    class Meta:
        db_table = "devices_servicetype"
        ordering = ["code"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")

    def __str__(self) -> str:
        return localised(self, "name")


class BranchService(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="services")
    service = models.ForeignKey(ServiceType, on_delete=models.PROTECT, related_name="branches")
    ticket_prefix = models.CharField(_("ticket prefix"), max_length=2)
    average_minutes = models.PositiveSmallIntegerField(_("average handling minutes"), default=10)

    class Meta:
        db_table = "devices_branchservice"
        verbose_name = _("branch service")
        verbose_name_plural = _("branch services")
        constraints = [
            models.UniqueConstraint(fields=["branch", "service"], name="uniq_branch_service"),
            models.UniqueConstraint(fields=["branch", "ticket_prefix"], name="uniq_branch_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.branch.code}/{self.service.code}"


class Counter(models.Model):
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60)
    services = models.ManyToManyField(
        ServiceType, related_name="counters", blank=True, db_table="devices_counter_services"
    )
    is_open = models.BooleanField(_("open"), default=True)

    class Meta:
        db_table = "devices_counter"
        ordering = ["branch", "number"]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")
        constraints = [
            models.UniqueConstraint(fields=["branch", "number"], name="uniq_branch_counter"),
        ]

    def __str__(self) -> str:
        return f"{self.branch.code} #{self.number}"


class TicketSequence(models.Model):
    """The last ticket number handed out per branch service and day.

    Numbers come from one atomic upsert on this row (`scenarios.branches.services`,
    `_next_number`), so concurrent kiosks never hand out the same number; the unique constraint
    on Ticket is the second line of defence.
    """

    branch_service = models.ForeignKey(BranchService, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        db_table = "devices_ticketsequence"
        verbose_name = _("ticket sequence")
        verbose_name_plural = _("ticket sequences")
        constraints = [
            models.UniqueConstraint(fields=["branch_service", "day"], name="uniq_ticket_seq_day"),
        ]

    def __str__(self) -> str:
        return f"{self.branch_service} {self.day}: {self.last_number}"


class Ticket(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        CALLED = "called", _("Called")
        SERVED = "served", _("Served")
        NO_SHOW = "no_show", _("No show")
        CANCELLED = "cancelled", _("Cancelled")

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="tickets", verbose_name=_("branch")
    )
    branch_service = models.ForeignKey(
        BranchService,
        on_delete=models.PROTECT,
        related_name="tickets",
        verbose_name=_("service"),
    )
    day = models.DateField(_("day"))
    number = models.PositiveIntegerField(_("number"))
    # What the customer reads and the hall screen announces: prefix + number, e.g. "A023".
    display = models.CharField(_("ticket"), max_length=12)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("counter"),
    )
    # The dialogue session that issued the ticket (kiosk, hall avatar, app), if any.
    session_id = models.UUIDField(_("dialogue session"), null=True, blank=True)
    # The touchpoint (kiosk, hall screen, app) that drew the ticket, if any.
    issued_by = models.ForeignKey(
        "touchpoints.Device",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issued by device"),
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("called by"),
    )
    call_count = models.PositiveSmallIntegerField(_("times called"), default=0)
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    called_at = models.DateTimeField(_("called"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        db_table = "devices_ticket"
        ordering = ["day", "issued_at", "id"]
        verbose_name = _("queue ticket")
        verbose_name_plural = _("queue tickets")
        constraints = [
            models.UniqueConstraint(
                fields=["branch_service", "day", "number"], name="uniq_ticket_number_day"
            ),
        ]
        indexes = [models.Index(fields=["branch", "day", "status"], name="ticket_queue_idx")]

    def __str__(self) -> str:
        return f"{self.display} {self.day}"
