"""Application documents uploaded during the credit-card conversation."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios.models import ApplicationDocument, FunnelEvent

pytestmark = pytest.mark.django_db
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


@pytest.fixture
def client() -> APIClient:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-app"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def _session_with_card(client: APIClient) -> str:
    session_id = client.post(
        "/api/sessions/",
        {"channel": "app", "scenario": "credit_card", "language": "en"},
        format="json",
    ).json()["id"]
    for text in (
        "I drive a lot and pay tolls",
        "I earn about 150k a year",
        "I don't mind the fee",
        "yes",
        "the first one",
    ):
        client.post(f"/api/sessions/{session_id}/turns/", {"text": text}, format="json")
    return session_id


def _upload(
    client: APIClient,
    session_id: str,
    kind: str,
    name: str,
    content: bytes,
    content_type: str = "application/pdf",
    **extra: str,
):  # noqa: ANN202
    return client.post(
        f"/api/sessions/{session_id}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type), **extra},
        format="multipart",
    )


def test_an_id_card_upload_is_stored_hashed_and_the_precheck_lists_what_is_missing(
    client: APIClient,
    media_root: Path,
) -> None:
    session_id = _session_with_card(client)
    response = _upload(client, session_id, "id_card", "../../etc/id.pdf", PDF)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf"
    assert body["precheck"]["uploaded"] == ["id_card"]
    assert body["precheck"]["complete"] is False
    assert body["precheck"]["missing"]
    document = ApplicationDocument.objects.get(application__session_id=session_id)
    assert ".." not in document.file.name
    assert "id.pdf" not in document.file.name
    assert Path(document.file.path).is_relative_to(media_root)
    assert FunnelEvent.objects.filter(session_id=session_id, outcome="document_uploaded").exists()


def test_uploading_every_required_document_completes_the_precheck(client: APIClient) -> None:
    session_id = _session_with_card(client)
    response = None
    for _ in range(6):
        missing = (
            response.json()["precheck"]["missing"]
            if response is not None
            else [{"kind": "id_card"}]
        )
        if not missing:
            break
        response = _upload(
            client,
            session_id,
            missing[0]["kind"],
            "scan.png",
            PNG,
            "image/png",
            valid_until="2036-01-31",  # the ID card's expiry; other kinds keep none
        )
        assert response.status_code == 201
    assert response.json()["precheck"]["complete"] is True


def test_a_file_that_is_not_an_image_or_pdf_is_refused_whatever_it_claims(
    client: APIClient,
) -> None:
    session_id = _session_with_card(client)
    response = _upload(client, session_id, "id_card", "id.pdf", b"MZ\x90\x00 not a pdf")
    assert response.status_code == 400
    assert "only JPEG, PNG or PDF" in response.json()["detail"]
    assert not ApplicationDocument.objects.exists()


def test_an_oversized_file_is_refused(client: APIClient) -> None:
    session_id = _session_with_card(client)
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = _upload(client, session_id, "id_card", "id.pdf", big)
    assert response.status_code == 400
    assert "limited to 5 MB" in response.json()["detail"]


def test_a_document_kind_the_card_does_not_take_is_refused(client: APIClient) -> None:
    session_id = _session_with_card(client)
    response = _upload(client, session_id, "student_id", "s.pdf", PDF)
    assert response.status_code == 400
    assert "does not take 'student_id'" in response.json()["detail"]


def test_uploading_before_a_card_is_chosen_is_a_409(client: APIClient) -> None:
    session_id = client.post(
        "/api/sessions/", {"channel": "app", "scenario": "credit_card"}, format="json"
    ).json()["id"]
    response = _upload(client, session_id, "id_card", "id.pdf", PDF)
    assert response.status_code == 409
    assert "choose a card" in response.json()["detail"]


def test_a_request_without_a_file_is_400(client: APIClient) -> None:
    session_id = _session_with_card(client)
    response = client.post(
        f"/api/sessions/{session_id}/documents/", {"kind": "id_card"}, format="multipart"
    )
    assert response.status_code == 400


def test_documents_are_kept_out_of_the_public_media_root(
    client: APIClient,
    media_root: Path,
    settings,  # noqa: ANN001
) -> None:
    session_id = _session_with_card(client)
    assert _upload(client, session_id, "id_card", "id.pdf", PDF).status_code == 201
    document = ApplicationDocument.objects.get(application__session_id=session_id)
    assert not Path(document.file.path).is_relative_to(settings.MEDIA_ROOT)
    assert document.file.url.startswith("/api/application-documents/")


def test_a_device_cannot_download_an_application_document(client: APIClient) -> None:
    session_id = _session_with_card(client)
    _upload(client, session_id, "id_card", "id.pdf", PDF)
    document = ApplicationDocument.objects.get(application__session_id=session_id)
    assert client.get(document.file.url).status_code == 403


def test_staff_with_the_document_permission_download_it(client: APIClient) -> None:
    from django.contrib.auth import get_user_model

    session_id = _session_with_card(client)
    _upload(client, session_id, "id_card", "id.pdf", PDF)
    document = ApplicationDocument.objects.get(application__session_id=session_id)
    staff = APIClient()
    staff.force_authenticate(get_user_model().objects.get(username="admin"))
    response = staff.get(document.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    employee = APIClient()
    employee.force_authenticate(get_user_model().objects.get(username="employee"))
    assert employee.get(document.file.url).status_code == 403
