"""Render a :class:`~content.studio.spec.VideoSpec` to an MP4 with the talking avatar.

Pipeline: each scene's narration is cut into subtitle-sized phrases and each phrase is
synthesised on its own, so every subtitle cue is exactly the span of its phrase's audio. The
phrases are laid end to end with short pauses into one WAV. Frames come from
:class:`~content.studio.compose.Composer` (scene layers drawn once, the avatar's mouth driven by
the speech marks' visemes or, without marks, the audio level, burned-in subtitles). Raw rgb24
frames go to one ``ffmpeg`` process, which muxes H.264 (yuv420p, faststart), AAC and a mov_text
subtitle track; a WebVTT file and a JPEG thumbnail are written beside it.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bank_ai.ai.speech import (
    SpeechError,
    SpeechMark,
    SpeechSynthesizer,
    get_synthesizer,
    normalise_language,
    read_wav,
    speakable_text,
    speech_rate,
    split_phrases,
    wav_bytes,
)
from bank_ai.ai.speech.text import is_cjk
from content.studio import drawing
from content.studio.avatar import OUTFITS, POSES
from content.studio.compose import FPS, TONES, Composer, Timeline
from content.studio.spec import (
    MAX_SCRIPT_SECONDS,
    RenderError,
    RenderResult,
    SubtitleCue,
    VideoSpec,
)

LEAD_SECONDS = 0.3  # silence before the first phrase
PHRASE_GAP_SECONDS = 0.15
SCENE_GAP_SECONDS = 0.45
TAIL_SECONDS = 0.5
# x264 speed/size trade-off; measured with bench_video (docs/speech-choice.md).
X264_PRESET = "superfast"


def available_styles() -> dict[str, list[str]]:
    """Every key a :class:`VideoSpec` may use, by kind."""
    return {
        "outfits": list(OUTFITS),
        "backgrounds": list(drawing.BACKGROUNDS),
        "props": list(drawing.PROPS),
        "poses": list(POSES),
        "tones": list(TONES),
    }


def render_video(
    spec: VideoSpec,
    out_dir: Path,
    *,
    synthesizer: SpeechSynthesizer | None = None,
    progress: Callable[[float], None] | None = None,
) -> RenderResult:
    """Synthesise, draw and encode ``spec`` into ``out_dir``; RenderError on bad input.

    Files are named by aspect (``video-16x9.mp4``, ``subtitles-16x9.vtt``,
    ``thumbnail-16x9.jpg``), written under temporary names and moved into place only when the
    whole render succeeded, so a failed render never leaves or clobbers a half-written video.
    """
    started = time.monotonic()
    report = progress or (lambda _fraction: None)
    synthesizer = synthesizer or get_synthesizer()
    language = _validate(spec, synthesizer)
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise RenderError(
            "ffmpeg is not installed (Debian package ffmpeg; `make video-deps` installs it)"
        )
    try:
        drawing.font_path()
    except drawing.FontMissing as error:
        raise RenderError(str(error)) from error

    timeline = _synthesise(spec, language, synthesizer, report)
    if timeline.duration > MAX_SCRIPT_SECONDS:
        raise RenderError(_too_long(timeline.duration))
    width, height = frame_size(spec)
    tag = spec.aspect.replace(":", "x")
    out_dir.mkdir(parents=True, exist_ok=True)
    final = {
        "video": out_dir / f"video-{tag}.mp4",
        "subtitles": out_dir / f"subtitles-{tag}.vtt",
        "thumbnail": out_dir / f"thumbnail-{tag}.jpg",
    }
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".render-") as work_name:
        work = Path(work_name)
        (work / "speech.wav").write_bytes(wav_bytes(timeline.samples, timeline.sample_rate))
        (work / "subtitles.vtt").write_text(webvtt(timeline.cues), encoding="utf-8")
        try:
            composer = Composer(spec, timeline, width, height)
        except OSError as error:  # Pillow's UnidentifiedImageError is an OSError
            raise RenderError(
                _("an image could not be read (logo or photo): %(error)s") % {"error": error}
            ) from error
        composer.thumbnail().save(work / "thumbnail.jpg", quality=88)
        frames = math.ceil(timeline.duration * FPS)
        _encode(ffmpeg, composer, frames, work, language, spec.title, report)
        for kind, target in final.items():
            source = {
                "video": work / "video.mp4",
                "subtitles": work / "subtitles.vtt",
                "thumbnail": work / "thumbnail.jpg",
            }[kind]
            os.replace(source, target)
    report(1.0)
    return RenderResult(
        video_path=final["video"],
        thumbnail_path=final["thumbnail"],
        subtitles_path=final["subtitles"],
        duration=frames / FPS,
        speech_duration=timeline.duration,
        cues=tuple(timeline.cues),
        render_seconds=time.monotonic() - started,
    )


def frame_size(spec: VideoSpec) -> tuple[int, int]:
    """(width, height) in pixels; ``spec.height`` is the short side."""
    short = spec.height
    long = round(short * 16 / 9 / 2) * 2
    return (long, short) if spec.aspect == "16:9" else (short, long)


def estimate_seconds(text: str, language: str) -> float:
    """Speech length of ``text`` at the measured rate of the default voices."""
    if language == "zh-hans":
        units = sum(1 for ch in text if is_cjk(ch) or ch.isdigit()) + len(
            [w for w in text.split() if w.isascii()]
        )
    else:
        units = len(text.split())
    return units / speech_rate(language)


def _validate(spec: VideoSpec, synthesizer: SpeechSynthesizer) -> str:
    """The normalised language; RenderError (in the producer's language) for anything unusable."""
    try:
        language = normalise_language(spec.language)
    except SpeechError:
        language = ""
    if language not in synthesizer.languages():
        raise RenderError(
            _("unsupported language %(language)r: use one of %(languages)s")
            % {"language": spec.language, "languages": ", ".join(sorted(synthesizer.languages()))}
        )
    styles = available_styles()
    checks = [
        (pgettext("video render error", "outfit"), spec.style.outfit, styles["outfits"]),
        (
            pgettext("video render error", "background"),
            spec.style.background,
            styles["backgrounds"],
        ),
        (pgettext("video render error", "tone"), spec.style.tone, styles["tones"]),
        *(
            (pgettext("video render error", "prop"), key, styles["props"])
            for key in spec.style.props
        ),
        *(
            (pgettext("video render error", "scene visual"), scene.visual, styles["backgrounds"])
            for scene in spec.scenes
            if scene.visual
        ),
        *(
            (pgettext("video render error", "avatar pose"), scene.avatar_pose, styles["poses"])
            for scene in spec.scenes
        ),
    ]
    for kind, key, allowed in checks:
        if key not in allowed:
            raise RenderError(
                _("unknown %(kind)s %(key)r: choose one of %(allowed)s")
                % {"kind": kind, "key": key, "allowed": ", ".join(allowed)}
            )
    if spec.aspect not in ("16:9", "9:16"):
        raise RenderError(
            _("unsupported aspect %(aspect)r: use '16:9' or '9:16'") % {"aspect": spec.aspect}
        )
    if not 240 <= spec.height <= 2160 or spec.height % 2:
        raise RenderError(
            _("unsupported height %(height)s: use an even number from 240 to 2160")
            % {"height": spec.height}
        )
    if not spec.scenes:
        raise RenderError(_("the script is empty: it has no scenes"))
    spoken = [speakable_text(scene.narration) for scene in spec.scenes]
    for number, text in enumerate(spoken, start=1):
        if not any(ch.isalnum() for ch in text):
            raise RenderError(
                _("the script is empty: scene %(number)s has no narration to speak")
                % {"number": number}
            )
    estimate = sum(estimate_seconds(text, language) for text in spoken)
    if estimate > MAX_SCRIPT_SECONDS:
        raise RenderError(_too_long(estimate))
    for label, path in (
        (pgettext("video render error", "logo"), spec.logo_path),
        (
            pgettext("video render error", "photo"),
            spec.personalisation and spec.personalisation.photo_path,
        ),
    ):
        if path and not Path(path).is_file():
            raise RenderError(
                _("the %(label)s file %(path)r does not exist")
                % {"label": label, "path": str(path)}
            )
    return language


def _too_long(seconds: float) -> str:
    return _("the script is too long: %(seconds)d s of speech, the limit is %(limit)d s") % {
        "seconds": round(seconds),
        "limit": MAX_SCRIPT_SECONDS,
    }


def _synthesise(
    spec: VideoSpec, language: str, synthesizer: SpeechSynthesizer, report: Callable[[float], None]
) -> Timeline:
    phrases = [
        (index, phrase)
        for index, scene in enumerate(spec.scenes)
        for phrase in split_phrases(speakable_text(scene.narration), language=language)
    ]
    pieces: list[np.ndarray] = []
    timeline = Timeline(samples=np.zeros(0, np.int16), sample_rate=0)
    current_scene = -1
    for done, (scene_index, phrase) in enumerate(phrases):
        try:
            result = synthesizer.synthesize(phrase, language=language)
            samples, rate = read_wav(result.wav)
        except SpeechError as error:
            raise RenderError(
                _("speech synthesis failed for %(phrase)r: %(error)s")
                % {"phrase": phrase, "error": error}
            ) from error
        if not timeline.sample_rate:
            timeline.sample_rate = rate
            pieces.append(np.zeros(round(LEAD_SECONDS * rate), np.int16))
        elif rate != timeline.sample_rate:
            samples = _resample(samples, rate, timeline.sample_rate)
        rate = timeline.sample_rate
        start = sum(len(p) for p in pieces) / rate
        if scene_index != current_scene:
            # A scene's pictures change halfway through the pause before its first phrase.
            timeline.scene_starts.append(
                start - SCENE_GAP_SECONDS / 2 if current_scene >= 0 else 0.0
            )
            current_scene = scene_index
        pieces.append(samples)
        length = len(samples) / rate
        timeline.cues.append(
            SubtitleCue(start=round(start, 3), end=round(start + length, 3), text=phrase)
        )
        timeline.marks.extend(
            SpeechMark(start=start + m.start, end=start + m.end, text=m.text, viseme=m.viseme)
            for m in result.marks
        )
        gap = PHRASE_GAP_SECONDS
        if done + 1 < len(phrases) and phrases[done + 1][0] != scene_index:
            gap = SCENE_GAP_SECONDS
        elif done + 1 == len(phrases):
            gap = TAIL_SECONDS
        pieces.append(np.zeros(round(gap * rate), np.int16))
        report(0.3 * (done + 1) / len(phrases))
    timeline.samples = np.concatenate(pieces)
    timeline.marks.sort(key=lambda mark: mark.start)
    return timeline


def _resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    count = round(len(samples) * target_rate / source_rate)
    positions = np.linspace(0, len(samples) - 1, count)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.int16)


