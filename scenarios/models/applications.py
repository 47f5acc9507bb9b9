"""What happens to a card application after the conversation: acknowledgements, status history,
the expected timeline, and the calendar its dates are counted in."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import localised
from scenarios.models.watched import WatchedManager


class DisclosureAcknowledgement(models.Model):
    """Proof that the customer was shown a card's risk and fee disclosure and accepted it.

    The exact text shown is kept with a version (a hash of it), so a later edit of the card's
    disclosures never changes what this customer agreed to.
    """

    application = models.ForeignKey(
        "scenarios.CardApplication", on_delete=models.PROTECT, related_name="acknowledgements"
    )
    version = models.CharField(_("disclosure version"), max_length=16)
    language = models.CharField(_("language"), max_length=10)
    text = models.TextField(_("text shown"))
    session = models.ForeignKey(
        "scenarios.DialogueSession", on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=20)
    device = models.ForeignKey(
        "touchpoints.Device", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    customer = models.ForeignKey(
        "scenarios.Customer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # How the customer said it: their masked words, or the UI event.
    evidence = models.CharField(_("how it was acknowledged"), max_length=200)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), default=timezone.now)

    class Meta:
        ordering = ["application", "acknowledged_at"]
        verbose_name = _("disclosure acknowledgement")
        verbose_name_plural = _("disclosure acknowledgements")

    def __str__(self) -> str:
        return f"{self.application_id} v{self.version}"


class ApplicationStatusChange(models.Model):
    application = models.ForeignKey(
        "scenarios.CardApplication", on_delete=models.CASCADE, related_name="history"
    )
    from_status = models.CharField(_("from status"), max_length=12, blank=True)
    to_status = models.CharField(_("to status"), max_length=12)
    actor = models.CharField(_("changed by"), max_length=80)
    note = models.CharField(_("note"), max_length=300, blank=True)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["application", "changed_at", "id"]
        verbose_name = _("application status change")
        verbose_name_plural = _("application status changes")

    def __str__(self) -> str:
        return f"{self.application_id}: {self.from_status or '-'} → {self.to_status}"


class ApplicationMilestone(models.Model):
    """One expected step after submission (pre-check, review, decision, card mailed)."""

    application = models.ForeignKey(
        "scenarios.CardApplication", on_delete=models.CASCADE, related_name="milestones"
    )
    code = models.SlugField(_("code"), max_length=30)
    position = models.PositiveSmallIntegerField(_("position"))
    label_zh = models.CharField(_("label (Chinese)"), max_length=60)
    label_en = models.CharField(_("label (English)"), max_length=60)
    expected_on = models.DateField(_("expected by"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        ordering = ["application", "position"]
        verbose_name = _("application milestone")
        verbose_name_plural = _("application milestones")
        constraints = [
            models.UniqueConstraint(fields=["application", "code"], name="uniq_app_milestone"),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.code} {self.expected_on}"

    def label(self, language: str) -> str:
        return localised(self, "label", language)


class BusinessCalendarDay(models.Model):
    """An exception to "Monday to Friday are working days": a public holiday on a weekday, or a
    weekend day worked in exchange (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_working = models.BooleanField(_("working day"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=40, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=40, blank=True)

    objects = WatchedManager()  # bulk writes tell the per-process copies

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.date} {'working' if self.is_working else 'holiday'}"
