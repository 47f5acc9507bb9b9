"""The video renderer: ffprobe-checked output, subtitle timing, lip-sync and bad input."""

from __future__ import annotations

import ctypes.util
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from django.utils import translation
from PIL import Image

from bank_ai.ai.speech import SpeechError, SpeechResult, read_wav
from content.studio.compose import Composer
from content.studio.render import available_styles, render_video, webvtt
from content.studio.spec import (
    AvatarStyle,
    Personalisation,
    RenderError,
    SceneSpec,
    VideoSpec,
)


def _has_chinese_font() -> bool:
    from content.studio import drawing

    try:
        drawing.font_path()
    except drawing.FontMissing:
        return False
    return True


pytestmark = [
    pytest.mark.skipif(
        not _has_chinese_font(),
        reason="no font with Chinese glyphs (make video-deps installs Debian's fonts-wqy-zenhei)",
    ),
    pytest.mark.skipif(
        shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
        reason="ffmpeg is not installed (make video-deps installs Debian's ffmpeg)",
    ),
    pytest.mark.skipif(
        not ctypes.util.find_library("espeak-ng"),
        reason="libespeak-ng is not installed (make video-deps installs Debian's espeak-ng)",
    ),
]


@pytest.fixture(autouse=True)
def _english_errors():  # noqa: ANN202
    # The project's default language is Chinese; these tests read the English messages.
    with translation.override("en"):
        yield


ZH_SCENES = (
    SceneSpec(
        narration="欢迎来到<b>海港银行</b>。我们的新信用卡，每一笔消费都有现金返还。",
        on_screen_text="每笔消费 现金返还",
        avatar_pose="present",
    ),
    SceneSpec(
        narration="首年免年费，利率低至3.5%。", on_screen_text="首年免年费", visual="studio_blue"
    ),
)


def _espeak():  # noqa: ANN202
    from bank_ai.ai.speech.espeak import EspeakSynthesizer

    return EspeakSynthesizer()


def _probe(path: Path) -> dict:
    output = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-count_packets",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