def webvtt(cues: list[SubtitleCue]) -> str:
    def stamp(seconds: float) -> str:
        millis = round(seconds * 1000)
        hours, millis = divmod(millis, 3_600_000)
        minutes, millis = divmod(millis, 60_000)
        secs, millis = divmod(millis, 1000)
        return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"

    blocks = ["WEBVTT", ""]
    for index, cue in enumerate(cues, start=1):
        blocks += [str(index), f"{stamp(cue.start)} --> {stamp(cue.end)}", cue.text, ""]
    return "\n".join(blocks)


def _encode(
    ffmpeg: str,
    composer: Composer,
    frames: int,
    work: Path,
    language: str,
    title: str,
    report: Callable[[float], None],
) -> None:
    width, height = composer.width, composer.height
    command = [
        ffmpeg,
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-framerate",
        str(FPS),
        "-i",
        "pipe:0",
        "-i",
        str(work / "speech.wav"),
        "-i",
        str(work / "subtitles.vtt"),
        "-map",
        "0:v:0",
        "-map",
        "1:a:0",
        "-map",
        "2:s:0",
        "-c:v",
        "libx264",
        "-preset",
        X264_PRESET,
        "-tune",
        "animation",
        "-crf",
        "23",
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(FPS * 2),
        "-c:a",
        "aac",
        "-b:a",
        "96k",
        "-c:s",
        "mov_text",
        "-metadata:s:s:0",
        f"language={'chi' if language == 'zh-hans' else 'eng'}",
        "-metadata",
        f"title={title}",
        "-movflags",
        "+faststart",
        str(work / "video.mp4"),
    ]
    with open(work / "ffmpeg.log", "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
            command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log
        )  # noqa: S603
        assert process.stdin is not None
        try:
            for index in range(frames):
                process.stdin.write(composer.frame(index / FPS))
                if index % FPS == 0:
                    report(0.3 + 0.7 * index / frames)
            process.stdin.close()
        except BrokenPipeError:
            pass
        finally:
            code = process.wait()
    if code != 0:
        message = (work / "ffmpeg.log").read_text(errors="replace").strip().splitlines()[-3:]
        raise RenderError(f"ffmpeg failed (exit {code}): {' / '.join(message)}")
