"""The studio API: the producer's path and clear errors that lose nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import VideoScript

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _client(username: str) -> APIClient:
    client = APIClient()
    user = get_user_model().objects.get(username=username)
    client.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    return client


@pytest.fixture
def script_id(fraud_topic) -> int:
    response = _client("producer").post(
        "/api/studio/scripts/",
        {
            "topic": fraud_topic.pk,
            "template": "anti-fraud",
            "language": "zh-hans",
            "target_seconds": 60,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_a_producer_writes_shortens_and_submits_and_compliance_approves(script_id):
    producer = _client("producer")
    shortened = producer.post(
        f"/api/studio/scripts/{script_id}/resize/", {"target_seconds": 30}, format="json"
    ).json()
    assert shortened["current"]["origin"] == "shortened"
    assert producer.post(f"/api/studio/scripts/{script_id}/submit/").json()["status"] == "submitted"
    assert producer.post(f"/api/studio/scripts/{script_id}/approve/").status_code == 403
    approved = (
        _client("compliance")
        .post(f"/api/studio/scripts/{script_id}/approve/", {"comment": "ok"}, format="json")
        .json()
    )
    assert approved["status"] == "approved"
    assert approved["approved_version"] == 2
    assert [r["action"] for r in approved["reviews"]] == ["approved", "submitted"]


def test_an_empty_script_is_a_400_and_the_last_version_stays(script_id):
    response = _client("producer").post(
        f"/api/studio/scripts/{script_id}/edit/", {"scenes": [{"narration": ""}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_script"
    assert VideoScript.objects.get(pk=script_id).versions.count() == 1


def test_an_over_long_script_is_a_400_naming_the_limit(script_id):
    response = _client("producer").post(
        f"/api/studio/scripts/{script_id}/edit/",
        {"scenes": [{"narration": "请注意防范诈骗。" * 140}]},
        format="json",
    )
    assert response.status_code == 400
    assert "at most 180 s" in response.json()["detail"]


def test_an_unsupported_language_is_a_400(fraud_topic):
    response = _client("producer").post(
        "/api/studio/scripts/",
        {"topic": fraud_topic.pk, "template": "anti-fraud", "language": "ja"},
        format="json",
    )
    assert response.status_code == 400
    assert "Unsupported language 'ja'" in response.json()["detail"]


def test_an_unknown_template_is_a_400(fraud_topic):
    response = _client("producer").post(
        "/api/studio/scripts/",
        {"topic": fraud_topic.pk, "template": "nope", "language": "en"},
        format="json",
    )
    assert (response.status_code, response.json()["error"]) == (400, "unknown_template")


def test_rendering_an_unapproved_script_is_a_400(script_id):
    response = _client("producer").post(
        "/api/studio/render-batches/", {"scripts": [script_id]}, format="json"
    )
    assert response.status_code == 400
    assert "Only approved" in response.json()["detail"]


def test_the_topic_pool_lists_sources():
    topics = _client("producer").get("/api/studio/topics/").json()
    assert topics
    assert all("sources" in t for t in topics)
    assert topics[0]["score"] >= topics[-1]["score"]


def test_publishing_a_video_that_does_not_exist_is_a_400_naming_it():
    response = _client("admin").post(
        "/api/studio/publications/", {"item": 0, "target": 0}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"error": "unknown_ids", "detail": {"item": [0], "target": [0]}}


def test_a_script_for_a_topic_that_does_not_exist_is_a_400_naming_it():
    response = _client("producer").post(
        "/api/studio/scripts/",
        {"topic": 999999, "template": "anti-fraud", "language": "zh-hans", "target_seconds": 60},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == {"topic": [999999]}


def test_the_kpi_schema_documents_the_400_for_a_bad_date():
    schema = _client("admin").get("/api/schema/?format=json").json()
    assert "400" in schema["paths"]["/api/studio/kpis/"]["get"]["responses"]
    assert _client("admin").get("/api/studio/kpis/?since=yesterday").status_code == 400
