"""Skills-based routing of handed-over sessions to agents.

A `RoutingQueue` says which waiting sessions it takes (service types = scenario codes,
languages, customer segments, a minimum priority) and how long a session may wait before it
overflows to another queue. An `AgentProfile` holds an agent's presence, capacity and the
queues (skills) they serve. Each takeover request that a queue takes becomes one `QueueEntry`,
which moves waiting -> assigned -> answered -> done, or ends abandoned; every move is also an
append-only `RoutingEvent`, which is what the queue figures are computed from.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RoutingQueue(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    # Empty list = any. Service types are scenario (flow) codes, e.g. "card_use".
    service_types = models.JSONField(_("service types"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    segments = models.JSONField(_("customer segments"), default=list, blank=True)
    min_priority = models.PositiveSmallIntegerField(_("minimum priority"), default=0)
    # Among queues that match equally well, the higher rank wins.
    rank = models.SmallIntegerField(_("rank"), default=0)
    sla_seconds = models.PositiveIntegerField(_("answer within (seconds)"), default=60)
    overflow_after_seconds = models.PositiveIntegerField(
        _("overflow after (seconds)"), null=True, blank=True
    )
    overflow_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("overflow to"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-rank", "code"]
        verbose_name = _("routing queue")
        verbose_name_plural = _("routing queues")

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="agent_profile",
        verbose_name=_("agent"),
    )
    presence = models.CharField(
        _("presence"), max_length=10, choices=Presence.choices, default=Presence.OFFLINE
    )
    presence_changed_at = models.DateTimeField(_("presence changed"), default=timezone.now)
    capacity = models.PositiveSmallIntegerField(_("sessions at once"), default=2)
    queues = models.ManyToManyField(
        RoutingQueue, related_name="agents", blank=True, verbose_name=_("queues (skills)")
    )
    languages = models.JSONField(_("languages"), default=list, blank=True)
    # A supervisor's inbox shows every session, as the console did before routing.
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    last_assigned_at = models.DateTimeField(_("last assigned"), null=True, blank=True)

    class Meta:
        verbose_name = _("agent profile")
        verbose_name_plural = _("agent profiles")

    def __str__(self) -> str:
        return str(self.user)


class QueueEntry(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        ASSIGNED = "assigned", _("Assigned to an agent")
        ANSWERED = "answered", _("Answered")
        DONE = "done", _("Done")
        ABANDONED = "abandoned", _("Abandoned")

    OPEN_STATES = (State.WAITING, State.ASSIGNED, State.ANSWERED)

    takeover = models.OneToOneField(
        "scenarios.Takeover", on_delete=models.CASCADE, related_name="queue_entry"
    )
    session = models.ForeignKey(
        "scenarios.DialogueSession", on_delete=models.CASCADE, related_name="queue_entries"
    )
    queue = models.ForeignKey(RoutingQueue, on_delete=models.PROTECT, related_name="entries")
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    service_type = models.CharField(_("service type"), max_length=40, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    segment = models.CharField(_("segment"), max_length=30, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=0)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    # Warm transfer: the agent invited to take the session over from `agent`.
    transfer_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transfer offered to"),
    )
    transfer_note = models.CharField(_("transfer note"), max_length=500, blank=True)
    entered_at = models.DateTimeField(_("entered queue"), default=timezone.now)
    queued_at = models.DateTimeField(_("entered current queue"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    overflows = models.PositiveSmallIntegerField(_("overflows"), default=0)
    sla_breached = models.BooleanField(_("SLA breached"), default=False)

    class Meta:
        ordering = ["-priority", "entered_at"]
        verbose_name = _("queue entry")
        verbose_name_plural = _("queue entries")
        indexes = [models.Index(fields=["state", "queue"]), models.Index(fields=["agent", "state"])]

    def __str__(self) -> str:
        return f"{self.queue.code}:{self.session_id} {self.state}"


class RoutingEvent(models.Model):
    class Kind(models.TextChoices):
        QUEUED = "queued", _("Queued")
        ASSIGNED = "assigned", _("Assigned")
        REQUEUED = "requeued", _("Back to the queue")
        ANSWERED = "answered", _("Answered")
        OVERFLOWED = "overflowed", _("Overflowed")
        SLA_BREACHED = "sla_breached", _("SLA breached")
        TRANSFER_OFFERED = "transfer_offered", _("Transfer offered")
        TRANSFERRED = "transferred", _("Transferred")
        TRANSFER_DECLINED = "transfer_declined", _("Transfer declined")
        DONE = "done", _("Done")
        ABANDONED = "abandoned", _("Abandoned")

    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="events")
    queue = models.ForeignKey(RoutingQueue, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    # Seconds since the session entered routing (for answered/abandoned: the wait).
    waited_seconds = models.PositiveIntegerField(_("waited (seconds)"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("routing event")
        verbose_name_plural = _("routing events")

    def __str__(self) -> str:
        return f"{self.kind} {self.queue_id} {self.at:%Y-%m-%d %H:%M:%S}"


class PresencePeriod(models.Model):
    """A stretch of an agent's logged-in time with one presence (online or away), kept as a
    history for occupancy: `AgentProfile.presence` is only the presence now. Offline time has
    no row; the open row (`ended_at` empty) is the presence now."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    presence = models.CharField(_("presence"), max_length=10, choices=AgentProfile.Presence.choices)
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("presence period")
        verbose_name_plural = _("presence periods")
        indexes = [models.Index(fields=["agent", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.presence} {self.started_at:%Y-%m-%d %H:%M}"


class HandlingPeriod(models.Model):
    """The time one agent had one routed conversation: from taking it (or accepting its
    transfer) to handing it back (or transferring it on)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("agent"),
    )
    entry = models.ForeignKey(QueueEntry, on_delete=models.CASCADE, related_name="handling")
    started_at = models.DateTimeField(_("started"), default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("handling period")
        verbose_name_plural = _("handling periods")
        indexes = [models.Index(fields=["entry", "ended_at"])]

    def __str__(self) -> str:
        return f"{self.agent_id} {self.entry_id} {self.started_at:%Y-%m-%d %H:%M}"
