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
