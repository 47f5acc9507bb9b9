"""Render a :class:`~content.studio.spec.VideoSpec` to an MP4 with the talking avatar.

Pipeline: each scene's narration is cut into subtitle-sized phrases and each phrase is
synthesised on its own, so every subtitle cue is exactly the span of its phrase's audio. The
phrases are laid end to end with short pauses into one WAV. Frames are composed from layers
drawn once per scene (background, logo, texts, props, card, disclosure) plus an avatar sprite
chosen per frame by the speech marks' visemes (or the audio level when a provider gives no
marks), and burned-in subtitles. Raw rgb24 frames go to one ``ffmpeg`` process, which muxes
H.264 (yuv420p, faststart), AAC and a mov_text subtitle track; a WebVTT file and a JPEG
thumbnail are written beside it. Consecutive identical frames are written from the same bytes,
and every distinct avatar/background combination is composited once.
"""

from __future__ import annotations

import bisect
import math
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from PIL import Image, ImageDraw

from bank_ai.ai.speech import (
    SpeechError,
    SpeechMark,
    SpeechSynthesizer,
    get_synthesizer,
    mouth_shape,
    normalise_language,
    read_wav,
    speakable_text,
    speech_rate,
    split_phrases,
    wav_bytes,
)
from bank_ai.ai.speech.text import is_cjk
from content.studio import drawing
from content.studio.avatar import OUTFITS, POSES, avatar_sprite
from content.studio.spec import (
    MAX_SCRIPT_SECONDS,
    RenderError,
    RenderResult,
    SubtitleCue,
    VideoSpec,
)

FPS = 25
LEAD_SECONDS = 0.3  # silence before the first phrase
PHRASE_GAP_SECONDS = 0.15
SCENE_GAP_SECONDS = 0.45
TAIL_SECONDS = 0.5
TONES = {"friendly": 1.0, "formal": 0.5, "energetic": 1.6}  # idle-motion amplitude
BLINK_EVERY_SECONDS = 4.2
BLINK_FRAMES = 3
# x264 speed/size trade-off; measured with bench_video (docs/speech-choice.md).
X264_PRESET = "superfast"
PATCH_CACHE_SIZE = 96


def available_styles() -> dict[str, list[str]]:
    """Every key a :class:`VideoSpec` may use, by kind."""
    return {
        "outfits": list(OUTFITS),
        "backgrounds": list(drawing.BACKGROUNDS),
        "props": list(drawing.PROPS),
        "poses": list(POSES),
        "tones": list(TONES),
    }


@dataclass
class _Timeline:
    samples: np.ndarray
    sample_rate: int
    marks: list[SpeechMark] = field(default_factory=list)
    cues: list[SubtitleCue] = field(default_factory=list)
    scene_starts: list[float] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


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
        composer = _Composer(spec, timeline, width, height)
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
) -> _Timeline:
    phrases = [
        (index, phrase)
        for index, scene in enumerate(spec.scenes)
        for phrase in split_phrases(speakable_text(scene.narration), language=language)
    ]
    pieces: list[np.ndarray] = []
    timeline = _Timeline(samples=np.zeros(0, np.int16), sample_rate=0)
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
    composer: _Composer,
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


