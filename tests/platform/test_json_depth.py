"""Deeply nested JSON is refused with a clear error everywhere a client sends JSON."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bank_ai.asgi import application
from bank_ai.json_limits import JSONTooDeep, check_depth, loads
from devices.models import Device
from devices.services import device_token_issue
from scenarios.models import DialogueSession
from tests.avatar.conftest import CONNECT_TIMEOUT

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _device_api(name: str = "demo-app") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token = device_token_issue(device=Device.objects.get(name=name))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def test_it_measures_nesting_without_counting_brackets_inside_strings() -> None:
    check_depth('{"text": "' + "[{" * 500 + '"}', limit=2)
    check_depth('{"text": "\\"[[[[\\""}', limit=1)
    with pytest.raises(JSONTooDeep):
        check_depth('{"a": {"b": [1]}}', limit=2)


def test_it_parses_json_within_the_limit() -> None:
    assert loads('{"a": [[1, "]"]]}', limit=3) == {"a": [[1, "]"]]}


@pytest.mark.parametrize("depth", [1000, 900])
def test_a_deeply_nested_api_body_is_a_400_naming_the_limit_not_a_500(depth: int) -> None:
    before = DialogueSession.objects.count()
    body = '{"channel": "app", "scenario": "credit_card", "extra": ' + _nested(depth) + "}"
    response = _device_api().post("/api/sessions/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper than 32 levels" in response.json()["detail"]
    assert DialogueSession.objects.count() == before


def test_a_deeply_nested_body_is_refused_on_the_staff_api_too() -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username="employee"))
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    body = '{"question": ' + _nested(1000) + "}"
    response = client.post("/api/staff/ask/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]


def test_the_api_says_it_in_the_callers_language() -> None:
    response = _device_api().post(
        "/api/sessions/",
        _nested(100),
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 400
    assert "32" in response.json()["detail"]
    assert "嵌套" in response.json()["detail"]


def test_a_json_body_over_the_upload_limit_is_a_413(settings) -> None:  # noqa: ANN001
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"channel": "app", "scenario": "credit_card", "extra": "x" * 2000})
    response = _device_api().post("/api/sessions/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["detail"] == "The body is larger than the server accepts."


def test_ordinary_json_bodies_still_work() -> None:
    response = _device_api().post(
        "/api/sessions/",
        json.dumps({"channel": "app", "scenario": "credit_card", "language": "zh-hans"}),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("depth", [1000, 700])
def test_a_deeply_nested_avatar_frame_gets_an_error_frame_and_the_socket_stays(
    depth: int,
) -> None:
    token = device_token_issue(device=Device.objects.get(name="demo-kiosk"))
    frame = '{"type": "ui.event", "name": "confirm", "data": {"x": ' + _nested(depth) + "}}"

    async def scenario() -> tuple[dict, dict]:
        socket = WebsocketCommunicator(application, f"/ws/avatar/?token={token}")
        connected, _ = await socket.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        await socket.receive_json_from()  # hello
        await socket.send_to(text_data=frame)
        error = await socket.receive_json_from()
        await socket.send_json_to({"type": "ping", "nonce": "after"})
        pong = await socket.receive_json_from()
        await socket.disconnect()
        return error, pong

    error, pong = async_to_sync(scenario)()
    assert (error["type"], error["code"]) == ("error", "malformed")
    assert "nested deeper than 32 levels" in error["message"]
    assert pong["echo"] == "after"
