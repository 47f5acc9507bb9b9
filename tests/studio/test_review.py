"""Review: only compliance approves, send-back needs a reason, the audit is append-only, only
approved versions render, style keys are the renderer's."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import InternalError, ProgrammingError, transaction

from content.models import ReviewEvent, StyleEntry, VideoScript
from content.studio import services
from content.studio.scripts import ScriptInvalid

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def submitted(producer, template, fraud_topic) -> VideoScript:
    script = services.script_generate(
        topic=fraud_topic,
        template=template("anti-fraud"),
        language="zh-hans",
        target_seconds=30,
        user=producer,
    )
    return services.script_submit(script=script, user=producer, comment="请审核")


def test_a_producer_cannot_approve(submitted, producer):
    with pytest.raises(PermissionDenied):
        services.script_approve(script=submitted, user=producer)


def test_approval_pins_the_reviewed_version(submitted, officer):
    script = services.script_approve(script=submitted, user=officer, comment="ok")
    assert script.status == VideoScript.Status.APPROVED
    assert script.approved_version == script.current
    assert list(script.reviews.order_by("id").values_list("action", "actor_name")) == [
        ("submitted", "producer"),
        ("approved", "compliance"),
    ]


def test_sending_back_needs_a_reason(submitted, officer):
    with pytest.raises(ScriptInvalid, match="what has to change"):
        services.script_send_back(script=submitted, user=officer, comment=" ")


def test_a_sent_back_script_is_edited_and_resubmitted(submitted, officer, producer):
    services.script_send_back(script=submitted, user=officer, comment="第二段太长")
    version = services.script_edit(
        script=submitted,
        user=producer,
        scenes=[{"narration": "警惕安全账户骗局。海港银行不会向您索要验证码或密码。"}],
    )
    services.script_submit(script=submitted, user=producer)
    approved = services.script_approve(script=submitted, user=officer)
    assert approved.approved_version == version


def test_a_submitted_script_cannot_be_edited(submitted, producer):
    with pytest.raises(services.StudioError, match="Submitted"):
        services.script_edit(script=submitted, user=producer, scenes=[{"narration": "改一下。"}])


def test_the_review_audit_is_append_only(submitted):
    event = ReviewEvent.objects.get(script=submitted)
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        ReviewEvent.objects.filter(pk=event.pk).update(comment="changed")
    with pytest.raises((InternalError, ProgrammingError)), transaction.atomic():
        ReviewEvent.objects.filter(pk=event.pk).delete()


def test_only_approved_scripts_render(submitted, producer):
    with pytest.raises(services.StudioError, match="Only approved"):
        services.render_batch_create(scripts=[submitted], user=producer)


def test_a_style_entry_must_be_a_renderer_key():
    entry = StyleEntry(kind="outfits", key="pink_tuxedo", label_zh="粉", label_en="Pink")
    with pytest.raises(ValidationError, match="pink_tuxedo"):
        entry.full_clean()


def test_a_script_style_must_use_renderer_keys(producer, template):
    script = services.script_generate(
        topic=None,
        template=template("campaign"),
        language="en",
        target_seconds=30,
        user=producer,
        title="Year-end cashback",
    )
    with pytest.raises(ScriptInvalid, match="pink_tuxedo"):
        services.script_style_set(script=script, style={"outfit": "pink_tuxedo"})
    services.script_style_set(script=script, style={"outfit": "teal_blazer", "props": ["coins"]})
    script.refresh_from_db()
    assert script.style == {"outfit": "teal_blazer", "props": ["coins"]}


def test_style_suggestions_prefer_entries_that_suit_the_template(template):
    suggestion = services.style_suggestion(
        template=template("anti-fraud"), topic_text="安全账户诈骗", language="zh-hans"
    )
    assert suggestion.outfit[0].key == "charcoal_suit"
    assert "shield" in suggestion.chosen()["props"]
    assert suggestion.tone[0].key == "formal"
