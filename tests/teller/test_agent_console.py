"""The remote-agent console: the page and its websocket, for the remote-agent group only."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from bank_ai.asgi import application
from devices.models import Device
from scenarios import dialogue
from scenarios.models import DialogueSession, Takeover, Turn
from tests.avatar.conftest import CONNECT_TIMEOUT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """Channels closes "old" database connections around each message; under test that is the
    connection holding the test's transaction, so the clean-up is switched off here."""
    monkeypatch.setattr("channels.db.close_old_connections", lambda: None)


def _logged_in(username: str, password: str) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


def _cookie(client: Client) -> list[tuple[bytes, bytes]]:
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return [(b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())]


def _waiting_session() -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language="zh-hans",
        device=Device.objects.get(name="demo-vtm"),
    )
    dialogue.session_turn(session_id=session.pk, text="我的卡丢了")
    dialogue.session_turn(session_id=session.pk, text="转人工")
    return session


def test_the_console_page_needs_a_login_and_the_agent_group(demo_password: str) -> None:
    assert Client().get("/agent/")["Location"].startswith("/staff/login/")
    assert _logged_in("employee", demo_password).get("/agent/").status_code == 403
    page = _logged_in("agent", demo_password).get("/agent/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "坐席工作台" in page.content.decode()


def test_the_console_lists_a_waiting_session_with_its_device(demo_password: str) -> None:
    session = _waiting_session()
    page = _logged_in("agent", demo_password).get("/agent/").content.decode()
    assert f'data-session="{session.pk}"' in page
    assert "demo-vtm" in page


@pytest.mark.parametrize("username", ["employee", "branch", None])
def test_the_console_socket_refuses_everyone_but_agents(username, demo_password) -> None:  # noqa: ANN001
    headers = _cookie(_logged_in(username, demo_password)) if username else []

    async def scenario() -> bool:
        communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        # Let the application finish here: a consumer task left pending when async_to_sync
        # closes its loop can hang the loop's cancellation (seen on the Redis channel layer).
        await communicator.disconnect()
        return connected

    assert async_to_sync(scenario)() is False


def test_an_agent_watches_takes_over_speaks_and_hands_back_over_the_socket(demo_password) -> None:  # noqa: ANN001
    session = _waiting_session()
    headers = _cookie(_logged_in("agent", demo_password))

    async def scenario() -> list[dict]:
        socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await socket.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        frames = [await socket.receive_json_from()]
        for frame in (
            {"type": "watch", "session_id": str(session.pk)},
            {"type": "take_over", "session_id": str(session.pk)},
            {"type": "say", "session_id": str(session.pk), "text": "您好，我来帮您挂失。"},
            {"type": "hand_back", "session_id": str(session.pk), "note": "done"},
        ):
            await socket.send_json_to(frame)
            frames.append(await socket.receive_json_from(timeout=5))
        await socket.disconnect()
        return frames

    hello, transcript, taken, said, back = async_to_sync(scenario)()
    assert hello["type"] == "hello"
    assert str(session.pk) in [row["id"] for row in hello["sessions"]]
    assert transcript["type"] == "transcript"
    assert transcript["session"]["state"] == "waiting"
    assert [t["role"] for t in transcript["turns"]][:2] == ["assistant", "customer"]
    assert (taken["type"], taken["session"]["state"], taken["session"]["agent"]) == (
        "ack",
        "agent",
        "agent",
    )
    assert said["action"] == "say"
    assert back["session"]["state"] == "active"
    assert Turn.objects.filter(session=session, role="agent").get().text == "您好，我来帮您挂失。"
    assert Takeover.objects.get(session=session).state == "ended"


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{nope", "malformed"),
        ('{"type": "fly"}', "unknown_type"),
        ('{"type": "watch", "session_id": "not-a-uuid"}', "invalid"),
        (
            '{"type": "watch", "session_id": "00000000-0000-4000-8000-000000000000"}',
            "session_not_found",
        ),
        (
            '{"type": "say", "session_id": "00000000-0000-4000-8000-000000000000", "text": 3}',
            "invalid",
        ),
        ('{"type": "ping", "nonce": ' + "[" * 1000 + "]" * 1000 + "}", "malformed"),
    ],
)
def test_bad_frames_get_an_error_frame_and_the_socket_stays(frame, code, demo_password) -> None:  # noqa: ANN001
    headers = _cookie(_logged_in("agent", demo_password))

    async def scenario() -> tuple[dict, dict]:
        socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        await socket.connect(timeout=CONNECT_TIMEOUT)
        await socket.receive_json_from()
        await socket.send_to(text_data=frame)
        error = await socket.receive_json_from()
        await socket.send_json_to({"type": "ping", "nonce": 1})
        pong = await socket.receive_json_from()
        await socket.disconnect()
        return error, pong

    error, pong = async_to_sync(scenario)()
    assert (error["type"], error["code"]) == ("error", code)
    assert pong == {"type": "pong", "echo": 1}


def test_speaking_without_taking_over_is_refused_with_a_code(demo_password) -> None:  # noqa: ANN001
    session = _waiting_session()
    headers = _cookie(_logged_in("agent", demo_password))

    async def scenario() -> dict:
        socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        await socket.connect(timeout=CONNECT_TIMEOUT)
        await socket.receive_json_from()
        await socket.send_json_to({"type": "say", "session_id": str(session.pk), "text": "hi"})
        error = await socket.receive_json_from()
        await socket.disconnect()
        return error

    assert async_to_sync(scenario)()["code"] == "not_taken"


def test_an_oversized_frame_closes_the_socket(demo_password) -> None:  # noqa: ANN001
    headers = _cookie(_logged_in("agent", demo_password))

    async def scenario() -> tuple[dict, dict]:
        socket = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        await socket.connect(timeout=CONNECT_TIMEOUT)
        await socket.receive_json_from()
        await socket.send_to(text_data="x" * (17 * 1024))
        error = await socket.receive_json_from()
        closed = await socket.receive_output()
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "frame_too_large"
    assert closed == {"type": "websocket.close", "code": 4009}