class _Composer:
    """Builds frames: cached scene layers + cached avatar patches + subtitle overlays."""

    def __init__(self, spec: VideoSpec, timeline: _Timeline, width: int, height: int) -> None:
        self.spec = spec
        self.timeline = timeline
        self.width, self.height = width, height
        self.portrait = spec.aspect == "9:16"
        self.amplitude = (
            max(1, round(height * 0.003 * TONES[spec.style.tone]))
            if not self.portrait
            else max(1, round(width * 0.003 * TONES[spec.style.tone]))
        )
        avatar_height = round(height * 0.55) if self.portrait else round(height * 0.92)
        self.avatar_height = avatar_height
        avatar_width = round(avatar_height * 320 / 360)
        centre = width / 2 if self.portrait else width * 0.76
        self.avatar_x = round(centre - avatar_width / 2)
        self.avatar_y = height - avatar_height + self.amplitude + 1
        self.mark_starts = [mark.start for mark in timeline.marks]
        self.cue_starts = [cue.start for cue in timeline.cues]
        self.levels = None if timeline.marks else _levels(timeline)
        with translation.override(spec.language):
            self.bank_name = _("Harbour Bank")  # the video's language, not the producer's
        self.bases = [self._scene_layer(index) for index in range(len(spec.scenes))]
        self.patches: dict[tuple, np.ndarray] = {}
        self.overlays: dict[int, tuple[int, int, np.ndarray, np.ndarray]] = {}
        self.last_key: tuple | None = None
        self.last_frame = b""

    # --- per frame ---------------------------------------------------------------------------
    def frame(self, t: float) -> bytes:
        scene = max(0, bisect.bisect_right(self.timeline.scene_starts, t) - 1)
        cue = self._cue_at(t)
        viseme = self._viseme_at(t)
        blink = int(t * FPS) % round(BLINK_EVERY_SECONDS * FPS) < BLINK_FRAMES
        bob = round(self.amplitude * math.sin(2 * math.pi * t / (2.5 if cue is not None else 4.0)))
        key = (scene, viseme, blink, cue is None, bob, cue)
        if key == self.last_key:
            return self.last_frame
        frame = self.bases[scene].copy()
        (top, left), patch = self._avatar_patch(scene, viseme, blink, cue is None, bob)
        frame[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
        if cue is not None:
            y0, x0, alpha, colour = self._subtitle(cue)
            region = frame[y0 : y0 + alpha.shape[0], x0 : x0 + alpha.shape[1]]
            region[:] = (region * (1.0 - alpha) + colour).astype(np.uint8)
        self.last_key, self.last_frame = key, frame.tobytes()
        return self.last_frame

    def _cue_at(self, t: float) -> int | None:
        index = bisect.bisect_right(self.cue_starts, t) - 1
        if index >= 0 and t < self.timeline.cues[index].end:
            return index
        return None

    def _viseme_at(self, t: float) -> str:
        if self.levels is not None:
            level = self.levels[min(len(self.levels) - 1, int(t * FPS))]
            return (
                "rest"
                if level < 0.08
                else "narrow"
                if level < 0.3
                else "mid"
                if level < 0.6
                else "open"
            )
        index = bisect.bisect_right(self.mark_starts, t) - 1
        if index >= 0 and t < self.timeline.marks[index].end:
            return self.timeline.marks[index].viseme or "mid"
        return "rest"

    def _avatar_patch(
        self, scene: int, viseme: str, blink: bool, smile: bool, bob: int
    ) -> tuple[tuple[int, int], np.ndarray]:
        """The box of the frame the avatar covers (its top-left and pixels), composited over the
        scene layer. At most ``PATCH_CACHE_SIZE`` are kept (~1 MB each at 720p)."""
        key = (scene, viseme, blink, smile, bob)
        top = max(0, self.avatar_y - self.amplitude)
        left = max(0, self.avatar_x)
        if key not in self.patches:
            if len(self.patches) >= PATCH_CACHE_SIZE:
                self.patches.clear()
            opening, width = mouth_shape(viseme)
            pose = self.spec.scenes[scene].avatar_pose
            sprite = avatar_sprite(
                self.avatar_height,
                self.spec.style.outfit,
                pose,
                opening,
                width,
                blink,
                smile and self.spec.style.tone != "formal",
            )
            right = min(self.width, self.avatar_x + sprite.width)
            box = self.bases[scene][top:, left:right]
            rows = Image.fromarray(box)
            rows.paste(sprite, (self.avatar_x - left, self.avatar_y + bob - top), sprite)
            patch = np.array(rows)
            if self.disclosure_height:  # the risk disclosure stays in front of the avatar
                patch[-self.disclosure_height :] = box[-self.disclosure_height :]
            self.patches[key] = patch
        return (top, left), self.patches[key]

    def _subtitle(self, cue: int) -> tuple[int, int, np.ndarray, np.ndarray]:
        if cue not in self.overlays:
            w, h = self.width, self.height
            size = round((w if self.portrait else h) * (0.042 if self.portrait else 0.045))
            face = drawing.font(size)
            lines = drawing.wrap(
                self.timeline.cues[cue].text, face, round(w * 0.84), 3 if self.portrait else 2
            )
            line_height = round(size * 1.35)
            pad = round(size * 0.6)
            box_w = round(max(face.getlength(line) for line in lines)) + 2 * pad
            box_h = line_height * len(lines) + pad
            image = Image.new("RGBA", (box_w, box_h), (0, 0, 0, 0))
            draw = ImageDraw.Draw(image)
            draw.rounded_rectangle(
                [0, 0, box_w - 1, box_h - 1], radius=size // 3, fill=(8, 20, 36, 175)
            )
            for index, line in enumerate(lines):
                draw.text(
                    (box_w / 2, pad // 2 + line_height * index + line_height / 2),
                    line,
                    font=face,
                    fill=(255, 255, 255, 255),
                    anchor="mm",
                )
            bottom = self.height - self.disclosure_height - round(h * 0.03)
            rgba = np.asarray(image).astype(np.float32)
            alpha = rgba[..., 3:4] / 255.0
            self.overlays[cue] = (bottom - box_h, (w - box_w) // 2, alpha, rgba[..., :3] * alpha)
        return self.overlays[cue]

    # --- once per scene ----------------------------------------------------------------------
    def _scene_layer(self, index: int) -> np.ndarray:
        spec, scene = self.spec, self.spec.scenes[index]
        w, h = self.width, self.height
        key = scene.visual or spec.style.background
        dark = key in drawing.DARK_BACKGROUNDS
        ink = (255, 255, 255, 255) if dark else (*drawing.BRAND_DARK, 255)
        image = drawing.background(key, w, h).copy().convert("RGBA")
        unit = w if self.portrait else h
        margin = round(unit * 0.035)
        # Header: logo (on a light plate, so any logo reads on any background) and the title.
        logo_h = round(unit * (0.07 if self.portrait else 0.075))
        logo = (
            drawing.fit_logo(spec.logo_path, w // 3, logo_h)
            if spec.logo_path
            else drawing.default_logo(logo_h, self.bank_name)
        )
        plate = Image.new(
            "RGBA", (logo.width + margin, logo.height + margin // 2), (255, 255, 255, 225)
        )
        plate.alpha_composite(logo, (margin // 2, margin // 4))
        image.alpha_composite(plate, (margin, margin))
        title_size = round(unit * 0.032)
        drawing.draw_text_block(
            image,
            spec.title,
            (margin * 2 + plate.width, margin + (plate.height - title_size) // 2, w - margin, h),
            size=title_size,
            fill=ink,
            max_lines=1,
        )
        # On-screen text, with the bank's gold accent bar.
        text_top = round(h * 0.09) if self.portrait else round(h * 0.2)
        text_box = (
            (margin * 2, text_top, w - margin * 2, round(h * 0.27))
            if self.portrait
            else (margin * 2, text_top, round(w * 0.55), round(h * 0.5))
        )
        bottom = text_top
        if scene.on_screen_text:
            size = round(unit * (0.06 if self.portrait else 0.062))
            bottom = drawing.draw_text_block(
                image,
                scene.on_screen_text,
                (text_box[0] + margin, text_top, text_box[2], text_box[3]),
                size=size,
                fill=ink,
                max_lines=3,
                shadow=dark,
            )
            ImageDraw.Draw(image).rectangle(
                [text_box[0], text_top, text_box[0] + max(4, margin // 4), bottom - size // 4],
                fill=(*drawing.GOLD, 255),
            )
        self.disclosure_height = self._disclosure(image, margin)
        # Props: beside the avatar (portrait), or under the on-screen text, in a row.
        prop_size = round(unit * (0.2 if self.portrait else 0.17))
        x = margin * 2
        for number, key_name in enumerate(spec.style.props):
            item = drawing.prop(key_name, prop_size)
            if self.portrait:
                position = (w - margin - item.width, round(h * 0.5) + number * (prop_size + margin))
            else:
                position = (x, max(bottom, round(h * 0.3)) + margin)
                x += item.width + margin
            image.alpha_composite(item, position)
        if spec.personalisation:
            self._card(image, margin, bottom)
        return np.ascontiguousarray(np.asarray(image.convert("RGB")))

    def _disclosure(self, image: Image.Image, margin: int) -> int:
        if not self.spec.disclosure:
            return 0
        w, h = self.width, self.height
        size = max(11, round((w if self.portrait else h) * 0.024))
        lines = drawing.wrap(
            speakable_text(self.spec.disclosure), drawing.font(size), w - 2 * margin, 3
        )
        strip_h = round(size * 1.3) * len(lines) + size // 2
        strip = Image.new("RGBA", (w, strip_h), (250, 246, 232, 240))
        ImageDraw.Draw(strip).rectangle([0, 0, w, max(2, size // 8)], fill=(*drawing.GOLD, 255))
        drawing.draw_text_block(
            strip,
            "\n".join(lines),
            (margin, size // 4, w - margin, strip_h),
            size=size,
            fill=(0x5C, 0x45, 0x0F, 255),
            max_lines=3,
        )
        image.alpha_composite(strip, (0, h - strip_h))
        return strip_h

    def _card(self, image: Image.Image, margin: int, text_bottom: int) -> None:
        person = self.spec.personalisation
        assert person is not None
        w, h = self.width, self.height
        width = w - 4 * margin if self.portrait else round(w * 0.4)
        card = drawing.personal_card(
            name=person.name,
            title=person.title,
            contact=person.contact,
            qr_payload=person.qr_payload,
            photo_path=person.photo_path,
            width=width,
        )
        if self.portrait:
            position = (2 * margin, max(text_bottom + margin, round(h * 0.28)))
        else:
            position = (2 * margin, h - self.disclosure_height - round(h * 0.2) - card.height)
        image.alpha_composite(card, position)

    def thumbnail(self) -> Image.Image:
        """The first scene with the avatar smiling, without subtitles."""
        (top, left), patch = self._avatar_patch(0, "rest", False, True, 0)
        frame = self.bases[0].copy()
        frame[top : top + patch.shape[0], left : left + patch.shape[1]] = patch
        image = Image.fromarray(frame)
        image.thumbnail((640, 640), Image.Resampling.LANCZOS)
        return image


def _levels(timeline: _Timeline) -> np.ndarray:
    """Loudness per frame in 0…1, for providers that give no marks."""
    per_frame = max(1, timeline.sample_rate // FPS)
    count = math.ceil(len(timeline.samples) / per_frame)
    padded = np.zeros(count * per_frame, np.float32)
    padded[: len(timeline.samples)] = timeline.samples
    rms = np.sqrt(np.mean(padded.reshape(count, per_frame) ** 2, axis=1))
    loud = np.percentile(rms[rms > 0], 95) if np.any(rms > 0) else 1.0
    return np.clip(rms / max(loud, 1.0), 0.0, 1.0)
