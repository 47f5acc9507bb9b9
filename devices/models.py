from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Branches, service types, counters and queue tickets belong to the domain now
# (scenarios.branches); re-exported for callers that still import them from here.
from scenarios.branches.models import (  # noqa: F401
    Branch,
    BranchService,
    Counter,
    ServiceType,
    Ticket,
    TicketSequence,
)

# The device registry (devices and their groups) belongs to the domain too
# (scenarios.touchpoints); re-exported for callers that still import them from here.
from scenarios.touchpoints.models import Device, DeviceGroup  # noqa: F401


class DeviceToken(models.Model):
    """A revocable credential for one device; only a hash of the secret is stored."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="tokens")
    # The public prefix finds the row; the SHA-256 of the whole token proves possession.
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    secret_hash = models.CharField(_("secret hash"), max_length=64)
    label = models.CharField(_("label"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("device token")
        verbose_name_plural = _("device tokens")

    def __str__(self) -> str:
        return f"{self.device.name} {self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class DeviceConnection(models.Model):
    """One open avatar socket: which daphne process serves it and when it last spoke.

    Rows are removed when the socket closes. A process that dies leaves its rows behind; they
    stop counting once older than the connection stale window and are reaped then.
    """

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="connections")
    channel_name = models.CharField(_("channel"), max_length=200, unique=True)
    server = models.CharField(_("server process"), max_length=120)
    session_id = models.UUIDField(_("bound session"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)

    class Meta:
        ordering = ["-connected_at"]
        verbose_name = _("open connection")
        verbose_name_plural = _("open connections")

    def __str__(self) -> str:
        return f"{self.device} @ {self.server}"


class SessionStream(models.Model):
    """The per-session sequence counter of the avatar protocol.

    Allocating a number updates this row, which PostgreSQL keeps locked until the allocating
    transaction ends: two writers to one session are serialised, so frames become visible in
    the order of their numbers and a reader never sees frame n+1 before frame n.
    """

    session = models.OneToOneField(
        "scenarios.DialogueSession", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(_("last sequence number"), default=0)

    class Meta:
        verbose_name = _("session stream")
        verbose_name_plural = _("session streams")

    def __str__(self) -> str:
        return f"{self.session_id} @{self.last_seq}"


class SessionFrame(models.Model):
    """A server frame for a session, kept so a resuming client gets exactly what it missed."""

    class State(models.TextChoices):
        # The number is reserved for an answer still being generated.
        PENDING = "pending", _("Pending")
        READY = "ready", _("Ready")

    session = models.ForeignKey(
        "scenarios.DialogueSession", on_delete=models.CASCADE, related_name="+"
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    type = models.CharField(_("type"), max_length=40)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.READY)
    # The whole frame as sent, including type, session_id and seq.
    payload = models.JSONField(_("frame"), default=dict)
    # The server process (ServerProcess.id) generating a pending answer: if it dies, the answer
    # is closed as interrupted at once instead of after the pending timeout. Not a foreign key:
    # reserving must not depend on the process row being committed yet.
    owner = models.UUIDField(_("owner process"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)

    class Meta:
        ordering = ["session", "seq"]
        verbose_name = _("session frame")
        verbose_name_plural = _("session frames")
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="uniq_session_frame_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"


class ServerProcess(models.Model):
    """One running daphne (or worker) process, so others can tell when it died.

    The process beats every few seconds (devices.processes); one whose beat is stale, that
    said it stopped, or whose pid no longer runs on this same host is dead: its pending answers
    are closed as interrupted and its connection rows dropped (devices.outbox).
    """

    id = models.UUIDField(primary_key=True)
    host = models.CharField(_("host"), max_length=120)
    pid = models.PositiveIntegerField(_("process id"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    beat_at = models.DateTimeField(_("last beat"), default=timezone.now)
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("server process")
        verbose_name_plural = _("server processes")

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}"

    @property
    def server_name(self) -> str:
        """As in DeviceConnection.server."""
        return f"{self.host}:{self.pid}"


# The branch hall's broadcast playlists live in their own module.
from devices.hall_models import (  # noqa: E402, F401 - registers them with the app
    Playlist,
    PlaylistItem,
)
