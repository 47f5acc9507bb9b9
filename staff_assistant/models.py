"""The staff assistant's conversations, their messages and the feedback editors review.

Questions are stored masked (as the engine's audit does): employees paste customers' card
numbers and phone numbers into questions, and neither belongs in a chat history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QuickFilter(models.TextChoices):
    """The chat's quick filters, each a set of knowledge page types (see services.FILTER_TYPES)."""

    PRODUCTS = "products", _("Products")
    PROCESSES = "processes", _("Processes")
    CAMPAIGNS = "campaigns", _("Campaigns")
    REGULATIONS = "regulations", _("Regulations")


class Conversation(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_conversations",
        verbose_name=_("employee"),
    )
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("last message"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("staff conversation")
        verbose_name_plural = _("staff conversations")

    def __str__(self) -> str:
        return self.title


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user", _("Employee")
        ASSISTANT = "assistant", _("Assistant")

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    text = models.TextField(_("text"))
    quick_filter = models.CharField(
        _("quick filter"), max_length=12, choices=QuickFilter.choices, blank=True
    )
    kind = models.CharField(_("answer kind"), max_length=20, blank=True)
    # [{"n", "title", "url", "page_url", "snippet", "page_id", "revision_id"}]
    sources = models.JSONField(_("sources"), default=list, blank=True)
    related_questions = models.JSONField(_("related questions"), default=list, blank=True)
    # The audit is append-only (a database trigger refuses DELETE): the database decides.
    audit = models.ForeignKey(
        "ai.AnswerAudit",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("audit record"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Not a column: staff_assistant.selectors.conversation_messages sets the reading employee's
    # own feedback on each answer it returns.
    my_feedback: Feedback | None

    class Meta:
        ordering = ["conversation", "created_at", "id"]
        verbose_name = _("staff message")
        verbose_name_plural = _("staff messages")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:60]}"


class Feedback(models.Model):
    """An employee's verdict on one answer; thumbs down or a correction goes to the editors."""

    class Rating(models.IntegerChoices):
        UP = 1, _("Helpful")
        DOWN = -1, _("Not helpful")

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for an editor")
        RESOLVED = "resolved", _("Resolved")
        DISMISSED = "dismissed", _("Dismissed")
        NOTED = "noted", _("Noted (no review needed)")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("employee"),
    )
    rating = models.SmallIntegerField(_("rating"), choices=Rating.choices)
    correction = models.TextField(_("correction (masked)"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, db_index=True)
    editor_note = models.TextField(_("editor's note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("answer feedback")
        verbose_name_plural = _("answer feedback")
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="one_feedback_per_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()} #{self.message_id}"
