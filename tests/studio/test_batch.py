"""Render batches: one task per video, retries that never block the rest, personal videos."""

from __future__ import annotations

from pathlib import Path

import pytest
from django_q.models import Schedule

from content.models import RenderItem, WealthManager
from content.studio import services
from content.studio.spec import RenderError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def second(producer, officer, template):
    script = services.script_generate(
        topic=None,
        template=template("campaign"),
        language="en",
        target_seconds=30,
        user=producer,
        title="Year-end cashback",
    )
    services.script_submit(script=script, user=producer)
    return services.script_approve(script=script, user=officer)


def test_a_failing_video_is_retried_and_never_blocks_the_rest(
    approved, second, producer, media, renderer
):
    renderer.failing[approved.title] = OSError("ffmpeg died")
    batch = services.render_batch_create(scripts=[approved, second], user=producer)
    for item in batch.items.all():
        services.render_item_run(item_id=item.pk, renderer=renderer)
    failed = batch.items.get(script=approved)
    done = batch.items.get(script=second)
    assert (failed.status, failed.attempts) == (RenderItem.Status.RETRYING, 1)
    assert "ffmpeg died" in failed.last_error
    assert Schedule.objects.filter(name=f"render-video-{failed.pk}-retry-1").exists()
    assert done.status == RenderItem.Status.DONE
    assert (media / done.video).exists()

    del renderer.failing[approved.title]
    retried = services.render_item_run(item_id=failed.pk, renderer=renderer)
    assert (retried.status, retried.attempts) == (RenderItem.Status.DONE, 2)


def test_a_video_fails_for_good_after_its_last_attempt(approved, producer, media, renderer):
    renderer.failing[approved.title] = OSError("disk full")
    item = services.render_batch_create(scripts=[approved], user=producer).items.get()
    for _ in range(item.max_attempts):
        item = services.render_item_run(item_id=item.pk, renderer=renderer)
    assert (item.status, item.attempts) == (RenderItem.Status.FAILED, 3)
    assert services.render_item_run(item_id=item.pk, renderer=renderer).attempts == 3


def test_bad_input_fails_at_once_with_the_renderers_reason(approved, producer, media, renderer):
    renderer.failing[approved.title] = RenderError("unsupported outfit 'x'")
    item = services.render_batch_create(scripts=[approved], user=producer).items.get()
    item = services.render_item_run(item_id=item.pk, renderer=renderer)
    assert (item.status, item.attempts, item.last_error) == (
        RenderItem.Status.FAILED,
        1,
        "unsupported outfit 'x'",
    )


def test_progress_is_recorded_as_the_video_renders(approved, producer, media, renderer):
    seen = []

    def watching(spec, out_dir, *, progress=None, **kw):
        def spy(fraction):
            progress(fraction)
            seen.append(RenderItem.objects.get(pk=item.pk).progress)

        return renderer(spec, out_dir, progress=spy)

    item = services.render_batch_create(scripts=[approved], user=producer).items.get()
    services.render_item_run(item_id=item.pk, renderer=watching)
    assert seen == [0.25, 0.5, 1.0]


def test_a_personal_batch_renders_one_video_per_wealth_manager(approved, producer, media, renderer):
    managers = list(WealthManager.objects.all())
    batch = services.render_batch_create(scripts=[approved], managers=managers, user=producer)
    assert batch.kind == "personalised"
    for item in batch.items.all():
        services.render_item_run(item_id=item.pk, renderer=renderer)
    names = sorted(spec.personalisation.name for spec in renderer.specs)
    assert names == sorted(m.name for m in managers)
    assert {spec.personalisation.qr_payload for spec in renderer.specs} == {
        m.qr_payload for m in managers
    }


def test_the_spec_carries_the_approved_version_and_style(approved, producer, media, renderer):
    item = services.render_batch_create(scripts=[approved], user=producer).items.get()
    spec = services.video_spec(item)
    assert [s.narration for s in spec.scenes] == [
        s["narration"] for s in approved.approved_version.scenes
    ]
    assert spec.style.outfit == approved.style["outfit"]
    assert spec.language == "zh-hans"


@pytest.mark.slow
def test_a_two_scene_script_renders_a_real_video(producer, officer, template, media):
    script = services.script_generate(
        topic=None,
        template=template("campaign"),
        language="en",
        target_seconds=30,
        user=producer,
        title="Cashback",
    )
    services.script_edit(
        script=script,
        user=producer,
        scenes=[
            {"narration": "Good news for card holders.", "on_screen_text": "Cashback"},
            {"narration": "See the campaign page for the terms.", "avatar_pose": "point"},
        ],
    )
    services.script_submit(script=script, user=producer)
    script = services.script_approve(script=script, user=officer)
    item = services.render_batch_create(scripts=[script], user=producer).items.get()
    item = services.render_item_run(item_id=item.pk)
    assert item.status == RenderItem.Status.DONE, item.last_error
    assert Path(media / item.video).stat().st_size > 10_000
    assert 2 < item.duration < 20
