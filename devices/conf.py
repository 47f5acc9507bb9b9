"""Avatar and device settings, each overridable in Django settings or the environment.

Read at call time so tests can override them with the `settings` fixture.
"""

from __future__ import annotations

import os

from django.conf import settings


def _get(name: str, default: float) -> float:
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return float(value)


def online_window_seconds() -> float:
    """A device counts as online while its last heartbeat is fresher than this."""
    return _get("DEVICE_ONLINE_WINDOW_SECONDS", 90)


def connection_stale_seconds() -> float:
    """An open-connection row not refreshed for this long belongs to a dead process."""
    return _get("DEVICE_CONNECTION_STALE_SECONDS", 600)


def heartbeat_seconds() -> float:
    """How often clients are asked to ping (announced in `hello`)."""
    return _get("AVATAR_HEARTBEAT_SECONDS", 25)


def max_frame_bytes() -> int:
    return int(_get("AVATAR_MAX_FRAME_BYTES", 16 * 1024))


def rate_per_second() -> float:
    return _get("AVATAR_RATE_PER_SECOND", 10)


def rate_burst() -> float:
    return _get("AVATAR_RATE_BURST", 30)


def flood_close_after() -> int:
    """Refused frames in a row after which the socket is closed with 4008."""
    return int(_get("AVATAR_FLOOD_CLOSE_AFTER", 50))


def pending_timeout_seconds() -> float:
    """A reserved answer older than this belongs to a dead process and is closed as interrupted."""
    return _get("AVATAR_PENDING_TIMEOUT", 300)


def process_beat_seconds() -> float:
    """How often a server process records that it is alive (0: never, e.g. under test)."""
    return _get("AVATAR_PROCESS_BEAT_SECONDS", 5)


def process_dead_after_seconds() -> float:
    """A server process whose last beat is older than this is dead (on any host)."""
    return _get("AVATAR_PROCESS_DEAD_AFTER", 20)


def client_idle_reset_seconds() -> float:
    """A public screen (hall, kiosk, VTM) goes back to its menu after this long untouched."""
    return _get("AVATAR_IDLE_RESET_SECONDS", 90)
