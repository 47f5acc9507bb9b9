"""Every way an avatar socket closes, against a real daphne and a real websocket client.

daphne's websocket library lets an application send only close code 1000 or 3000-4999; the
protocol's refusals therefore use 4008/4009/4011, and each close path leaves no connection row
behind (a stale row kept the device looking online for the whole stale window).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator

import pytest
import websockets

from tests.avatar.live import Live, live_servers

# django_db: makes pytest-django set up the test database the server copies.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

DEVICE = "demo-kiosk"


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    with live_servers(django_db_blocker, name="closepaths") as live:
        yield live


@pytest.fixture(scope="module")
def token(server: Live) -> str:
    return server.manage("issue_device_token", DEVICE).strip()


def _rows(server: Live) -> int:
    return server.sql(
        "SELECT count(*) FROM devices_deviceconnection c JOIN devices_device d "
        "ON d.id = c.device_id WHERE d.name = %s",
        (DEVICE,),
    )[0][0]


def _rows_after_close(server: Live, seconds: float = 10) -> int:
    """The device's connection rows once clean-up had a moment (it runs after the close)."""
    deadline = time.monotonic() + seconds
    while (rows := _rows(server)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return rows


async def _open(server: Live, token: str) -> websockets.ClientConnection:
    ws = await websockets.connect(f"{server.ws()}?token={token}", max_size=None)
    hello = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert hello["type"] == "hello"
    return ws


async def _frames_until_closed(ws: websockets.ClientConnection) -> list[dict]:
    frames = []
    try:
        while True:
            frames.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
    except websockets.ConnectionClosed:
        return frames


def test_a_flood_is_closed_with_4008_and_leaves_no_connection_row(server: Live, token: str) -> None:
    async def scenario() -> tuple[int, list[dict], int | None]:
        ws = await _open(server, token)
        connected_rows = await asyncio.to_thread(_rows, server)
        try:
            for n in range(200):
                await ws.send(json.dumps({"type": "ping", "nonce": n}))
        except websockets.ConnectionClosed:
            pass  # closed by the server while we were still flooding
        frames = await _frames_until_closed(ws)
        return connected_rows, frames, ws.close_code

    connected_rows, frames, code = asyncio.run(scenario())
    assert connected_rows == 1
    assert code == 4008
    assert any(frame.get("code") == "rate_limited" for frame in frames)
    assert _rows_after_close(server) == 0


def test_an_oversized_frame_is_closed_with_4009_and_leaves_no_connection_row(
    server: Live, token: str
) -> None:
    async def scenario() -> tuple[int, list[dict], int | None]:
        ws = await _open(server, token)
        connected_rows = await asyncio.to_thread(_rows, server)
        await ws.send(json.dumps({"type": "echo", "text": "x" * (20 * 1024)}))
        frames = await _frames_until_closed(ws)
        return connected_rows, frames, ws.close_code

    connected_rows, frames, code = asyncio.run(scenario())
    assert connected_rows == 1
    assert code == 4009
    assert frames[-1]["code"] == "frame_too_large"
    assert _rows_after_close(server) == 0


def test_a_client_that_drops_without_a_close_leaves_no_connection_row(
    server: Live, token: str
) -> None:
    async def scenario() -> int:
        ws = await _open(server, token)
        await ws.send(json.dumps({"type": "session.start", "scenario": "credit_card"}))
        while json.loads(await asyncio.wait_for(ws.recv(), 60))["type"] != "answer.done":
            pass
        connected_rows = await asyncio.to_thread(_rows, server)
        ws.transport.abort()  # the network goes away: no close frame, a reset TCP connection
        return connected_rows

    assert asyncio.run(scenario()) == 1
    assert _rows_after_close(server) == 0


def test_a_server_error_while_registering_closes_with_4011_and_leaves_no_connection_row(
    server: Live, token: str
) -> None:
    # The database fails half-way through registering the socket: the connection row is
    # written, then reading the device's groups fails.
    server.sql("ALTER TABLE devices_device_groups RENAME TO devices_device_groups_away")
    try:

        async def scenario() -> tuple[list[dict], int | None]:
            ws = await websockets.connect(f"{server.ws()}?token={token}")
            frames = await _frames_until_closed(ws)
            return frames, ws.close_code

        frames, code = asyncio.run(scenario())
    finally:
        server.sql("ALTER TABLE devices_device_groups_away RENAME TO devices_device_groups")
    assert code == 4011
    assert frames == []
    assert _rows_after_close(server) == 0
