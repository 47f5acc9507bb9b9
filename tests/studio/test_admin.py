"""The producer's and compliance officer's admin pages, through Django's test client."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from content.models import RenderBatch, ScriptTemplate, Topic, VideoScript

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _signed_in(username: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.fixture
def script(fraud_topic) -> VideoScript:
    response = _signed_in("producer").post(
        reverse("admin:content_videoscript_generate"),
        {
            "topic": fraud_topic.pk,
            "template": ScriptTemplate.objects.get(key="anti-fraud").pk,
            "language": "zh-hans",
            "target_seconds": 60,
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return VideoScript.objects.get(topic=fraud_topic)


def test_the_topic_pool_lists_topics_with_a_write_button():
    response = _signed_in("producer").get(reverse("admin:content_topic_changelist"))
    assert response.status_code == 200
    assert b"generate-script" in response.content
    top = Topic.objects.order_by("-score").first()
    assert top.title.encode() in response.content


def test_the_script_page_shows_storyboard_sources_and_style(script):
    response = _signed_in("producer").get(
        reverse("admin:content_videoscript_studio", args=[script.pk])
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="narration"') == len(script.current.scenes) + 1
    assert script.current.citations[0]["title"] in page
    assert 'name="outfit"' in page


def test_an_empty_save_shows_the_reason_and_keeps_the_last_version(script):
    url = reverse("admin:content_videoscript_studio", args=[script.pk])
    response = _signed_in("producer").post(
        url,
        {
            "action": "save",
            "scene_count": 1,
            "scene-0-narration": " ",
            "scene-0-on_screen_text": "我写的标题",
        },
    )
    assert response.status_code == 200
    assert "我写的标题" in response.content.decode()  # what was typed is still on the page
    assert script.versions.count() == 1


def test_producer_shortens_and_submits_then_compliance_approves(script):
    url = reverse("admin:content_videoscript_studio", args=[script.pk])
    producer = _signed_in("producer")
    assert producer.post(url, {"action": "resize", "target_seconds": 30}).status_code == 302
    assert producer.post(url, {"action": "submit"}).status_code == 302
    assert producer.post(url, {"action": "approve"}).status_code == 403
    assert _signed_in("compliance").post(url, {"action": "approve"}).status_code == 302
    script.refresh_from_db()
    assert script.status == "approved"
    assert script.approved_version.origin == "shortened"


def test_rendering_from_the_scripts_list_opens_the_batch_page(approved):
    producer = _signed_in("producer")
    response = producer.post(
        reverse("admin:content_videoscript_changelist"),
        {"action": "render_selected", "_selected_action": [approved.pk]},
    )
    batch = RenderBatch.objects.get(items__script=approved)
    assert response.url == reverse("admin:content_renderbatch_change", args=[batch.pk])
    page = producer.get(response.url).content.decode()
    assert 'data-finished="no"' in page
    assert 'http-equiv="refresh"' in page
