"""The device registry: online state from sockets and heartbeats, shown in the admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import Client as HttpClient
from django.utils import timezone

from devices.models import Device, DeviceConnection
from devices.selectors import device_is_online, devices_online
from devices.services import (
    device_connection_close,
    device_connection_open,
    device_connections_reap,
    device_heartbeat,
)
from tests.avatar.conftest import Client

pytestmark = pytest.mark.django_db


def _age(device: Device, seconds: int) -> None:
    Device.objects.filter(pk=device.pk).update(
        last_seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def test_a_device_is_online_with_a_recent_heartbeat_only() -> None:
    device = Device.objects.get(name="demo-hall-screen")
    _age(device, 30)
    assert devices_online().filter(pk=device.pk).exists()
    _age(device, 3600)
    assert not devices_online().filter(pk=device.pk).exists()
    device.refresh_from_db()
    assert not device_is_online(device)


def test_a_live_socket_keeps_a_quiet_device_online(settings) -> None:
    settings.DEVICE_ONLINE_WINDOW_SECONDS = 5
    device = Device.objects.get(name="demo-hall-screen")
    device_connection_open(device=device, channel_name="test.channel!1")
    _age(device, 60)
    device.refresh_from_db()
    assert device_is_online(device)
    assert devices_online().filter(pk=device.pk).exists()
    device_connection_close(channel_name="test.channel!1")
    assert not device_is_online(device)


def test_the_socket_registers_its_connection_and_removes_it_on_close(kiosk_token: str) -> None:
    async def scenario() -> tuple[int, str]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        rows = await _connections()
        await client.close()
        return rows

    from asgiref.sync import sync_to_async

    @sync_to_async
    def _connections() -> tuple[int, str]:
        rows = list(DeviceConnection.objects.filter(device__name="demo-kiosk"))
        return len(rows), str(rows[0].session_id)

    count, session_id = async_to_sync(scenario)()
    assert count == 1
    assert session_id
    assert not DeviceConnection.objects.filter(device__name="demo-kiosk").exists()


def test_the_admin_lists_devices_with_an_online_filter(admin_client: HttpClient) -> None:
    _age(Device.objects.get(name="demo-kiosk"), 5)
    _age(Device.objects.get(name="demo-vtm"), 86400)
    online = admin_client.get("/admin/touchpoints/device/?online=yes").content.decode()
    offline = admin_client.get("/admin/touchpoints/device/?online=no").content.decode()
    assert "demo-kiosk" in online
    assert "demo-vtm" not in online
    assert "demo-vtm" in offline
    assert "demo-kiosk" not in offline


def test_a_server_error_on_a_push_closes_with_4011_and_removes_the_connection(
    kiosk_token: str,
) -> None:
    from channels.layers import get_channel_layer

    from devices.push import device_group

    device = Device.objects.get(name="demo-kiosk")

    async def scenario() -> tuple[dict, int]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        # A push event without its frame: the consumer's handler fails on it.
        await get_channel_layer().group_send(device_group(device.pk), {"type": "push.frame"})
        closed = await client.ws.receive_output(timeout=10)
        return closed, await _count()

    from asgiref.sync import sync_to_async

    @sync_to_async
    def _count() -> int:
        return DeviceConnection.objects.filter(device=device).count()

    closed, rows = async_to_sync(scenario)()
    assert closed == {"type": "websocket.close", "code": 4011}
    assert rows == 0


def test_reaping_drops_only_connection_rows_past_the_stale_window(settings) -> None:
    settings.DEVICE_CONNECTION_STALE_SECONDS = 60
    device = Device.objects.get(name="demo-hall-screen")
    device_connection_open(device=device, channel_name="test.channel!live")
    device_connection_open(device=device, channel_name="test.channel!dead")
    DeviceConnection.objects.filter(channel_name="test.channel!dead").update(
        last_seen_at=timezone.now() - timedelta(seconds=61)
    )
    assert device_connections_reap() == 1
    assert set(DeviceConnection.objects.values_list("channel_name", flat=True)) == {
        "test.channel!live"
    }


def test_reopening_a_channel_name_updates_its_row_instead_of_failing() -> None:
    kiosk = Device.objects.get(name="demo-kiosk")
    screen = Device.objects.get(name="demo-hall-screen")
    device_connection_open(device=kiosk, channel_name="test.channel!1")
    device_connection_open(device=screen, channel_name="test.channel!1")
    [row] = DeviceConnection.objects.filter(channel_name="test.channel!1")
    assert row.device_id == screen.pk


def test_a_socket_heartbeat_leaves_a_freshly_seen_device_row_alone() -> None:
    device = Device.objects.get(name="demo-hall-screen")
    device_connection_open(device=device, channel_name="test.channel!1")
    _age(device, 5)
    stored = Device.objects.get(pk=device.pk).last_seen_at
    device.last_seen_at = None  # another socket's copy that has not written yet
    device_heartbeat(device=device, channel_name="test.channel!1")
    assert Device.objects.get(pk=device.pk).last_seen_at == stored  # 5 s old: not rewritten
    _age(device, 45)
    device.last_seen_at = None
    device_heartbeat(device=device, channel_name="test.channel!1")
    assert (timezone.now() - Device.objects.get(pk=device.pk).last_seen_at).total_seconds() < 5