@pytest.fixture(scope="module")
def zh_landscape(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    out = tmp_path_factory.mktemp("zh")
    logo = out / "logo.png"
    Image.new("RGB", (200, 60), (200, 30, 40)).save(logo)
    photo = out / "photo.jpg"
    Image.new("RGB", (120, 160), (90, 120, 160)).save(photo)
    spec = VideoSpec(
        title="海港银行信用卡",
        language="zh-hans",
        scenes=ZH_SCENES,
        style=AvatarStyle(outfit="teal_blazer", props=("credit_card", "chart")),
        height=360,
        disclosure="理财有风险，投资需谨慎。",
        logo_path=logo,
        personalisation=Personalisation(
            name="李娜",
            title="财富顾问",
            contact="021-5555 0100",
            qr_payload="https://harbour.example/li-na",
            photo_path=photo,
        ),
    )
    progress: list[float] = []
    result = render_video(spec, out, synthesizer=_espeak(), progress=progress.append)
    return spec, result, progress


@pytest.fixture(scope="module")
def en_portrait(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    out = tmp_path_factory.mktemp("en")
    spec = VideoSpec(
        title="Mobile banking",
        language="en",
        scenes=(
            SceneSpec(
                narration="Check your statement in the app. Set up automatic repayment today."
            ),
        ),
        aspect="9:16",
        height=360,
    )
    return spec, render_video(spec, out, synthesizer=_espeak())


def test_a_landscape_video_has_h264_aac_and_a_subtitle_track(zh_landscape) -> None:  # noqa: ANN001
    _, result, _ = zh_landscape
    streams = {s["codec_type"]: s for s in _probe(result.video_path)["streams"]}
    assert streams["video"]["codec_name"] == "h264"
    assert streams["video"]["pix_fmt"] == "yuv420p"
    assert (streams["video"]["width"], streams["video"]["height"]) == (640, 360)
    assert streams["audio"]["codec_name"] == "aac"
    assert streams["subtitle"]["codec_name"] == "mov_text"
    assert int(streams["subtitle"]["nb_read_packets"]) >= len(result.cues)


def test_a_portrait_video_is_nine_by_sixteen(en_portrait) -> None:  # noqa: ANN001
    _, result = en_portrait
    video = next(s for s in _probe(result.video_path)["streams"] if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (360, 640)


def test_the_video_lasts_as_long_as_the_speech(zh_landscape, en_portrait) -> None:  # noqa: ANN001
    for result in (zh_landscape[1], en_portrait[1]):
        probed = float(_probe(result.video_path)["format"]["duration"])
        assert probed == pytest.approx(result.speech_duration, rel=0.05)
        assert result.duration == pytest.approx(result.speech_duration, rel=0.05)


def test_the_file_starts_with_its_index_for_streaming(zh_landscape) -> None:  # noqa: ANN001
    data = zh_landscape[1].video_path.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")


def test_subtitle_cues_cover_the_speech_of_their_lines_and_nothing_else(zh_landscape) -> None:  # noqa: ANN001
    _, result, _ = zh_landscape
    audio = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-i",
            str(result.video_path),
            "-map",
            "0:a",
            "-ac",
            "1",
            "-ar",
            "16000",
            "-f",
            "wav",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    samples, rate = read_wav(audio)
    loud = np.abs(samples.astype(np.float32)) > 600

    def voiced(start: float, end: float) -> float:
        return float(loud[int(start * rate) : int(end * rate)].mean())

    assert [cue.text for cue in result.cues][:2] == [
        "欢迎来到海港银行。",
        "我们的新信用卡，每一笔消费都有现金返还。",
    ]
    for cue in result.cues:
        assert voiced(cue.start, cue.end) > 0.2
    gaps = [
        (a.end + 0.02, b.start - 0.02) for a, b in zip(result.cues, result.cues[1:], strict=False)
    ]
    for start, end in [(0.0, result.cues[0].start - 0.02), *gaps]:
        assert voiced(start, end) < 0.01


def test_the_webvtt_file_holds_the_same_cues(zh_landscape) -> None:  # noqa: ANN001
    result = zh_landscape[1]
    text = result.subtitles_path.read_text(encoding="utf-8")
    assert text.startswith("WEBVTT")
    assert text == webvtt(list(result.cues))
    assert "00:00:00.300 --> " in text


def test_markup_in_the_narration_is_neither_spoken_nor_shown(zh_landscape) -> None:  # noqa: ANN001
    assert all("<" not in cue.text and "b>" not in cue.text for cue in zh_landscape[1].cues)


def test_the_thumbnail_is_a_jpeg_of_the_first_scene(zh_landscape) -> None:  # noqa: ANN001
    with Image.open(zh_landscape[1].thumbnail_path) as image:
        assert image.format == "JPEG"
        assert image.size == (640, 360)


def test_progress_is_reported_up_to_done(zh_landscape) -> None:  # noqa: ANN001
    progress = zh_landscape[2]
    assert progress == sorted(progress)
    assert progress[-1] == 1.0
    assert len(progress) > 3


# --- lip-sync --------------------------------------------------------------------------------


class ScriptedSynthesizer:
    """A tone per phrase, with or without marks, to check how the mouth follows them."""

    name = "scripted"

    def __init__(self, *, marks: bool) -> None:
        self.with_marks = marks

    def languages(self) -> frozenset[str]:
        return frozenset({"en", "zh-hans"})

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        from bank_ai.ai.speech import SpeechMark, wav_bytes

        rate = 16000
        t = np.arange(rate) / rate
        loudness = np.where(t < 0.5, 0.6, 0.05)  # loud, then quiet
        samples = (loudness * np.sin(2 * np.pi * 200 * t) * 32767).astype(np.int16)
        marks = (
            (SpeechMark(0.0, 0.5, "ah", "open"), SpeechMark(0.5, 1.0, "m", "closed"))
            if self.with_marks
            else ()
        )
        return SpeechResult(wav_bytes(samples, rate), rate, 1.0, marks, language, "scripted")


def _mouth_region(frame: bytes, composer: Composer) -> np.ndarray:
    image = np.frombuffer(frame, np.uint8).reshape(composer.height, composer.width, 3)
    scale = composer.avatar_height / 360
    x = composer.avatar_x + round(160 * scale)
    y = composer.avatar_y + round(190 * scale)
    r = round(20 * scale)
    return image[y - r : y + r, x - r : x + r].astype(np.int16)


@pytest.mark.parametrize("with_marks", [True, False], ids=["visemes", "audio-level"])
def test_the_mouth_opens_when_speaking_and_closes_when_quiet(
    with_marks: bool, tmp_path: Path
) -> None:
    from content.studio import render

    spec = VideoSpec(title="t", language="en", scenes=(SceneSpec(narration="Hello."),), height=360)
    timeline = render._synthesise(
        spec, "en", ScriptedSynthesizer(marks=with_marks), lambda _f: None
    )
    composer = Composer(spec, timeline, 640, 360)
    start = timeline.cues[0].start
    silent = _mouth_region(composer.frame(0.0), composer)
    loud = _mouth_region(composer.frame(start + 0.25), composer)
    quiet = _mouth_region(composer.frame(start + 0.75), composer)

    def mouth_height(region: np.ndarray) -> int:
        # Rows with lip or tongue colour (skin's green channel is ~200, the lips' ~67).
        return int((region[..., 1] < 150).any(axis=1).sum())

    assert mouth_height(loud) > 2 * mouth_height(quiet)
    assert mouth_height(loud) > 2 * mouth_height(silent)


# --- bad input -------------------------------------------------------------------------------


def _spec(**changes: object) -> VideoSpec:
    base = {
        "title": "t",
        "language": "en",
        "scenes": (SceneSpec(narration="Hello there."),),
        "height": 360,
    }
    base.update(changes)
    return VideoSpec(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (_spec(scenes=()), "the script is empty: it has no scenes"),
        (_spec(scenes=(SceneSpec(narration="<b></b> &nbsp;"),)), "scene 1 has no narration"),
        (_spec(scenes=(SceneSpec(narration="word " * 1000),)), "the script is too long"),
        (_spec(language="fr"), "unsupported language 'fr'"),
        (_spec(style=AvatarStyle(outfit="pyjamas")), "unknown outfit 'pyjamas'"),
        (_spec(style=AvatarStyle(props=("sword",))), "unknown prop 'sword'"),
        (
            _spec(scenes=(SceneSpec(narration="Hi.", avatar_pose="dab"),)),
            "unknown avatar pose 'dab'",
        ),
        (_spec(scenes=(SceneSpec(narration="Hi.", visual="moon"),)), "unknown scene visual 'moon'"),
        (_spec(aspect="4:3"), "unsupported aspect '4:3'"),
        (_spec(logo_path=Path("/nonexistent/logo.png")), "the logo file"),
    ],
    ids=[
        "no-scenes",
        "markup-only",
        "too-long",
        "language",
        "outfit",
        "prop",
        "pose",
        "visual",
        "aspect",
        "logo",
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(
    spec: VideoSpec, message: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=message):
        render_video(spec, out, synthesizer=_espeak())
    assert not out.exists()


def test_a_logo_that_is_not_an_image_is_refused_and_nothing_is_left_behind(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_text("not a picture")
    out = tmp_path / "out"
    with pytest.raises(RenderError, match=r"an image could not be read \(logo or photo\)"):
        render_video(_spec(logo_path=logo), out, synthesizer=ScriptedSynthesizer(marks=True))
    assert list(out.iterdir()) == []


def test_errors_are_given_in_the_producers_language(tmp_path: Path) -> None:
    with translation.override("zh-hans"), pytest.raises(RenderError, match="未知的服装 'pyjamas'"):
        render_video(_spec(style=AvatarStyle(outfit="pyjamas")), tmp_path, synthesizer=_espeak())


def test_the_limit_holds_after_synthesis_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from content.studio import render

    monkeypatch.setattr(render, "MAX_SCRIPT_SECONDS", 2)
    with pytest.raises(RenderError, match="too long: 3 s of speech, the limit is 2 s"):
        render_video(
            _spec(scenes=(SceneSpec(narration="Hi."), SceneSpec(narration="Yes."))),
            tmp_path,
            synthesizer=ScriptedSynthesizer(marks=True),
        )


class FailingSynthesizer(ScriptedSynthesizer):
    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult:
        raise SpeechError("the licence server is down")


def test_a_failed_render_keeps_the_previous_video(tmp_path: Path) -> None:
    first = render_video(_spec(), tmp_path, synthesizer=ScriptedSynthesizer(marks=True))
    before = first.video_path.read_bytes()
    with pytest.raises(
        RenderError, match="speech synthesis failed for 'Hello there.': the licence server is down"
    ):
        render_video(_spec(), tmp_path, synthesizer=FailingSynthesizer(marks=True))
    assert first.video_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "subtitles-16x9.vtt",
        "thumbnail-16x9.jpg",
        "video-16x9.mp4",
    ]


def test_available_styles_lists_every_kind_of_key() -> None:
    styles = available_styles()
    assert set(styles) == {"outfits", "backgrounds", "props", "poses", "tones"}
    assert "navy_suit" in styles["outfits"]
    assert "branch_hall" in styles["backgrounds"]
    assert "neutral" in styles["poses"]
