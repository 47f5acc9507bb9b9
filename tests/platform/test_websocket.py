"""The avatar socket at this stage: authenticated ping/echo, refusals before accept."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from bank_ai.asgi import application
from devices.consumers import MAX_FRAME_BYTES
from devices.models import Device
from devices.services import device_token_issue, device_token_revoke
from tests.avatar.conftest import CONNECT_TIMEOUT

pytestmark = pytest.mark.django_db


def _token(name: str = "demo-kiosk") -> str:
    return device_token_issue(device=Device.objects.get(name=name))


def _communicator(path: str, headers: list[tuple[bytes, bytes]] | None = None):  # noqa: ANN202
    return WebsocketCommunicator(application, path, headers=headers or [])


def test_a_device_with_a_token_connects_and_gets_pong() -> None:
    token = _token()

    async def scenario() -> tuple[dict, dict]:
        communicator = _communicator(f"/ws/avatar/?token={token}")
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        hello = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "ping", "nonce": "n-1"})
        pong = await communicator.receive_json_from()
        await communicator.disconnect()
        return hello, pong

    hello, pong = async_to_sync(scenario)()
    assert hello["type"] == "hello"
    assert hello["device"] == "demo-kiosk"
    assert pong["type"] == "pong"
    assert pong["echo"] == "n-1"


def test_the_token_may_come_in_the_authorization_header() -> None:
    token = _token("demo-vtm")

    async def scenario() -> dict:
        communicator = _communicator(
            "/ws/avatar/", [(b"authorization", f"Device {token}".encode())]
        )
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        hello = await communicator.receive_json_from()
        await communicator.disconnect()
        return hello

    assert async_to_sync(scenario)()["device"] == "demo-vtm"


@pytest.mark.parametrize("query", ["", "?token=dvt_unknown_secret", "?token=garbage"])
def test_connections_without_a_valid_credential_are_refused(query: str) -> None:
    async def scenario() -> bool:
        communicator = _communicator(f"/ws/avatar/{query}")
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        return connected

    assert async_to_sync(scenario)() is False


def test_a_revoked_token_is_refused() -> None:
    device = Device.objects.get(name="demo-kiosk")
    token = device_token_issue(device=device)
    device_token_revoke(token=device.tokens.get(prefix=token.split("_")[1]))

    async def scenario() -> bool:
        connected, _ = await _communicator(f"/ws/avatar/?token={token}").connect(
            timeout=CONNECT_TIMEOUT
        )
        return connected

    assert async_to_sync(scenario)() is False


def test_a_browser_from_a_foreign_origin_is_refused_even_with_a_token() -> None:
    token = _token()

    async def scenario() -> bool:
        communicator = _communicator(
            f"/ws/avatar/?token={token}", [(b"origin", b"https://evil.example")]
        )
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        return connected

    assert async_to_sync(scenario)() is False


def _connects_from(origin: bytes, token: str) -> bool:
    async def scenario() -> bool:
        communicator = _communicator(f"/ws/avatar/?token={token}", [(b"origin", origin)])
        connected, _ = await communicator.connect(timeout=CONNECT_TIMEOUT)
        if connected:
            await communicator.disconnect()
        return connected

    return async_to_sync(scenario)()


def test_allowed_hosts_star_admits_no_foreign_origin(settings) -> None:  # noqa: ANN001
    settings.ALLOWED_HOSTS = ["*"]
    assert _connects_from(b"https://evil.example", _token()) is False


def test_a_named_host_beside_a_star_is_still_a_good_origin(settings) -> None:  # noqa: ANN001
    settings.ALLOWED_HOSTS = ["*", "bank.example"]
    assert _connects_from(b"https://bank.example", _token()) is True


def test_a_malformed_frame_gets_an_error_frame_and_the_socket_stays_open() -> None:
    token = _token()

    async def scenario() -> tuple[dict, dict]:
        communicator = _communicator(f"/ws/avatar/?token={token}")
        await communicator.connect(timeout=CONNECT_TIMEOUT)
        await communicator.receive_json_from()
        await communicator.send_to(text_data="{not json")
        error = await communicator.receive_json_from()
        await communicator.send_json_to({"type": "echo", "text": "还在吗"})
        echo = await communicator.receive_json_from()
        await communicator.disconnect()
        return error, echo

    error, echo = async_to_sync(scenario)()
    assert error == {
        "type": "error",
        "code": "malformed",
        "message": "Frames must be JSON objects.",
    }
    assert echo == {"type": "echo", "text": "还在吗"}


def test_an_unknown_frame_type_gets_an_error_frame() -> None:
    token = _token()

    async def scenario() -> dict:
        communicator = _communicator(f"/ws/avatar/?token={token}")
        await communicator.connect(timeout=CONNECT_TIMEOUT)
        await communicator.receive_json_from()
        await communicator.send_json_to({"type": "teleport"})
        error = await communicator.receive_json_from()
        await communicator.disconnect()
        return error

    assert async_to_sync(scenario)()["code"] == "unknown_type"


def test_an_oversized_frame_is_refused_with_close_code_4009() -> None:
    token = _token()

    async def scenario() -> tuple[dict, dict]:
        communicator = _communicator(f"/ws/avatar/?token={token}")
        await communicator.connect(timeout=CONNECT_TIMEOUT)
        await communicator.receive_json_from()
        await communicator.send_to(
            text_data=json.dumps({"type": "echo", "text": "x" * MAX_FRAME_BYTES})
        )
        error = await communicator.receive_json_from()
        closed = await communicator.receive_output()
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "frame_too_large"
    assert closed == {"type": "websocket.close", "code": 4009}
