"""The seed's five KPIs, each pinned on hand-built data, and their API."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from content.models import (
    Publication,
    PublishAttempt,
    PublishTarget,
    RenderBatch,
    RenderItem,
    ScriptVersion,
    Topic,
    VideoScript,
)
from content.studio.selectors import studio_kpis

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _script(template, topic, *, approved: bool, generations: int = 1) -> VideoScript:
    script = VideoScript.objects.create(
        title=f"s{topic.pk}", topic=topic, template=template, language="zh-hans"
    )
    for n in range(1, generations + 1):
        version = ScriptVersion.objects.create(
            script=script, number=n, origin="generated", target_seconds=30, scenes=[]
        )
    ScriptVersion.objects.create(
        script=script, number=generations + 1, origin="edited", target_seconds=30, scenes=[]
    )
    if approved:
        script.approved_version = version
        script.status = VideoScript.Status.APPROVED
        script.save()
    return script


@pytest.fixture
def world(template):
    from django.utils import timezone

    started = timezone.now()
    VideoScript.objects.all().update(approved_version=None)
    Topic.objects.update(score=0)
    hot = Topic.objects.create(title="hot", language="zh-hans", score=10)
    warm = Topic.objects.create(title="warm", language="zh-hans", score=9)
    anti_fraud = template("anti-fraud")
    a = _script(anti_fraud, hot, approved=True, generations=2)
    _script(anti_fraud, hot, approved=False)
    c = _script(anti_fraud, warm, approved=True)
    batch = RenderBatch.objects.create(name="b", kind="scripts")
    items = [
        RenderItem.objects.create(
            batch=batch, script=a, version=a.approved_version, status="done", video="x.mp4"
        ),
        RenderItem.objects.create(
            batch=batch, script=a, version=a.approved_version, status="done", video="y.mp4"
        ),
        RenderItem.objects.create(
            batch=batch, script=c, version=c.approved_version, status="done", video="z.mp4"
        ),
        RenderItem.objects.create(
            batch=batch, script=c, version=c.approved_version, status="failed"
        ),
    ]
    hall = PublishTarget.objects.create(name="h", publisher="hall_screen")
    platform = PublishTarget.objects.create(name="p", publisher="short_video")
    Publication.objects.create(item=items[0], target=hall, status="published")
    ok = Publication.objects.create(item=items[1], target=platform, status="published")
    bad = Publication.objects.create(item=items[0], target=platform, status="failed")
    Publication.objects.create(item=items[2], target=platform, status="pending")
    PublishAttempt.objects.create(publication=ok, number=1, ok=False, error_code="rate_limited")
    PublishAttempt.objects.create(publication=ok, number=2, ok=True)
    PublishAttempt.objects.create(publication=bad, number=1, ok=False)
    return {"hot": hot, "warm": warm, "since": started}


def test_script_adoption_is_approved_over_generated_scripts(world):
    assert studio_kpis(since=world["since"])["script_adoption_rate"] == {
        "generated": 3,
        "approved": 2,
        "rate": round(2 / 3, 4),
    }


def test_script_generations_count_generated_versions_per_hot_topic(world):
    rows = studio_kpis(since=world["since"])["script_generations_per_hot_topic"]
    assert [(r["title"], r["script_generations"]) for r in rows[:2]] == [("hot", 3), ("warm", 1)]


def test_content_adoption_is_published_over_rendered_videos(world):
    assert studio_kpis(since=world["since"])["content_adoption_rate"] == {
        "rendered": 3,
        "published": 2,
        "rate": round(2 / 3, 4),
    }


def test_content_generations_count_rendered_videos_per_hot_topic(world):
    rows = studio_kpis(since=world["since"])["content_generations_per_hot_topic"]
    assert [(r["title"], r["content_generations"]) for r in rows[:2]] == [("hot", 2), ("warm", 1)]


def test_third_party_sync_counts_finished_publications_off_the_hall(world):
    assert studio_kpis(since=world["since"])["third_party_sync_success_rate"] == {
        "finished": 2,
        "succeeded": 1,
        "rate": 0.5,
        "attempts": 3,
        "attempts_ok": 1,
        "attempt_success_rate": round(1 / 3, 4),
    }


def test_rates_are_null_without_data():
    from datetime import timedelta

    from django.utils import timezone

    kpis = studio_kpis(since=timezone.now() + timedelta(days=1))
    assert kpis["script_adoption_rate"]["rate"] is None
    assert kpis["third_party_sync_success_rate"]["rate"] is None


def _client(username: str) -> APIClient:
    client = APIClient()
    user = get_user_model().objects.get(username=username)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
    return client


def test_the_api_serves_the_kpis_to_compliance(world):
    response = _client("compliance").get("/api/studio/kpis/", {"since": world["since"].isoformat()})
    assert response.status_code == 200
    assert response.json()["content_adoption_rate"]["rendered"] == 3


def test_the_api_refuses_a_bad_date():
    response = _client("producer").get("/api/studio/kpis/", {"since": "yesterday"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_date"


def test_the_api_refuses_employees_and_strangers():
    assert _client("employee").get("/api/studio/kpis/").status_code == 403
    assert APIClient().get("/api/studio/kpis/").status_code == 401


def test_the_kpis_are_in_the_openapi_schema():
    response = _client("admin").get("/api/schema/", {"format": "json"})
    assert "/api/studio/kpis/" in response.json()["paths"]
