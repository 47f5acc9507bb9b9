"""What the avatar socket refuses: bad credentials, foreign pages, bad frames and floods."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group

from devices.models import Device
from devices.protocol import SUBPROTOCOL
from devices.services import device_token_issue, device_token_revoke, pairing_ticket_issue
from scenarios.models import Turn
from tests.avatar.conftest import CONNECT_TIMEOUT, Client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _connects(path: str, headers: list[tuple[bytes, bytes]] | None = None, **kw) -> tuple:
    async def scenario() -> tuple:
        client = Client(path, headers, **kw)
        result = await client.ws.connect(timeout=CONNECT_TIMEOUT)
        if result[0]:
            await client.close()
        return result

    return async_to_sync(scenario)()


@pytest.mark.parametrize("token", ["dvt_000000000000_nope", "dvt_x", "not-a-token"])
def test_an_unknown_or_malformed_token_is_refused_before_accept(token: str) -> None:
    assert _connects(f"/ws/avatar/?token={token}") == (False, 4401)


def test_a_revoked_token_is_refused_before_accept() -> None:
    device = Device.objects.get(name="demo-kiosk")
    token = device_token_issue(device=device)
    device_token_revoke(token=device.tokens.get(prefix=token.split("_")[1]))
    assert _connects(f"/ws/avatar/?token={token}") == (False, 4401)


def test_a_foreign_origin_is_refused_even_with_a_valid_token(kiosk_token: str) -> None:
    refused = _connects(f"/ws/avatar/?token={kiosk_token}", [(b"origin", b"https://phish.example")])
    assert refused == (False, 4403)


def test_the_own_origin_is_accepted(kiosk_token: str) -> None:
    assert _connects(f"/ws/avatar/?token={kiosk_token}", [(b"origin", b"http://127.0.0.1:8000")])[0]


def test_offering_only_unknown_subprotocols_is_refused(kiosk_token: str) -> None:
    assert _connects(f"/ws/avatar/?token={kiosk_token}", subprotocols=["chat.v2"]) == (
        False,
        4406,
    )


def test_the_versioned_subprotocol_is_selected_when_offered(kiosk_token: str) -> None:
    connected, subprotocol = _connects(
        f"/ws/avatar/?token={kiosk_token}", subprotocols=["chat.v2", SUBPROTOCOL]
    )
    assert connected
    assert subprotocol == SUBPROTOCOL


def test_a_pairing_ticket_of_a_permitted_user_makes_the_browser_that_device() -> None:
    ops = UserFactory()
    ops.groups.add(Group.objects.get(name="operations"))
    ticket = pairing_ticket_issue(device=Device.objects.get(name="demo-vtm"), user=ops)

    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?pair={ticket}")
        await client.ws.connect(timeout=CONNECT_TIMEOUT)
        hello = await client.recv()
        await client.close()
        return hello

    hello = async_to_sync(scenario)()
    assert hello["device"] == "demo-vtm"
    assert hello["device_kind"] == "vtm"


def test_a_pairing_ticket_is_refused_once_its_user_lost_the_permission() -> None:
    ops = UserFactory()
    ops.groups.add(Group.objects.get(name="operations"))
    ticket = pairing_ticket_issue(device=Device.objects.get(name="demo-vtm"), user=ops)
    ops.groups.clear()
    assert _connects(f"/ws/avatar/?pair={ticket}") == (False, 4401)


def test_a_forged_pairing_ticket_is_refused() -> None:
    assert _connects("/ws/avatar/?pair=eyJkIjoxLCJ1IjoxfQ:forged:signature") == (False, 4401)


def _exchange(token: str, *raw: str, start: bool = False) -> list[dict]:
    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        if start:
            await client.start()
        replies = []
        for text in raw:
            await client.ws.send_to(text_data=text)
            replies.append(await client.recv())
        await client.close()
        return replies

    return async_to_sync(scenario)()


def test_a_malformed_frame_gets_an_error_and_the_session_goes_on(kiosk_token: str) -> None:
    error, pong = _exchange(kiosk_token, "[1, 2", json.dumps({"type": "ping"}), start=True)
    assert error["code"] == "malformed"
    assert pong["type"] == "pong"


def test_a_frame_violating_its_schema_gets_invalid_with_the_fields(kiosk_token: str) -> None:
    (error,) = _exchange(
        kiosk_token,
        json.dumps({"type": "user.text", "text": 42, "source": "telepathy", "id": "f1"}),
        start=True,
    )
    assert error["code"] == "invalid"
    assert error["id"] == "f1"
    assert set(error["fields"]) == {"text", "source"}
    assert not Turn.objects.filter(text="42").exists()


def test_an_oversized_turn_is_refused_with_4009_and_nothing_is_stored(kiosk_token: str) -> None:
    async def scenario() -> tuple[dict, dict, str]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        await client.start()
        await client.send({"type": "user.text", "text": "长" * 9000})
        error = await client.recv()
        closed = await client.ws.receive_output()
        return error, closed, client.session_id

    error, closed, session_id = async_to_sync(scenario)()
    assert error["code"] == "frame_too_large"
    assert closed == {"type": "websocket.close", "code": 4009}
    assert not Turn.objects.filter(session_id=session_id, role=Turn.Role.CUSTOMER).exists()


def test_a_flood_is_refused_then_closed_with_4008(kiosk_token: str, settings) -> None:
    settings.AVATAR_RATE_PER_SECOND = 5
    settings.AVATAR_RATE_BURST = 5
    settings.AVATAR_FLOOD_CLOSE_AFTER = 20

    async def scenario() -> list[dict]:
        client = Client(f"/ws/avatar/?token={kiosk_token}")
        await client.connect()
        for n in range(60):
            await client.send({"type": "ping", "nonce": n})
        outputs = []
        while True:
            output = await client.ws.receive_output(timeout=10)
            outputs.append(output)
            if output["type"] == "websocket.close":
                return outputs

    outputs = async_to_sync(scenario)()
    frames = [json.loads(o["text"]) for o in outputs if o["type"] == "websocket.send"]
    pongs = [f for f in frames if f["type"] == "pong"]
    limited = [f for f in frames if f.get("code") == "rate_limited"]
    assert 5 <= len(pongs) < 10
    assert limited
    assert outputs[-1] == {"type": "websocket.close", "code": 4008}
