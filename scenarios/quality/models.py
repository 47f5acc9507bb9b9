"""The rubric staff edit, one inspection per conversation, its findings and the review trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Criterion(models.Model):
    """One line of the rubric: what is checked (`kind`), how much it weighs, its parameters."""

    class Kind(models.TextChoices):
        GREETING = "greeting", _("Greeting")
        IDENTITY = "identity_verification", _("Identity verification where required")
        RISK_DISCLOSURE = "risk_disclosure", _("Risk disclosure on wealth topics")
        FORBIDDEN_PROMISES = "forbidden_promises", _("No forbidden promises")
        POLITENESS = "politeness", _("Politeness")
        END_SENTIMENT = "end_sentiment", _("Customer sentiment at the end")
        RESOLUTION = "resolution", _("Resolved")
        HANDLING_TIME = "handling_time", _("Handling time")
        LLM_JUDGEMENT = "llm_judgement", _("Judged by the language model only")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    label_zh = models.CharField(_("label (Chinese)"), max_length=80)
    label_en = models.CharField(_("label (English)"), max_length=80)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    # Phrases, thresholds and scenario lists of the kind; see scenarios/quality/rules.py.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # Also asked of the language model when a remote provider is configured.
    ask_llm = models.BooleanField(_("also judged by the LLM"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("rubric criterion")
        verbose_name_plural = _("rubric criteria")

    def __str__(self) -> str:
        return self.code

    def label(self, language: str = "") -> str:
        language = language or "en"
        return self.label_zh if language.lower().startswith("zh") else self.label_en


class Inspection(models.Model):
    """The score of one conversation. Re-scoring replaces findings; reviews stay."""

    class Method(models.TextChoices):
        RULES = "rules", _("Rules")
        RULES_AND_LLM = "rules+llm", _("Rules and language model")

    class Review(models.TextChoices):
        NONE = "", _("Not reviewed")
        APPEALED = "appealed", _("Appealed")
        OVERRIDDEN = "overridden", _("Overridden")
        CONFIRMED = "confirmed", _("Confirmed")

    session = models.OneToOneField(
        "scenarios.DialogueSession",
        on_delete=models.CASCADE,
        related_name="inspection",
        verbose_name=_("conversation"),
    )
    scenario = models.CharField(_("scenario"), max_length=30)
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
    # The person who handled the conversation (the last takeover's agent); empty: the bot alone.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    session_status = models.CharField(_("conversation status"), max_length=12)
    turn_count = models.PositiveIntegerField(_("turns"), default=0)
    handling_seconds = models.PositiveIntegerField(_("handling time (s)"), default=0)
    auto_score = models.FloatField(_("computed score"))
    # What the queue sorts by: the supervisor's override if there is one, else the computed one.
    score = models.FloatField(_("score"), db_index=True)
    failed_criteria = models.PositiveSmallIntegerField(_("failed criteria"), default=0)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    llm_note = models.CharField(_("LLM note"), max_length=200, blank=True)
    review_state = models.CharField(
        _("review"), max_length=12, choices=Review.choices, default=Review.NONE, blank=True
    )
    conversation_ended_at = models.DateTimeField(_("conversation ended"))
    scored_at = models.DateTimeField(_("scored"), default=timezone.now)

    class Meta:
        ordering = ["score", "-conversation_ended_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections (review queue)")
        permissions = [("review_inspection", _("Can appeal, confirm and override scores"))]
        indexes = [models.Index(fields=["agent", "scored_at"], name="quality_agent_idx")]

    def __str__(self) -> str:
        return f"{self.session_id} {self.score:.0f}"


class Finding(models.Model):
    """One criterion's result on one conversation; `turn_seq` points at the turn when it has one."""

    class Source(models.TextChoices):
        RULE = "rule", _("Rule")
        LLM = "llm", _("Language model")

    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="findings")
    criterion = models.ForeignKey(Criterion, on_delete=models.SET_NULL, null=True, related_name="+")
    # The criterion as it was when scored: editing the rubric later does not rewrite history.
    criterion_code = models.CharField(_("criterion"), max_length=40)
    weight = models.PositiveSmallIntegerField(_("weight"))
    passed = models.BooleanField(_("passed"))
    source = models.CharField(_("source"), max_length=4, choices=Source.choices)
    turn_seq = models.PositiveIntegerField(_("turn"), null=True, blank=True)
    turn_role = models.CharField(_("speaker"), max_length=10, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["inspection", "turn_seq", "criterion_code"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.criterion_code}: {'ok' if self.passed else 'failed'}"


class ScoreReview(models.Model):
    """Append-only (a database trigger refuses UPDATE and DELETE): appeals and overrides."""

    class Action(models.TextChoices):
        APPEAL = "appeal", _("Appealed")
        OVERRIDE = "override", _("Score overridden")
        CONFIRM = "confirm", _("Score confirmed")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="reviews")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_name = models.CharField(_("by (name)"), max_length=150)
    previous_score = models.FloatField(_("score before"))
    new_score = models.FloatField(_("score after"))
    reason = models.TextField(_("reason"))
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("score review")
        verbose_name_plural = _("score reviews (audit trail)")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.inspection_id}"
