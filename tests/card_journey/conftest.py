"""Helpers for driving the card journey through the public API like a channel would."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios.models import FunnelEvent

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def media_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    # The field's storage is resolved when the model loads, so the test swaps it on the field.
    from django.core.files.storage import FileSystemStorage

    from scenarios.models import ApplicationDocument

    private = FileSystemStorage(location=tmp_path, base_url="/api/application-documents/")
    monkeypatch.setattr(ApplicationDocument._meta.get_field("file"), "storage", private)
    return tmp_path


class Channel:
    """One device's view of the API (a new Channel is a reconnect with a new credential)."""

    def __init__(self, device: str = "demo-app") -> None:
        self.client = APIClient()
        token = device_token_issue(device=Device.objects.get(name=device))
        self.client.credentials(HTTP_AUTHORIZATION=f"Device {token}")

    def start(self, language: str, scenario: str = "credit_card", **extra: Any) -> dict:
        response = self.client.post(
            "/api/sessions/",
            {"channel": "app", "scenario": scenario, "language": language, **extra},
            format="json",
        )
        assert response.status_code == 201, response.content
        return response.json()

    def say(self, session_id: str, text: str) -> dict:
        response = self.client.post(
            f"/api/sessions/{session_id}/turns/", {"text": text}, format="json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    def event(self, session_id: str, name: str, step: str = "", **data: Any):  # noqa: ANN201
        return self.client.post(
            f"/api/sessions/{session_id}/events/",
            {"name": name, "step": step, "data": data},
            format="json",
        )

    def upload(
        self,
        session_id: str,
        kind: str,
        content: bytes = PNG,
        name: str = "scan.png",
        content_type: str = "image/png",
        valid_until: date | None = None,
    ):  # noqa: ANN201
        data: dict[str, Any] = {
            "kind": kind,
            "file": SimpleUploadedFile(name, content, content_type),
        }
        if valid_until is not None:
            data["valid_until"] = valid_until.isoformat()
        return self.client.post(f"/api/sessions/{session_id}/documents/", data, format="multipart")

    def state(self, session_id: str) -> dict:
        response = self.client.get(f"/api/sessions/{session_id}/")
        assert response.status_code == 200, response.content
        return response.json()


def outcomes(session_id: str) -> list[tuple[str, str, str]]:
    return list(
        FunnelEvent.objects.filter(session_id=session_id)
        .order_by("id")
        .values_list("scenario", "step", "outcome")
    )
