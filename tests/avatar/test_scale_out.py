"""Two real daphne processes sharing PostgreSQL and Redis serve one fleet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import websockets

from tests.avatar.live import Live, live_servers

# django_db: makes pytest-django set up the test database the servers copy.
pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db]


@pytest.fixture(scope="module")
def two_processes(django_db_setup, django_db_blocker) -> Iterator[Live]:  # noqa: ANN001
    import os

    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set: the Redis-backed tests run in CI (.ci/run sets it)")
    with live_servers(django_db_blocker, count=2, redis_url=url, name="scaleout") as live:
        yield live


async def _recv(ws: websockets.ClientConnection, kind: str, timeout: float = 60) -> list[dict]:
    frames = []
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        frames.append(frame)
        if frame["type"] == kind:
            return frames


def test_a_session_started_on_one_process_resumes_on_the_other_with_replay(
    two_processes: Live,
) -> None:
    token = two_processes.manage("issue_device_token", "demo-kiosk").strip()

    async def scenario() -> tuple[list[dict], list[dict]]:
        async with websockets.connect(f"{two_processes.ws(0)}?token={token}") as first:
            await _recv(first, "hello")
            await first.send(json.dumps({"type": "session.start", "scenario": "credit_card"}))
            ready = (await _recv(first, "session.ready"))[-1]
            await _recv(first, "answer.done")
            await first.send(json.dumps({"type": "user.text", "text": "我经常出国旅游"}))
            await _recv(first, "answer.done")
        async with websockets.connect(f"{two_processes.ws(1)}?token={token}") as second:
            await _recv(second, "hello")
            await second.send(
                json.dumps(
                    {"type": "session.resume", "session_id": ready["session_id"], "last_seq": 0}
                )
            )
            replay = await _recv(second, "session.ready")
            replay += [json.loads(await asyncio.wait_for(second.recv(), 30)) for _ in range(2)]
            await second.send(json.dumps({"type": "user.text", "text": "年收入30万"}))
            more = await _recv(second, "answer.done")
        return replay, more

    replay, more = asyncio.run(scenario())
    ready, greeting, answer = replay[-3:]
    assert ready["resumed"] is True
    assert ready["replaying"] == 2
    assert [greeting["seq"], answer["seq"]] == [1, 2]
    assert answer["in_reply_to"]["text"] == "我经常出国旅游"
    assert more[-1]["seq"] == 3


def test_a_push_from_one_process_reaches_a_device_connected_to_the_other(
    two_processes: Live,
) -> None:
    token = two_processes.manage("issue_device_token", "demo-vtm").strip()

    async def scenario() -> tuple[dict, dict]:
        async with websockets.connect(f"{two_processes.ws(1)}?token={token}") as device:
            await _recv(device, "hello")
            await device.send(json.dumps({"type": "session.start", "scenario": "credit_card"}))
            ready = (await _recv(device, "session.ready"))[-1]
            await _recv(device, "answer.done")
            # Another process (the agent console's, here a management shell) pushes.
            code = (
                "from devices.push import push_to_session, push_to_device;"
                "from devices.models import Device;"
                f"push_to_session('{ready['session_id']}', "
                "{'type': 'avatar.say', 'text': '您好，我是客户经理。', 'agent': 'agent'});"
                "push_to_device(Device.objects.get(name='demo-vtm').pk, "
                "{'type': 'broadcast.play', 'item': {'text': '谨防电信诈骗'}})"
            )
            await asyncio.to_thread(two_processes.manage, "shell", "-c", code)
            pushed = (await _recv(device, "avatar.say"))[-1]
            broadcast = (await _recv(device, "broadcast.play"))[-1]
        return pushed, broadcast

    pushed, broadcast = asyncio.run(scenario())
    assert pushed["seq"] == 2
    assert pushed["text"] == "您好，我是客户经理。"
    assert broadcast == {"type": "broadcast.play", "item": {"text": "谨防电信诈骗"}}


def test_revoking_a_token_closes_its_sockets_on_both_processes(two_processes: Live) -> None:
    import time

    token = two_processes.manage("issue_device_token", "demo-hall-screen").strip()
    other = two_processes.manage("issue_device_token", "demo-hall-screen").strip()

    async def closed_code(ws: websockets.ClientConnection) -> tuple[list[dict], int | None]:
        frames = []
        try:
            while True:
                frames.append(json.loads(await asyncio.wait_for(ws.recv(), 30)))
        except websockets.ConnectionClosed:
            return frames, ws.close_code

    async def scenario() -> tuple[list, dict, float]:
        url = "{}?token={}"
        first = await websockets.connect(url.format(two_processes.ws(0), token))
        second = await websockets.connect(url.format(two_processes.ws(1), token))
        bystander = await websockets.connect(url.format(two_processes.ws(1), other))
        for ws in (first, second, bystander):
            await _recv(ws, "hello")
        # Revoked from a third process (the command line), like the admin or a script would.
        await asyncio.to_thread(two_processes.manage, "revoke_device_token", token.split("_")[1])
        revoked_at = time.monotonic()
        results = await asyncio.gather(closed_code(first), closed_code(second))
        waited = time.monotonic() - revoked_at
        await bystander.send(json.dumps({"type": "ping", "nonce": 7}))
        pong = (await _recv(bystander, "pong"))[-1]
        await bystander.close()
        return list(results), pong, waited

    results, pong, waited = asyncio.run(scenario())
    for frames, code in results:
        assert code == 4410
        assert frames[-1]["code"] == "credential_revoked"
    assert pong["echo"] == 7
    query = (
        "SELECT count(*) FROM devices_deviceconnection c JOIN devices_device d "
        "ON d.id = c.device_id WHERE d.name = 'demo-hall-screen'"
    )
    deadline = time.monotonic() + 10  # the bystander's row goes once its close is handled
    while two_processes.sql(query) != [(0,)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert two_processes.sql(query) == [(0,)]
    print(f"both sockets closed {waited:.3f} s after the revoke command returned")


def test_an_idle_socket_on_redis_outlives_the_redis_read_timeout(two_processes: Live) -> None:
    # channels_redis blocks 5 s per pop and redis-py 8 timed reads out after 5 s: an idle
    # socket's consumer crashed with 1011 after a few seconds of quiet.
    token = two_processes.manage("issue_device_token", "demo-kiosk").strip()

    async def scenario() -> dict:
        async with websockets.connect(f"{two_processes.ws(0)}?token={token}") as ws:
            await _recv(ws, "hello")
            await asyncio.sleep(12)
            await ws.send(json.dumps({"type": "ping", "nonce": "still-here"}))
            return (await _recv(ws, "pong", timeout=30))[-1]

    assert asyncio.run(scenario())["echo"] == "still-here"
