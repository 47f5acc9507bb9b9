"""State-changing actions on devices and their credentials."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from devices.models import Device, DeviceToken

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
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def device_authenticate(*, token: str) -> Device:
    """The active device a presented token belongs to, or DeviceTokenError."""
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
    return record.device


def device_heartbeat(*, device: Device) -> None:
    now = timezone.now()
    Device.objects.filter(pk=device.pk).update(last_seen_at=now)
    device.last_seen_at = now
