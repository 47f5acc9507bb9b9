"""Dialogue flows (editable data) and the sessions, turns and funnel events they produce."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage, storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from bank_ai.i18n import localised
from scenarios.models.watched import WatchedManager
from scenarios.registry import validate_scenario


class Flow(models.Model):
    """A scenario's conversation as an ordered list of typed steps."""

    objects = WatchedManager()  # bulk writes tell the per-process copies

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # One of the registered scenario packages (scenarios.registry); checked by clean(), the
    # admin's choices and flow_sync. Not a model-level `choices`: the list is code, and a
    # migration per new scenario would buy nothing.
    scenario = models.CharField(_("scenario"), max_length=30)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    # Phrases that start this flow in the middle of another one (the other flow is paused and
    # resumed afterwards): {"zh-hans": ["激活"], "en": ["activate"]}. Empty: never switched to.
    triggers = models.JSONField(_("switch-to phrases"), default=dict, blank=True)
    requires_customer = models.BooleanField(
        _("needs an identified customer"),
        default=False,
        help_text=_("Only sessions bound to a customer (e.g. the logged-in app) may run it."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("dialogue flow")
        verbose_name_plural = _("dialogue flows")

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        super().clean()
        try:
            validate_scenario(self.scenario)
        except ValidationError as error:
            raise ValidationError({"scenario": error}) from None


class FlowStep(models.Model):
    objects = WatchedManager()  # bulk writes tell the per-process copies

    class Kind(models.TextChoices):
        ASK = "ask", _("Ask for a slot")
        CONFIRM = "confirm", _("Confirm")
        RECOMMEND = "recommend", _("Recommend")
        OPTIONS = "options", _("Show options")
        ANSWER = "answer", _("Answer from knowledge")
        FORM = "form", _("Form")
        HANDOFF = "handoff", _("Hand over to a human")
        END = "end", _("End")

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="steps")
    code = models.SlugField(_("code"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    # For ASK steps: the slots this step fills (any of them completes the step).
    slots = models.JSONField(_("slots"), default=list, blank=True)
    prompt_zh = models.TextField(_("prompt (Chinese)"))
    prompt_en = models.TextField(_("prompt (English)"))
    # The step after this one; empty means the next position.
    next_step = models.SlugField(_("next step"), max_length=40, blank=True)
    optional = models.BooleanField(_("may be skipped"), default=False)
    # What the step does beyond its kind: the name of a behaviour registered in code
    # (scenarios.dialogue). Blank runs the kind's generic behaviour.
    behaviour = models.SlugField(
        _("behaviour"),
        max_length=40,
        blank=True,
        help_text=_("A behaviour registered by a scenario module; blank for the kind's own."),
    )
    # Parameters of the behaviour (a guide step's UI action, a deep link, where "no" goes...).
    config = models.JSONField(_("settings"), default=dict, blank=True)

    class Meta:
        ordering = ["flow", "position"]
        verbose_name = _("flow step")
        verbose_name_plural = _("flow steps")
        constraints = [
            models.UniqueConstraint(fields=["flow", "code"], name="uniq_flow_step_code"),
            models.UniqueConstraint(fields=["flow", "position"], name="uniq_flow_step_position"),
        ]

    def __str__(self) -> str:
        return f"{self.flow.code}/{self.code}"

    def prompt(self, language: str) -> str:
        return localised(self, "prompt", language)


# The channels a device or the app opens sessions on (the device API accepts these); the
# channel layer's adapters record others of their own (wechat, webchat, voice).
DEVICE_CHANNELS = ("app", "web", "kiosk", "vtm", "hall_screen")


class DialogueSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        HANDED_OVER = "handed_over", _("Handed over to a human")
        ABANDONED = "abandoned", _("Abandoned")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    flow = models.ForeignKey(Flow, on_delete=models.PROTECT, related_name="sessions")
    channel = models.CharField(_("channel"), max_length=20)
    language = models.CharField(_("language"), max_length=10)
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
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    # Set only when a trusted channel (a device allowed to identify customers) says who it is.
    customer = models.ForeignKey(
        "scenarios.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("customer"),
    )
    current_step = models.SlugField(_("current step"), max_length=40)
    slots = models.JSONField(_("slots"), default=dict, blank=True)
    # Recommendations shown, the chosen card, and anything else the flow remembers.
    memory = models.JSONField(_("memory"), default=dict, blank=True)
    turn_count = models.PositiveIntegerField(_("turns"), default=0)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("dialogue session")
        verbose_name_plural = _("dialogue sessions")
        # The dashboards' channel filter reads the channels there are by walking this index
        # (scenarios.selectors.session_channels), not by scanning every session.
        indexes = [models.Index(fields=["channel"], name="session_channel_idx")]

    def __str__(self) -> str:
        return f"{self.flow.code} {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # While a turn gathers its writes, a plain save() only notes that the row changed: the
        # turn saves the session once, with its other rows (scenarios.dialogue.engine).
        if not args and not kwargs and self.__dict__.get("_saves_deferred") is not None:
            self.__dict__["_saves_deferred"] = True
            return
        super().save(*args, **kwargs)

    def defer_saves(self) -> None:
        self.__dict__["_saves_deferred"] = False

    def stop_deferring_saves(self) -> bool:
        """Save normally again; whether a save was deferred since `defer_saves`."""
        return bool(self.__dict__.pop("_saves_deferred", False))


class Turn(models.Model):
    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        ASSISTANT = "assistant", _("Assistant")
        AGENT = "agent", _("Human agent")

    session = models.ForeignKey(DialogueSession, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField(_("sequence"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    # Masked before it is stored: the transcript never holds full card or ID numbers.
    text = models.TextField(_("text (masked)"))
    step = models.CharField(_("step"), max_length=40, blank=True)
    intent = models.CharField(_("intent"), max_length=60, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    payload = models.JSONField(_("actions and sources"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["session", "seq"]
        verbose_name = _("turn")
        verbose_name_plural = _("turns")
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="uniq_turn_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.role}"


class FunnelEvent(models.Model):
    """One step outcome, for the scenario KPIs (turns to recommendation, drop-off, ...)."""

    session = models.ForeignKey(
        DialogueSession, on_delete=models.CASCADE, related_name="funnel_events"
    )
    # One of the registered scenario packages (scenarios.registry); checked by clean(), the
    # admin's choices and flow_sync. Not a model-level `choices`: the list is code, and a
    # migration per new scenario would buy nothing.
    scenario = models.CharField(_("scenario"), max_length=30)
    step = models.CharField(_("step"), max_length=40)
    outcome = models.CharField(_("outcome"), max_length=30)
    turn_number = models.PositiveIntegerField(_("turn number"))
    channel = models.CharField(_("channel"), max_length=20)
    device = models.ForeignKey(
        "touchpoints.Device", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("funnel event")
        verbose_name_plural = _("funnel events")
        indexes = [models.Index(fields=["scenario", "step", "outcome"], name="funnel_kpi_idx")]

    def __str__(self) -> str:
        return f"{self.scenario}/{self.step}: {self.outcome}"


def private_storage() -> Storage:
    return storages["private"]


def _document_path(document: ApplicationDocument, filename: str) -> str:
    # Random names: the customer's file name never reaches the file system.
    return f"applications/{document.application_id}/{document.kind}-{uuid.uuid4().hex}"


class CardApplication(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")
        CARD_MAILED = "card_mailed", _("Card mailed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.OneToOneField(
        DialogueSession, on_delete=models.PROTECT, related_name="application"
    )
    card = models.ForeignKey(
        "scenarios.CardProduct", on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    customer = models.ForeignKey(
        "scenarios.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("customer"),
    )
    # Codes of the card's value-added services the customer chose; [] once they declined all.
    value_added_services = models.JSONField(_("value-added services"), default=list, blank=True)
    services_decided_at = models.DateTimeField(_("services decided"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("card application")
        verbose_name_plural = _("card applications")

    def __str__(self) -> str:
        return f"{self.card_id} {self.id}"

    @property
    def reference(self) -> str:
        """The number a customer quotes on the phone: short, unambiguous, stable."""
        return f"HB{self.id.hex[:10].upper()}"


class ApplicationDocument(models.Model):
    application = models.ForeignKey(
        CardApplication, on_delete=models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=30)
    file = models.FileField(_("file"), upload_to=_document_path, storage=private_storage)
    content_type = models.CharField(_("content type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # The document's own expiry (an ID card's 有效期至), as stated with the upload.
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["application", "uploaded_at"]
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"
