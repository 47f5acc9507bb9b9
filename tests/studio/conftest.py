"""Fixtures of the video-studio tests: its people, templates, a fake renderer, media in tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from content.models import RenderItem, ScriptTemplate, Topic, VideoScript
from content.studio import services
from content.studio.spec import RenderResult, SubtitleCue


@pytest.fixture
def english() -> Any:
    """Messages are asserted in English whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def producer() -> Any:
    return get_user_model().objects.get(username="producer")


@pytest.fixture
def officer() -> Any:
    return get_user_model().objects.get(username="compliance")


@pytest.fixture
def template() -> Callable[[str], ScriptTemplate]:
    return lambda key: ScriptTemplate.objects.get(key=key)


@pytest.fixture
def fraud_topic() -> Topic:
    return Topic.objects.create(
        title="冒充客服“安全账户”诈骗",
        summary="骗子冒充公检法要求把钱转到安全账户。",
        language="zh-hans",
    )


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def approved(producer: Any, officer: Any, template: Any, fraud_topic: Topic) -> VideoScript:
    script = services.script_generate(
        topic=fraud_topic,
        template=template("anti-fraud"),
        language="zh-hans",
        target_seconds=30,
        user=producer,
    )
    services.script_submit(script=script, user=producer)
    return services.script_approve(script=script, user=officer)


class FakeRenderer:
    """Writes small stand-in files, reports progress, and fails for the titles it is told to."""

    def __init__(self) -> None:
        self.failing: dict[str, Exception] = {}
        self.specs: list[Any] = []

    def __call__(self, spec: Any, out_dir: Path, *, progress: Any = None, **_: Any) -> Any:
        self.specs.append(spec)
        if spec.title in self.failing:
            raise self.failing[spec.title]
        for fraction in (0.25, 0.5, 1.0):
            if progress:
                progress(fraction)
        video = out_dir / "video.mp4"
        video.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"x" * 300_000)
        (out_dir / "video.jpg").write_bytes(b"\xff\xd8\xff")
        (out_dir / "video.vtt").write_text("WEBVTT\n")
        return RenderResult(
            video_path=video,
            thumbnail_path=out_dir / "video.jpg",
            subtitles_path=out_dir / "video.vtt",
            duration=12.4,
            speech_duration=12.0,
            cues=(SubtitleCue(0.0, 12.0, "x"),),
            render_seconds=0.1,
        )


@pytest.fixture
def renderer() -> FakeRenderer:
    return FakeRenderer()


@pytest.fixture
def rendered(
    approved: VideoScript, producer: Any, media: Path, renderer: FakeRenderer
) -> RenderItem:
    batch = services.render_batch_create(scripts=[approved], user=producer)
    return services.render_item_run(item_id=batch.items.get().pk, renderer=renderer)
