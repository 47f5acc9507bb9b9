"""Human takeover of an avatar session: the request, the agent in control, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from scenarios.models.watched import WatchedManager


class Takeover(models.Model):
    """One episode of a human handling a session: requested, taken by an agent, handed back.

    While a takeover is open the session's status is `handed_over`: the customer's turns are
    stored and shown to the agent, and the AI does not answer.
    """

    class State(models.TextChoices):
        REQUESTED = "requested", _("Waiting for an agent")
        ACTIVE = "active", _("Agent in control")
        ENDED = "ended", _("Handed back")

    session = models.ForeignKey(
        "scenarios.DialogueSession", on_delete=models.CASCADE, related_name="takeovers"
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    # asked_for_person, keyword, flow_step, negative_sentiment, anger, repeated_failure,
    # agent_initiated, engine_not_found ...
    reason = models.CharField(_("reason"), max_length=40)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    step = models.CharField(_("step"), max_length=40, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    taken_at = models.DateTimeField(_("taken over"), null=True, blank=True)
    ended_at = models.DateTimeField(_("handed back"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("takeover")
        verbose_name_plural = _("takeovers")
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=~Q(state="ended"),
                name="one_open_takeover_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.state} ({self.reason})"


class TakeoverAudit(models.Model):
    """Append-only (a database trigger refuses UPDATE and DELETE): who did what, when and why."""

    class Action(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        TAKEN = "taken", _("Taken over")
        HANDED_BACK = "handed_back", _("Handed back")
        # The customer left while waiting: the request ends without an agent.
        WITHDRAWN = "withdrawn", _("Withdrawn")

    takeover = models.ForeignKey(Takeover, on_delete=models.PROTECT, related_name="audit")
    session = models.ForeignKey(
        "scenarios.DialogueSession", on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=12, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # The user name at the time, or "system" for an automatic trigger: readable even if the
    # account is renamed later.
    actor_name = models.CharField(_("by (name)"), max_length=150)
    reason = models.CharField(_("why"), max_length=40)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("takeover audit entry")
        verbose_name_plural = _("takeover audit")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.session_id}"


class HandoffKeyword(models.Model):
    """A word or phrase that hands a session to a human as soon as a customer says it."""

    objects = WatchedManager()  # bulk writes tell the per-process copies

    phrase = models.CharField(_("phrase"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["phrase"]
        verbose_name = _("handoff keyword")
        verbose_name_plural = _("handoff keywords")

    def __str__(self) -> str:
        return self.phrase
