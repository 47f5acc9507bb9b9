"""Server pushes to connected avatars, wherever (on whichever daphne process) they are connected.

Every avatar socket joins channel-layer groups: its device's, one per device group it belongs to,
its branch's and, once a dialogue session is bound to it, that session's. Services call these
helpers; the send happens on transaction commit, so a push never announces a row that was
rolled back.

The event each group member receives is ``{"type": "push.frame", "frame": {...}}``; the avatar
consumer forwards ``frame`` to its client. Session frames are stored first with the session's
next sequence number (devices.outbox), so a client that was away gets them on resume, exactly
once.
"""

from __future__ import annotations

import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

_UNSAFE = re.compile(r"[^0-9A-Za-z_.-]")


def device_group(device_id: Any) -> str:
    return _UNSAFE.sub("_", f"device-{device_id}")


def session_group(session_id: Any) -> str:
    return _UNSAFE.sub("_", f"session-{session_id}")


def device_set_group(device_group_id: Any) -> str:
    """The channel group of a `DeviceGroup` (e.g. every screen of a branch for broadcasts)."""
    return _UNSAFE.sub("_", f"devicegroup-{device_group_id}")


def branch_group(branch_id: Any) -> str:
    return _UNSAFE.sub("_", f"branch-{branch_id}")


def token_group(token_id: Any) -> str:
    """The sockets a device token opened (pairing-ticket sockets of the device are not in it)."""
    return _UNSAFE.sub("_", f"devicetoken-{token_id}")


def _send_now(group: str, frame: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:  # pragma: no cover - settings always configure one
        return
    async_to_sync(layer.group_send)(group, {"type": "push.frame", "frame": frame})


def push_to_group(group: str, frame: dict[str, Any]) -> None:
    """Send `frame` to every socket in `group` once the current transaction commits (live only)."""
    transaction.on_commit(lambda: _send_now(group, frame))


def close_group_sockets(group: str, reason: str) -> None:
    """Close every socket in `group`, on any process, once the current transaction commits.

    Each socket answers ``{"type": "credential.revoked"}`` with an `error` frame
    `credential_revoked` and close code 4410 (docs/avatar-protocol.md section 1).
    """

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:  # pragma: no cover - settings always configure one
            return
        async_to_sync(layer.group_send)(group, {"type": "credential.revoked", "reason": reason})

    transaction.on_commit(send)


def regroup_group_sockets(group: str) -> None:
    """Make every socket in `group`, on any process, join the channel groups its device
    belongs to now, once the current transaction commits (``{"type": "device.moved"}``)."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:  # pragma: no cover - settings always configure one
            return
        async_to_sync(layer.group_send)(group, {"type": "device.moved"})

    transaction.on_commit(send)


def push_to_device(device_id: Any, frame: dict[str, Any]) -> None:
    push_to_group(device_group(device_id), frame)


def push_to_session(session_id: Any, frame: dict[str, Any]) -> dict[str, Any]:
    """Store `frame` as the session's next numbered frame, send it on commit, return it."""
    from devices.outbox import session_frame_append

    stored = session_frame_append(session_id=session_id, frame=frame)
    push_to_group(session_group(session_id), stored)
    return stored


def announce_session_frame(session_id: Any, frame: dict[str, Any]) -> None:
    """Send an already stored session frame (e.g. a completed answer) on commit."""
    push_to_group(session_group(session_id), frame)
