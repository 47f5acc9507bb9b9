"""Bad input gets a clear 4xx and leaves the session as it was."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from scenarios.models import (
    ApplicationDocument,
    CardApplication,
    DialogueSession,
    DisclosureAcknowledgement,
)
from tests.card_journey.conftest import PDF, Channel

pytestmark = pytest.mark.django_db
UNKNOWN = "00000000-0000-0000-0000-000000000000"


def _at_documents(app: Channel, language: str = "en") -> str:
    session_id = app.start(language)["id"]
    for text in (
        "I drive a lot and pay tolls",
        "I earn about 150k a year",
        "I don't mind the fee",
        "yes",
        "the first one",
        "let's apply",
    ):
        app.say(session_id, text)
    assert app.state(session_id)["current_step"] == "documents"
    return session_id


def _snapshot(session_id: str) -> tuple:
    session = DialogueSession.objects.get(pk=session_id)
    return (
        session.current_step,
        session.status,
        session.flow_id,
        session.slots,
        session.memory,
        ApplicationDocument.objects.filter(application__session_id=session_id).count(),
        DisclosureAcknowledgement.objects.filter(application__session_id=session_id).count(),
        list(
            CardApplication.objects.filter(session_id=session_id).values_list("status", flat=True)
        ),
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", f"/api/sessions/{UNKNOWN}/", None),
        ("post", f"/api/sessions/{UNKNOWN}/turns/", {"text": "hi"}),
        ("post", f"/api/sessions/{UNKNOWN}/events/", {"name": "confirm"}),
        ("post", f"/api/sessions/{UNKNOWN}/rating/", {"score": 5}),
        ("get", f"/api/applications/{UNKNOWN}/", None),
    ],
)
def test_an_unknown_session_or_application_is_404(
    method: str, path: str, body: dict | None
) -> None:
    client = Channel().client
    response = getattr(client, method)(path, body, format="json") if body else client.get(path)
    assert response.status_code == 404


def test_an_upload_to_an_unknown_session_is_404() -> None:
    assert Channel().upload(UNKNOWN, "id_card").status_code == 404


def test_an_event_for_a_later_step_is_409_and_changes_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    before = _snapshot(session_id)
    response = app.event(session_id, "acknowledge_disclosure", step="risk_disclosure", version="x")
    assert response.status_code == 409
    assert "documents" in response.json()["detail"]
    assert _snapshot(session_id) == before


def test_submitting_before_the_documents_step_is_done_is_409_and_changes_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    before = _snapshot(session_id)
    response = app.event(session_id, "submit_application")
    assert response.status_code == 409
    assert "does not take" in response.json()["detail"]
    assert _snapshot(session_id) == before


def test_an_oversized_upload_is_400_and_changes_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    before = _snapshot(session_id)
    response = app.upload(session_id, "id_card", content=PDF + b"0" * (5 * 1024 * 1024))
    assert response.status_code == 400
    assert "5 MB" in response.json()["detail"]
    assert _snapshot(session_id) == before


def test_a_wrong_type_upload_is_400_and_changes_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    before = _snapshot(session_id)
    response = app.upload(session_id, "id_card", content=b"<html>not a scan</html>", name="id.png")
    assert response.status_code == 400
    assert "JPEG, PNG or PDF" in response.json()["detail"]
    assert _snapshot(session_id) == before


def test_a_malformed_validity_date_is_400_and_changes_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    before = _snapshot(session_id)
    response = app.client.post(
        f"/api/sessions/{session_id}/documents/",
        {"kind": "id_card", "file": _png(), "valid_until": "next year"},
        format="multipart",
    )
    assert response.status_code == 400
    assert _snapshot(session_id) == before


def _png():  # noqa: ANN202
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.card_journey.conftest import PNG

    return SimpleUploadedFile("id.png", PNG, "image/png")


@pytest.mark.parametrize("card", ["premium-infinite", "no-such-card", "../../etc/passwd"])
def test_a_forged_card_id_is_refused_and_changes_nothing(card: str) -> None:
    app = Channel()
    session_id = app.start("zh-hans")["id"]
    for text in ("我经常出国旅游", "年收入30万", "年费无所谓", "对"):
        app.say(session_id, text)
    recommended = DialogueSession.objects.get(pk=session_id).memory["recommended"]
    assert card not in recommended
    before = _snapshot(session_id)
    response = app.event(session_id, "choose_card", step="choose_card", card=card)
    assert response.status_code == 409
    assert _snapshot(session_id) == before
    assert "chosen_card" not in DialogueSession.objects.get(pk=session_id).memory


def test_a_forged_value_added_service_is_refused_and_records_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    kinds = [
        d["code"] for d in _chosen_card(session_id).required_documents if d.get("required", True)
    ]
    for kind in kinds:
        response = app.upload(session_id, kind, valid_until=date(2035, 1, 1))
    assert response.json()["turn"]["step"] == "value_added_services"
    before = _snapshot(session_id)
    response = app.event(session_id, "choose_services", step="value_added_services", codes=["gold"])
    assert response.status_code == 409
    assert _snapshot(session_id) == before
    assert CardApplication.objects.get(session_id=session_id).services_decided_at is None


def test_a_stale_disclosure_version_is_refused_and_nothing_is_acknowledged() -> None:
    app = Channel()
    session_id = _at_documents(app)
    for kind in [
        d["code"] for d in _chosen_card(session_id).required_documents if d.get("required", True)
    ]:
        app.upload(session_id, kind, valid_until=date(2035, 1, 1))
    assert app.say(session_id, "none, thanks")["step"] == "risk_disclosure"
    before = _snapshot(session_id)
    response = app.event(
        session_id, "acknowledge_disclosure", step="risk_disclosure", version="0123456789ab"
    )
    assert response.status_code == 409
    assert _snapshot(session_id) == before


def test_another_device_cannot_read_an_application() -> None:
    app = Channel()
    session_id = _at_documents(app)
    app.upload(session_id, "id_card", valid_until=date(2035, 1, 1))
    application = CardApplication.objects.get(session_id=session_id)
    assert app.client.get(f"/api/applications/{application.pk}/").status_code == 200
    other = Channel("demo-kiosk")
    assert other.client.get(f"/api/applications/{application.pk}/").status_code == 404
    assert other.client.get(f"/api/applications/{uuid.uuid4()}/").status_code == 404


def _chosen_card(session_id: str):  # noqa: ANN202
    from scenarios.models import CardProduct

    code = DialogueSession.objects.get(pk=session_id).memory["chosen_card"]
    return CardProduct.objects.get(code=code)


def test_a_device_without_the_customer_identity_capability_cannot_name_a_customer() -> None:
    response = Channel("demo-kiosk").client.post(
        "/api/sessions/",
        {"channel": "kiosk", "scenario": "card_use", "customer_no": "C202600001"},
        format="json",
    )
    assert response.status_code == 403
    assert not DialogueSession.objects.filter(flow__code="card_use").exists()


def test_a_logged_in_employee_cannot_name_a_customer(demo_password: str) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    assert client.login(username="employee", password=demo_password)
    response = client.post(
        "/api/sessions/",
        {"channel": "web", "scenario": "card_use", "customer_no": "C202600001"},
        format="json",
    )
    assert response.status_code == 403


def test_an_unknown_customer_number_is_400() -> None:
    response = Channel().client.post(
        "/api/sessions/",
        {"channel": "app", "scenario": "card_use", "customer_no": "C999999999"},
        format="json",
    )
    assert response.status_code == 400
    assert "C999999999" in response.json()["detail"]


def test_card_use_without_an_identified_customer_is_400() -> None:
    response = Channel().client.post(
        "/api/sessions/", {"channel": "app", "scenario": "card_use"}, format="json"
    )
    assert response.status_code == 400
    assert "identified customer" in response.json()["detail"]


@pytest.mark.parametrize("score", [0, 6, "five"])
def test_a_rating_out_of_range_is_400(score: object) -> None:
    app = Channel()
    session_id = app.start("en")["id"]
    response = app.client.post(
        f"/api/sessions/{session_id}/rating/", {"score": score}, format="json"
    )
    assert response.status_code == 400


def test_a_session_is_rated_once() -> None:
    app = Channel()
    session_id = app.start("en")["id"]
    url = f"/api/sessions/{session_id}/rating/"
    assert app.client.post(url, {"score": 4}, format="json").status_code == 201
    second = app.client.post(url, {"score": 5}, format="json")
    assert second.status_code == 409


def test_an_upload_to_a_session_handed_over_is_409_and_stores_nothing() -> None:
    app = Channel()
    session_id = _at_documents(app)
    app.say(session_id, "I want to talk to a person")
    before = _snapshot(session_id)
    response = app.upload(session_id, "id_card", valid_until=date(2035, 1, 1))
    assert response.status_code == 409
    assert "handed_over" in response.json()["detail"]
    assert _snapshot(session_id) == before
