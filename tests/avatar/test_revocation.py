"""Revoking a device's credential closes the sockets it opened (4410), by every path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import Client as HttpClient

from devices.consumers import AvatarConsumer
from devices.models import Device, DeviceConnection, DeviceToken
from devices.services import device_token_issue, device_token_revoke, pairing_ticket_issue
from scenarios.touchpoints.services import device_disable, device_register
from tests.avatar.conftest import CONNECT_TIMEOUT, Client

pytestmark = pytest.mark.django_db


def _record(token: str) -> DeviceToken:
    return DeviceToken.objects.get(prefix=token.split("_")[1])


def _outputs_after(token: str, action: Callable[[], Any], *, others: tuple[str, ...] = ()) -> dict:
    """Open a socket with `token` (and one per token in `others`), run `action`, collect."""

    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        bystanders = [Client(f"/ws/avatar/?token={other}") for other in others]
        for bystander in bystanders:
            await bystander.connect()
        await sync_to_async(action)()
        error = await client.recv(timeout=5)
        closed = await client.ws.receive_output(timeout=5)
        bystander_replies = []
        for bystander in bystanders:
            await bystander.send({"type": "ping", "nonce": 1})
            bystander_replies.append(await bystander.recv(timeout=5))
            await bystander.close()
        return {"error": error, "closed": closed, "bystanders": bystander_replies}

    return async_to_sync(scenario)()


def test_revoking_a_token_closes_its_open_socket_with_4410(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    def revoke() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            device_token_revoke(token=_record(kiosk_token))

    result = _outputs_after(kiosk_token, revoke)
    assert result["error"]["code"] == "credential_revoked"
    assert result["closed"] == {"type": "websocket.close", "code": 4410}
    assert not DeviceConnection.objects.filter(device__name="demo-kiosk").exists()


def test_revoking_one_token_leaves_the_devices_socket_on_another_token_open(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    other = device_token_issue(device=Device.objects.get(name="demo-kiosk"), label="rotated")

    def revoke() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            device_token_revoke(token=_record(kiosk_token))

    result = _outputs_after(kiosk_token, revoke, others=(other,))
    assert result["closed"]["code"] == 4410
    assert result["bystanders"][0]["type"] == "pong"


def test_the_admin_revoke_action_closes_the_tokens_open_socket(
    kiosk_token: str, admin_client: HttpClient, django_capture_on_commit_callbacks
) -> None:
    def revoke() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/devices/devicetoken/",
                {"action": "revoke", "_selected_action": [_record(kiosk_token).pk]},
            )
        assert response.status_code == 302

    result = _outputs_after(kiosk_token, revoke)
    assert result["closed"] == {"type": "websocket.close", "code": 4410}
    assert _record(kiosk_token).is_revoked


def test_the_revoke_command_closes_the_tokens_open_socket(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    def revoke() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            call_command("revoke_device_token", kiosk_token.split("_")[1])

    result = _outputs_after(kiosk_token, revoke)
    assert result["closed"] == {"type": "websocket.close", "code": 4410}


def test_disabling_a_device_in_the_admin_closes_its_sockets(
    kiosk_token: str, admin_client: HttpClient, django_capture_on_commit_callbacks
) -> None:
    device = Device.objects.get(name="demo-kiosk")

    def disable() -> None:
        data = {
            "name": device.name,
            "kind": device.kind,
            "branch": device.branch_id or "",
            "groups": [group.pk for group in device.groups.all()],
            "capabilities": "{}",
            # "is_active" left out: the checkbox is unticked.
        }
        for prefix in ("connections", "tokens"):
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(f"/admin/touchpoints/device/{device.pk}/change/", data)
        assert response.status_code == 302, response.content[:2000]

    result = _outputs_after(kiosk_token, disable)
    assert result["closed"] == {"type": "websocket.close", "code": 4410}
    device.refresh_from_db()
    assert not device.is_active


def test_the_admin_disable_action_closes_the_devices_sockets(
    kiosk_token: str, admin_client: HttpClient, django_capture_on_commit_callbacks
) -> None:
    device = Device.objects.get(name="demo-kiosk")

    def disable() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/touchpoints/device/", {"action": "disable", "_selected_action": [device.pk]}
            )
        assert response.status_code == 302

    result = _outputs_after(kiosk_token, disable)
    assert result["closed"] == {"type": "websocket.close", "code": 4410}
    device.refresh_from_db()
    assert not device.is_active


def test_deleting_a_device_in_the_admin_closes_its_sockets(
    admin_client: HttpClient, admin_user: Any, django_capture_on_commit_callbacks
) -> None:
    # Without tokens: the admin keeps devices with tokens (their audit records) undeletable.
    device = device_register(name="web-to-delete", kind=Device.Kind.WEB)
    ticket = pairing_ticket_issue(device=device, user=admin_user)

    def delete() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                f"/admin/touchpoints/device/{device.pk}/delete/", {"post": "yes"}
            )
        assert response.status_code == 302

    async def scenario() -> tuple[dict, dict]:
        client = Client(f"/ws/avatar/?pair={ticket}")
        await client.connect()
        await sync_to_async(delete)()
        return await client.recv(timeout=5), await client.ws.receive_output(timeout=5)

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "credential_revoked"
    assert closed == {"type": "websocket.close", "code": 4410}
    assert not Device.objects.filter(name="web-to-delete").exists()


def test_the_disable_service_closes_the_devices_sockets(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    def disable() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            device_disable(device=Device.objects.get(name="demo-kiosk"))

    result = _outputs_after(kiosk_token, disable)
    assert result["closed"] == {"type": "websocket.close", "code": 4410}


def test_a_token_revoked_while_the_socket_was_connecting_is_closed_at_once(
    kiosk_token: str,
) -> None:
    # The handshake checked the token, then the revocation committed before the socket joined
    # its groups: the close event reached no one, so connect() checks once more.
    record = _record(kiosk_token)
    device = record.device
    device_token_revoke(token=record)

    async def scenario() -> tuple[dict, dict]:
        ws = WebsocketCommunicator(AvatarConsumer.as_asgi(), f"/ws/avatar/?token={kiosk_token}")
        ws.scope.update(device=device, device_token_id=record.pk)
        connected, _ = await ws.connect(timeout=CONNECT_TIMEOUT)
        assert connected
        error = await ws.receive_json_from(timeout=5)
        closed = await ws.receive_output(timeout=5)
        return error, closed

    error, closed = async_to_sync(scenario)()
    assert error["code"] == "credential_revoked"
    assert closed == {"type": "websocket.close", "code": 4410}
    assert not DeviceConnection.objects.filter(device=device).exists()


def _api_client(username: str):  # noqa: ANN202 - rest_framework.test.APIClient
    from django.contrib.auth import get_user_model
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_revoking_over_the_api_closes_the_tokens_open_socket(
    kiosk_token: str, django_capture_on_commit_callbacks
) -> None:
    prefix = kiosk_token.split("_")[1]
    responses = []

    def revoke() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            responses.append(_api_client("ops").post(f"/api/device-tokens/{prefix}/revoke/"))

    result = _outputs_after(kiosk_token, revoke)
    assert responses[0].status_code == 200
    assert responses[0].json()["device"] == "demo-kiosk"
    assert result["closed"] == {"type": "websocket.close", "code": 4410}


def test_the_revoke_api_refuses_people_without_the_permission(kiosk_token: str) -> None:
    prefix = kiosk_token.split("_")[1]
    response = _api_client("employee").post(f"/api/device-tokens/{prefix}/revoke/")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not _record(kiosk_token).is_revoked


def test_the_revoke_api_answers_404_for_an_unknown_prefix() -> None:
    response = _api_client("ops").post("/api/device-tokens/000000000000/revoke/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
