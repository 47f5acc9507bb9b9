"""Frames for the renderer: layers drawn once per scene, the avatar composited per mouth shape.

A frame is the scene's still layer (background, logo, title, on-screen text, props, the
manager's card, the risk disclosure) with an avatar patch pasted in and, while a phrase is
spoken, its subtitle blended over the bottom. Avatar patches are cached per (scene, mouth shape,
blink, smile, breathing offset) and consecutive identical frames reuse the same bytes, so most
frames cost one array copy.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np
from django.utils import translation
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw

from bank_ai.ai.speech import SpeechMark, mouth_shape, speakable_text
from content.studio import drawing
from content.studio.avatar import avatar_sprite
from content.studio.spec import SubtitleCue, VideoSpec

FPS = 25
TONES = {"friendly": 1.0, "formal": 0.5, "energetic": 1.6}  # idle-motion amplitude
BLINK_EVERY_SECONDS = 4.2
BLINK_FRAMES = 3
PATCH_CACHE_SIZE = 96


@dataclass
class Timeline:
    samples: np.ndarray
    sample_rate: int
    marks: list[SpeechMark] = field(default_factory=list)
    cues: list[SubtitleCue] = field(default_factory=list)
    scene_starts: list[float] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


class Composer:
    """Builds frames: cached scene layers + cached avatar patches + subtitle overlays."""

    def __init__(self, spec: VideoSpec, timeline: Timeline, width: int, height: int) -> None:
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


def _levels(timeline: Timeline) -> np.ndarray:
    """Loudness per frame in 0…1, for providers that give no marks."""
    per_frame = max(1, timeline.sample_rate // FPS)
    count = math.ceil(len(timeline.samples) / per_frame)
    padded = np.zeros(count * per_frame, np.float32)
    padded[: len(timeline.samples)] = timeline.samples
    rms = np.sqrt(np.mean(padded.reshape(count, per_frame) ** 2, axis=1))
    loud = np.percentile(rms[rms > 0], 95) if np.any(rms > 0) else 1.0
    return np.clip(rms / max(loud, 1.0), 0.0, 1.0)
