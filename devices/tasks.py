"""django-q2 tasks of the devices app."""

from __future__ import annotations


def broadcast_tick_task() -> dict[str, int]:
    """Every minute (the schedule ships with migration 0121): start and stop playlists."""
    from devices.broadcasts import broadcast_tick

    return broadcast_tick()
