"""Repayment reminders and the customer's in-app inbox they are delivered to."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RepaymentReminder(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        # Handed to a channel that delivers later (WeChat's outbox): it reports sent or failed.
        QUEUED = "queued", _("Waiting to be delivered")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Delivery failed")
        SKIPPED = "skipped", _("Skipped (already repaid)")
        CANCELLED = "cancelled", _("Cancelled")

    card = models.ForeignKey(
        "scenarios.CustomerCard", on_delete=models.CASCADE, related_name="reminders"
    )
    statement = models.ForeignKey(
        "scenarios.CardStatement", on_delete=models.CASCADE, related_name="reminders"
    )
    days_before = models.PositiveSmallIntegerField(_("days before the due date"))
    channel = models.CharField(_("channel"), max_length=20)
    remind_at = models.DateTimeField(_("remind at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED
    )
    # The django-q2 Schedule that fires it (deleted by django-q2 once it has run).
    schedule_name = models.CharField(_("schedule"), max_length=100, unique=True)
    delivery_ref = models.CharField(_("delivery reference"), max_length=60, blank=True)
    message = models.TextField(_("message sent"), blank=True)
    # Why the channel refused or gave up (plain English, like the channels' refusals).
    error = models.CharField(_("error"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["remind_at"]
        verbose_name = _("repayment reminder")
        verbose_name_plural = _("repayment reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "days_before", "channel"], name="uniq_repayment_reminder"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card} {self.statement.due_date} -{self.days_before}d"


class CustomerNotification(models.Model):
    """A message in the customer's app inbox (what the app shows under 消息 / Messages)."""

    customer = models.ForeignKey(
        "scenarios.Customer", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=30)
    language = models.CharField(_("language"), max_length=10)
    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("body"))
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer notification")
        verbose_name_plural = _("customer notifications")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.title}"
