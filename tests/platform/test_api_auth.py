from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue, device_token_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> APIClient:
    return APIClient()


def test_a_device_token_identifies_the_device(client: APIClient) -> None:
    token = device_token_issue(device=Device.objects.get(name="demo-vtm"))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Device {token}")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "device",
        "name": "demo-vtm",
        "device_kind": "vtm",
        "branch": "hq-central",
        "groups": [],
    }


def test_a_revoked_device_token_gets_401(client: APIClient) -> None:
    device = Device.objects.get(name="demo-vtm")
    token = device_token_issue(device=device)
    device_token_revoke(token=device.tokens.get(prefix=token.split("_")[1]))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Device {token}")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_drf_token_identifies_the_employee(client: APIClient) -> None:
    token = Token.objects.create(user=get_user_model().objects.get(username="employee"))
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert response.json()["groups"] == ["employee"]


def test_anonymous_callers_are_refused(client: APIClient) -> None:
    response = client.get("/api/whoami/")
    assert response.status_code in {401, 403}


def test_the_openapi_schema_documents_device_authentication(client: APIClient) -> None:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert "deviceToken" in schema["components"]["securitySchemes"]
    assert "/api/whoami/" in schema["paths"]


def test_swagger_ui_is_served_without_a_cdn(client: APIClient) -> None:
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html
