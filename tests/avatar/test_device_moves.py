"""A device moved to other groups (or another branch) in the registry: its open socket follows,
without closing, and says so (`device.moved`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from devices.models import Device
from devices.push import device_set_group, push_to_group
from scenarios.touchpoints.services import (
    device_change,
    device_group_create,
    device_group_join,
    device_group_leave,
)
from tests.avatar.conftest import Client

pytestmark = pytest.mark.django_db

BROADCAST = {"type": "broadcast.play", "playlist": 1, "items": []}


def test_a_socket_joins_a_group_its_device_is_added_to_and_leaves_one_it_left(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    kiosk = Device.objects.get(name="demo-kiosk")
    group = device_group_create(name="lobby screens", branch=kiosk.branch)

    def committed(action: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                action()

        return run

    async def scenario() -> dict[str, Any]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await sync_to_async(committed(lambda: device_group_join(device=kiosk, group=group)))()
        moved = await client.recv(timeout=10)
        await sync_to_async(
            committed(lambda: push_to_group(device_set_group(group.pk), BROADCAST))
        )()
        pushed = await client.recv(timeout=10)
        await sync_to_async(committed(lambda: device_group_leave(device=kiosk, group=group)))()
        moved_again = await client.recv(timeout=10)
        await sync_to_async(
            committed(lambda: push_to_group(device_set_group(group.pk), BROADCAST))
        )()
        nothing_after_leaving = await client.ws.receive_nothing(timeout=1)
        # A change that moves nothing says nothing.
        await sync_to_async(
            committed(lambda: device_change(device=kiosk, capabilities=kiosk.capabilities))
        )()
        nothing_after_a_non_move = await client.ws.receive_nothing(timeout=1)
        await client.send({"type": "ping", "nonce": 1})
        still_open = await client.recv(timeout=10)
        await client.close()
        return {
            "moved": moved,
            "pushed": pushed,
            "moved_again": moved_again,
            "nothing_after_leaving": nothing_after_leaving,
            "nothing_after_a_non_move": nothing_after_a_non_move,
            "still_open": still_open,
        }

    result = async_to_sync(scenario)()
    assert result["moved"] == {
        "type": "device.moved",
        "device": "demo-kiosk",
        "device_kind": "kiosk",
    }
    assert result["pushed"] == BROADCAST
    assert result["moved_again"]["type"] == "device.moved"
    assert result["nothing_after_leaving"] is True
    assert result["nothing_after_a_non_move"] is True
    assert result["still_open"]["type"] == "pong"
