"""Clusters of unanswered customer questions, and the FAQ drafts editors made from them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NeedCluster(models.Model):
    """Similar questions the engine could not answer (or only asked back about).

    Open clusters are rebuilt by `mine_needs`; a cluster an editor turned into a FAQ draft (or
    dismissed) is kept, with its questions, so what it led to stays measurable.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DRAFTED = "drafted", _("FAQ drafted")
        DISMISSED = "dismissed", _("Dismissed")

    language = models.CharField(_("language"), max_length=10)
    # The most asked question of the cluster (masked, like every question here).
    label = models.CharField(_("representative question"), max_length=300)
    size = models.PositiveIntegerField(_("questions"), default=0)
    distinct_questions = models.PositiveIntegerField(_("distinct questions"), default=0)
    examples = models.JSONField(_("example questions"), default=list, blank=True)
    first_asked = models.DateTimeField(_("first asked"))
    last_asked = models.DateTimeField(_("last asked"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    page = models.ForeignKey(
        "wagtailcore.Page",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("FAQ page"),
    )
    drafted_at = models.DateTimeField(_("drafted"), null=True, blank=True)
    drafted_by = models.CharField(_("drafted by"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("mined"), default=timezone.now)

    class Meta:
        ordering = ["-size", "-last_asked"]
        verbose_name = _("customer need")
        verbose_name_plural = _("customer needs")

    def __str__(self) -> str:
        return f"{self.label} ({self.size})"


class NeedQuestion(models.Model):
    """One unanswered question (masked) of a cluster, with the audited answer it came from."""

    cluster = models.ForeignKey(NeedCluster, on_delete=models.CASCADE, related_name="questions")
    # The audit is append-only, so this never dangles (as in content.QuestionHit).
    audit = models.OneToOneField(
        "ai.AnswerAudit", on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("answer")
    )
    question = models.CharField(_("question (masked)"), max_length=500)
    answer_kind = models.CharField(_("answer kind"), max_length=20)
    asked_at = models.DateTimeField(_("asked at"))

    class Meta:
        ordering = ["-asked_at"]
        verbose_name = _("unanswered question")
        verbose_name_plural = _("unanswered questions")

    def __str__(self) -> str:
        return self.question
