"""Daily roll-ups of the KPI contributions of each day's sessions.

A session counts in the day it started (its cohort), with everything it did afterwards, so a
day's rows can be summed with any other day's: no session is in two days. Each row holds one
KPI's numerator, denominator, event count and values (sum, count and a histogram for medians
and "within N turns") for one combination of the dashboard's filter dimensions, and once more
for all of them together.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DailyRollup(models.Model):
    day = models.DateField(_("day"))
    kpi = models.CharField(_("KPI"), max_length=60)
    # A KPI's breakdown (the step, module, reason, intent...); "" for a single figure.
    key = models.CharField(_("breakdown"), max_length=80, blank=True)
    # True: the day's sum over every channel, language, device and branch (what a page without
    # those filters reads: a handful of rows per day); False: one row per combination of them.
    total = models.BooleanField(_("all dimensions"), default=False)
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    device_id = models.BigIntegerField(_("device"), null=True, blank=True)
    branch_id = models.BigIntegerField(_("branch"), null=True, blank=True)
    numerator = models.PositiveIntegerField(_("numerator"), default=0)
    denominator = models.PositiveIntegerField(_("denominator"), default=0)
    events = models.PositiveIntegerField(_("events"), default=0)
    value_sum = models.FloatField(_("sum of values"), default=0.0)
    value_count = models.PositiveIntegerField(_("values"), default=0)
    # {value: sessions} for medians and "within N turns"; {} when the KPI has no values.
    histogram = models.JSONField(_("histogram"), default=dict, blank=True)

    class Meta:
        ordering = ["day", "kpi", "key"]
        verbose_name = _("daily KPI roll-up")
        verbose_name_plural = _("daily KPI roll-ups")
        indexes = [
            models.Index(fields=["total", "kpi", "day"], name="analytics_kpi_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.kpi} {self.key}".strip()


class RollupDay(models.Model):
    """A day whose roll-up is stored; days without one are computed live from the events."""

    day = models.DateField(_("day"), unique=True)
    sessions = models.PositiveIntegerField(_("sessions"), default=0)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        ordering = ["-day"]
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")

    def __str__(self) -> str:
        return str(self.day)
