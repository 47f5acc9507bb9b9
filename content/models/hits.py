"""Which questions were answered from which knowledge page, for the editors."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QuestionHit(models.Model):
    """One cited page of one audited answer (questions are stored masked, never raw)."""

    page = models.ForeignKey(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="+", verbose_name=_("page")
    )
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revision"),
    )
    # The audit is append-only (a trigger refuses DELETE), so this never dangles; DO_NOTHING
    # leaves that decision to the database rather than to Django's delete collector.
    audit = models.ForeignKey(
        "ai.AnswerAudit", on_delete=models.DO_NOTHING, related_name="+", verbose_name=_("answer")
    )
    question = models.CharField(_("question (masked)"), max_length=500)
    # Lower-cased, whitespace- and punctuation-normalised: groups "年费怎么免？" with "年费怎么免".
    question_key = models.CharField(_("normalised question"), max_length=300)
    language = models.CharField(_("language"), max_length=10)
    channel = models.CharField(_("channel"), max_length=20)
    answer_kind = models.CharField(_("answer kind"), max_length=20)
    citation = models.PositiveSmallIntegerField(_("citation number"), default=1)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("question hit")
        verbose_name_plural = _("question hits")
        indexes = [
            models.Index(fields=["page", "question_key"], name="hit_page_question_idx"),
            models.Index(fields=["created_at"], name="hit_created_idx"),
        ]

    def __str__(self) -> str:
        return self.question
