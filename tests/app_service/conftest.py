"""A customer in the Harbour Bank app, talking to the session API with the app's device token."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios.models import DialogueSession


class AppCustomer:
    def __init__(self, client: APIClient) -> None:
        self.client = client
        self.session_id = ""
        self.last: dict[str, Any] = {}

    def start(self, scenario: str, language: str) -> dict[str, Any]:
        response = self.client.post(
            "/api/sessions/",
            {"channel": "app", "scenario": scenario, "language": language},
            format="json",
        )
        assert response.status_code == 201, response.content
        self.last = response.json()
        self.session_id = self.last["id"]
        return self.last

    def say(self, text: str, expect: int = 200) -> dict[str, Any]:
        response = self.client.post(
            f"/api/sessions/{self.session_id}/turns/", {"text": text}, format="json"
        )
        assert response.status_code == expect, response.content
        self.last = response.json()
        return self.last

    def tap(self, name: str, step: str = "", expect: int = 200, **data: Any) -> dict[str, Any]:
        response = self.client.post(
            f"/api/sessions/{self.session_id}/events/",
            {"name": name, "step": step, "data": data},
            format="json",
        )
        assert response.status_code == expect, response.content
        self.last = response.json()
        return self.last

    @property
    def session(self) -> DialogueSession:
        return DialogueSession.objects.get(pk=self.session_id)

    def actions(self, kind: str) -> list[dict[str, Any]]:
        return [action for action in self.last["actions"] if action["type"] == kind]


@pytest.fixture
def customer(db) -> AppCustomer:  # noqa: ANN001
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-app"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return AppCustomer(client)
