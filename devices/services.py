"""State-changing actions on devices' credentials and connections (the channel's side).

The registry itself (registering, changing, enabling, disabling, deleting devices and their
groups) is the domain's: `scenarios.touchpoints.services`. Here only channel state is written:
tokens, open connections and the `last_seen_at` stamp of heartbeats.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from devices.conf import connection_stale_seconds
from devices.models import Device, DeviceConnection, DeviceToken
from devices.push import close_group_sockets, device_group, regroup_group_sockets, token_group

TOKEN_SCHEME = "dvt"  # noqa: S105 - a public prefix, not a secret


class DeviceTokenError(Exception):
    """Raised for a token that is malformed, unknown, revoked or belongs to a disabled device."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def device_token_issue(*, device: Device, label: str = "") -> str:
    """Create a new credential and return the token; it is shown once and never stored."""
    prefix = secrets.token_hex(6)
    token = f"{TOKEN_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    DeviceToken.objects.create(device=device, prefix=prefix, secret_hash=_hash(token), label=label)
    return token


@transaction.atomic
def device_token_revoke(*, token: DeviceToken) -> DeviceToken:
    """Revoke a token and close the sockets it opened, on every daphne process, on commit."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    # Also for a token revoked before: a socket authenticated in the instant before that
    # revocation committed may still be open.
    close_group_sockets(token_group(token.pk), "token revoked")
    return token


@transaction.atomic
def device_tokens_revoke(*, tokens: QuerySet[DeviceToken]) -> int:
    """Revoke several tokens (admin action, scripts); how many were revoked now."""
    revoked = 0
    for token in tokens.select_for_update():
        revoked += token.revoked_at is None
        device_token_revoke(token=token)
    return revoked


def device_sockets_close(*, device_id: int, reason: str) -> None:
    """Close every socket of the device (token or pairing ticket) on commit.

    Called for the registry's events (`devices.event_frames`): the device was disabled or
    deleted by `scenarios.touchpoints.services`, which owns the device rows.
    """
    close_group_sockets(device_group(device_id), reason)


def device_sockets_regroup(*, device_id: int) -> None:
    """Tell every open socket of the device, on any process, to join the channel groups its
    device belongs to now (its branch or groups changed), once the change commits."""
    regroup_group_sockets(device_group(device_id))


def device_credential_valid(*, device: Device, token_id: int | None) -> bool:
    """Whether a socket's credential still holds (its token unrevoked, its device active)."""
    if token_id is None:
        return Device.objects.filter(pk=device.pk, is_active=True).exists()
    return DeviceToken.objects.filter(
        pk=token_id, device_id=device.pk, revoked_at__isnull=True, device__is_active=True
    ).exists()


def device_authenticate(*, token: str) -> Device:
    """The active device a presented token belongs to, or DeviceTokenError."""
    return device_token_authenticate(token=token).device


