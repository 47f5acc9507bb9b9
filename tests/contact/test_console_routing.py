"""The agent console's socket with routing: the inbox, refusals, presence and warm transfer."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from bank_ai.asgi import application
from devices.models import Device
from scenarios import dialogue
from scenarios.agentrouting.models import AgentProfile, QueueEntry, RoutingQueue
from scenarios.models import DialogueSession, Takeover
from tests.avatar.conftest import CONNECT_TIMEOUT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _agent(username: str, queue: RoutingQueue, online: bool = True):  # noqa: ANN202
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name="remote agent"))
    profile = AgentProfile.objects.create(
        user=user, capacity=1, presence="online" if online else "offline"
    )
    profile.queues.add(queue)
    return user


def _headers(username: str) -> list[tuple[bytes, bytes]]:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]


def _waiting() -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language="zh-hans",
        device=Device.objects.get(name="demo-vtm"),
    )
    dialogue.session_turn(session_id=session.pk, text="转人工")
    return session


def _talk(username: str, frames: list[dict], extra: int = 0) -> list[dict]:
    """Connect, send each frame and read one answer per frame, then `extra` more."""
    headers = _headers(username)

    async def run() -> list[dict]:
        socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await socket.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        received = [await socket.receive_json_from(timeout=5)]
        for frame in frames:
            await socket.send_json_to(frame)
            received.append(await socket.receive_json_from(timeout=5))
        for _ in range(extra):
            received.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return received

    return async_to_sync(run)()


def test_the_hello_lists_only_the_agents_routed_sessions_and_watching_others_is_refused() -> None:
    queue = RoutingQueue.objects.create(code="general", name="General")
    _agent("alice", queue)
    _agent("bob", queue, online=False)
    session = _waiting()
    assert QueueEntry.objects.get(session=session).agent.username == "alice"
    [hello] = _talk("alice", [])
    assert str(session.pk) in [row["id"] for row in hello["sessions"]]
    assert hello["sessions"][0]["queue"] == "general"
    hello, refused = _talk("bob", [{"type": "watch", "session_id": str(session.pk)}])
    assert hello["sessions"] == []
    assert (refused["type"], refused["code"]) == ("error", "routed_to_other")


def test_going_online_from_the_console_brings_the_waiting_session() -> None:
    queue = RoutingQueue.objects.create(code="general", name="General")
    _agent("carol", queue, online=False)
    session = _waiting()
    hello, presence, sessions = _talk(
        "carol", [{"type": "presence", "presence": "online"}], extra=1
    )
    assert hello["presence"]["presence"] == "offline"
    assert presence == {
        "type": "presence",
        "presence": "online",
        "capacity": 1,
        "queues": ["general"],
    }
    assert [row["id"] for row in sessions["sessions"]] == [str(session.pk)]
    assert sessions["sessions"][0]["routed_to"] == "carol"


def test_a_bad_presence_gets_an_error_frame() -> None:
    queue = RoutingQueue.objects.create(code="general", name="General")
    _agent("dave", queue)
    _, error = _talk("dave", [{"type": "presence", "presence": "asleep"}])
    assert (error["type"], error["code"]) == ("error", "invalid")


def test_a_warm_transfer_over_the_socket() -> None:
    queue = RoutingQueue.objects.create(code="general", name="General")
    _agent("erin", queue)
    _agent("frank", queue, online=False)
    session = _waiting()
    sid = str(session.pk)
    _, taken, offered = _talk(
        "erin",
        [
            {"type": "take_over", "session_id": sid},
            {"type": "transfer", "session_id": sid, "to": "frank", "note": "needs a limit change"},
        ],
    )
    assert taken["session"]["agent"] == "erin"
    assert offered["session"]["transfer_to"] == "frank"
    hello, accepted = _talk("frank", [{"type": "accept_transfer", "session_id": sid}])
    assert hello["sessions"][0]["transfer_note"] == "needs a limit change"
    assert accepted["session"]["agent"] == "frank"
    assert Takeover.objects.get(session=session, state="active").agent.username == "frank"
    _, unknown = _talk("erin", [{"type": "transfer", "session_id": sid, "to": "nobody"}])
    assert unknown["code"] == "invalid"
