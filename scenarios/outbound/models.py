"""Outbound campaigns (智能外呼): who is contacted, about what, how often, and what came of it.

A `Segment` is a rule over customer profiles (spending persona, income band, cards held or not,
a statement due soon). A `Campaign` sends a script to a segment through one delivery channel,
inside its dates and outside quiet hours, never to a customer on the do-not-contact list or
without consent (marketing) and never more often than the contact-frequency cap. Each customer
reached or skipped is one `ContactAttempt`, whose outcome (reached, interested, converted,
opted out) feeds the dashboard.
"""

from __future__ import annotations

from datetime import time

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContactConsent(models.Model):
    """What the customer agreed to: marketing contact, and through which channels."""

    customer = models.OneToOneField(
        "scenarios.Customer", on_delete=models.CASCADE, related_name="contact_consent"
    )
    marketing = models.BooleanField(_("marketing contact allowed"), default=False)
    # Empty = every channel the bank has.
    channels = models.JSONField(_("channels"), default=list, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("contact consent")
        verbose_name_plural = _("contact consents")

    def __str__(self) -> str:
        return f"{self.customer_id}: {'yes' if self.marketing else 'no'}"


class DoNotContact(models.Model):
    customer = models.ForeignKey(
        "scenarios.Customer", on_delete=models.CASCADE, related_name="do_not_contact"
    )
    channel = models.CharField(_("channel (blank: all)"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    until = models.DateTimeField(_("until (blank: for good)"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("do-not-contact entry")
        verbose_name_plural = _("do-not-contact list")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel or '*'}"


class Segment(models.Model):
    """Customers chosen by rules; every rule left empty matches everyone.

    `rules` keys: `personas` (customer segment), `income_bands`, `holds_products` (card product
    codes, any of), `lacks_products`, `languages`, `due_within_days` (an unpaid statement due
    within N days).
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    rules = models.JSONField(_("rules"), default=dict, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        RUNNING = "running", _("Running")
        PAUSED = "paused", _("Paused")
        FINISHED = "finished", _("Finished")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing (needs consent)")
        SERVICE = "service", _("Service (reminders, no consent needed)")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="campaigns")
    channel = models.CharField(_("delivery channel"), max_length=20, default="app_inbox")
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The script flow: {"start": "open", "steps": {"open": {"text": {"zh-hans": ..., "en": ...},
    # "replies": {"1": "details", "好": "interested", "退订": "opted_out"}}, ...}}. A reply maps
    # to another step's code or to an outcome.
    script = models.JSONField(_("script"), default=dict)
    starts_at = models.DateTimeField(_("starts"), default=timezone.now)
    ends_at = models.DateTimeField(_("ends"), null=True, blank=True)
    quiet_from = models.TimeField(_("quiet hours from"), default=time(21, 0))
    quiet_until = models.TimeField(_("quiet hours until"), default=time(9, 0))
    batch_size = models.PositiveIntegerField(_("contacts per run"), default=500)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class ContactAttempt(models.Model):
    class Status(models.TextChoices):
        # The channel only queued it (WeChat's outbox): it reports back sent or failed.
        QUEUED = "queued", _("Waiting to be delivered")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Delivery failed")

    class Outcome(models.TextChoices):
        NONE = "", _("No answer yet")
        REACHED = "reached", _("Reached")
        INTERESTED = "interested", _("Interested")
        CONVERTED = "converted", _("Converted")
        OPTED_OUT = "opted_out", _("Opted out")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="attempts")
    customer = models.ForeignKey(
        "scenarios.Customer", on_delete=models.CASCADE, related_name="contact_attempts"
    )
    channel = models.CharField(_("channel"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    # do_not_contact, no_consent, frequency_cap, channel_refused ...
    skip_reason = models.CharField(_("skipped because"), max_length=30, blank=True)
    step = models.CharField(_("script step"), max_length=40, blank=True)
    delivery_ref = models.CharField(_("delivery reference"), max_length=80, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=12, choices=Outcome.choices, default=Outcome.NONE, blank=True
    )
    outcome_at = models.DateTimeField(_("outcome at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="outbound_one_attempt_per_campaign"
            )
        ]
        indexes = [models.Index(fields=["customer", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.status} {self.outcome}"


class ContactHold(models.Model):
    """A customer a campaign run was due to contact but held back for a while (quiet hours).

    Skips for good (do-not-contact, consent, the frequency cap) are `ContactAttempt` rows; a
    hold is not final: the customer is contacted by a later run. One row per campaign, customer
    and reason however many runs held them back, so the dashboard counts people, not runs.
    """

    class Reason(models.TextChoices):
        QUIET_HOURS = "quiet_hours", _("Quiet hours")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="holds")
    customer = models.ForeignKey(
        "scenarios.Customer", on_delete=models.CASCADE, related_name="contact_holds"
    )
    reason = models.CharField(_("held back because"), max_length=20, choices=Reason.choices)
    first_held_at = models.DateTimeField(_("first held back"), default=timezone.now, db_index=True)
    last_held_at = models.DateTimeField(_("last held back"), default=timezone.now)

    class Meta:
        ordering = ["-first_held_at"]
        verbose_name = _("contact held back")
        verbose_name_plural = _("contacts held back")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer", "reason"], name="outbound_one_hold_per_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.customer_id} {self.reason}"