def device_token_authenticate(*, token: str) -> DeviceToken:
    """The unrevoked token record (with its active device) a presented token matches."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_SCHEME:
        raise DeviceTokenError("malformed device token")
    record = (
        DeviceToken.objects.select_related("device", "device__branch")
        .filter(prefix=parts[1])
        .first()
    )
    if record is None or not secrets.compare_digest(record.secret_hash, _hash(token.strip())):
        raise DeviceTokenError("unknown device token")
    if record.is_revoked:
        raise DeviceTokenError("revoked device token")
    if not record.device.is_active:
        raise DeviceTokenError("device is disabled")
    now = timezone.now()
    # Writing on every request would turn each API call into an UPDATE; a minute is enough
    # resolution for "last used" and "last seen".
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        DeviceToken.objects.filter(pk=record.pk).update(last_used_at=now)
        Device.objects.filter(pk=record.device_id).update(last_seen_at=now)
        record.device.last_seen_at = now
    return record


DEVICE_SEEN_RESOLUTION_SECONDS = 30


def device_heartbeat(*, device: Device, channel_name: str | None = None) -> None:
    """Record that the device is alive (and, given its socket, that the socket is)."""
    now = timezone.now()
    seen = device.last_seen_at
    if channel_name is None:
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        device.last_seen_at = now
    elif seen is None or (now - seen).total_seconds() > DEVICE_SEEN_RESOLUTION_SECONDS:
        # A socket's own row says it is alive; the device row, shared by all its sockets, is
        # written when it is older than the resolution (checked in the UPDATE, so sockets of
        # one device do not queue on its row lock). DEVICE_ONLINE_WINDOW_SECONDS is 90.
        Device.objects.filter(pk=device.pk).filter(
            Q(last_seen_at__isnull=True)
            | Q(last_seen_at__lt=now - timedelta(seconds=DEVICE_SEEN_RESOLUTION_SECONDS))
        ).update(last_seen_at=now)
        device.last_seen_at = now
    if channel_name:
        DeviceConnection.objects.filter(channel_name=channel_name).update(last_seen_at=now)


def server_name() -> str:
    """Which process serves a socket, as shown in the admin (host:pid)."""
    return f"{socket.gethostname()}:{os.getpid()}"


# How old a device's `last_seen_at` may be before a new socket writes it again. Many sockets of
# one device (a web channel, the load test) connecting at once all updated the same row, each
# waiting for the previous one's lock; the open connection row says the device is online anyway.
LAST_SEEN_RESOLUTION_SECONDS = 60


def device_connection_open(*, device: Device, channel_name: str) -> DeviceConnection:
    """Register an open socket: one upsert (the channel name is new, or reused after a crash)."""
    now = timezone.now()
    seen = device.last_seen_at
    if seen is None or (now - seen).total_seconds() > LAST_SEEN_RESOLUTION_SECONDS:
        Device.objects.filter(pk=device.pk).filter(
            Q(last_seen_at__isnull=True)
            | Q(last_seen_at__lt=now - timedelta(seconds=LAST_SEEN_RESOLUTION_SECONDS))
        ).update(last_seen_at=now)
        device.last_seen_at = now
    [connection] = DeviceConnection.objects.bulk_create(
        [
            DeviceConnection(
                device=device,
                channel_name=channel_name,
                server=server_name(),
                connected_at=now,
                last_seen_at=now,
            )
        ],
        update_conflicts=True,
        unique_fields=["channel_name"],
        update_fields=["device", "server", "connected_at", "last_seen_at"],
    )
    return connection


def device_connections_reap() -> int:
    """Drop connection rows older than the stale window (a dead process's); how many went.

    They stopped counting as online when they went stale; this keeps the table as small as the
    fleet. Run by each server process's beat (devices.processes), not on every connect.
    """
    stale_before = timezone.now() - timedelta(seconds=connection_stale_seconds())
    deleted, _ = DeviceConnection.objects.filter(last_seen_at__lt=stale_before).delete()
    return deleted


def device_connection_bind(*, channel_name: str, session_id: Any) -> None:
    DeviceConnection.objects.filter(channel_name=channel_name).update(session_id=session_id)


def device_connection_close(*, channel_name: str) -> None:
    DeviceConnection.objects.filter(channel_name=channel_name).delete()


PAIRING_SALT = "devices.pairing"
PAIRING_MAX_AGE = 12 * 3600
PAIRING_PERMISSION = "touchpoints.view_device"


def pairing_allowed(*, user: Any) -> bool:
    """Who may open a device's demo console and pair the browser as that device."""
    return bool(user and user.is_active and user.has_perm(PAIRING_PERMISSION))


def pairing_ticket_issue(*, device: Device, user: Any) -> str:
    """A signed, expiring ticket that lets this browser speak as `device` on the avatar socket."""
    from django.core import signing

    return signing.dumps({"d": device.pk, "u": user.pk}, salt=PAIRING_SALT, compress=True)


def pairing_ticket_check(*, ticket: str) -> Device:
    """The device a pairing ticket stands for, or DeviceTokenError (expired, forged, revoked)."""
    from django.contrib.auth import get_user_model
    from django.core import signing

    try:
        claims = signing.loads(ticket, salt=PAIRING_SALT, max_age=PAIRING_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise DeviceTokenError("expired pairing ticket") from exc
    except signing.BadSignature as exc:
        raise DeviceTokenError("invalid pairing ticket") from exc
    user = get_user_model().objects.filter(pk=claims.get("u")).first()
    if not pairing_allowed(user=user):
        raise DeviceTokenError("the user who paired this screen may no longer do so")
    device = Device.objects.select_related("branch").filter(pk=claims.get("d")).first()
    if device is None or not device.is_active:
        raise DeviceTokenError("device is disabled")
    device_heartbeat(device=device)
    return device
