"""What a studio video is: the contract between the studio's workflow and the renderer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Longest narration a video may have, in seconds of speech (checked before and after synthesis).
MAX_SCRIPT_SECONDS: int = 180


class RenderError(ValueError):
    """Empty script, over-long script, unsupported language or style key; the message says which."""


@dataclass(frozen=True)
class SceneSpec:
    narration: str  # spoken, plain text
    on_screen_text: str = ""  # title/caption shown in the scene
    visual: str = ""  # background key (see available_styles()) or "" for the style's
    avatar_pose: str = "neutral"  # a key of available_styles()["poses"]


@dataclass(frozen=True)
class AvatarStyle:
    outfit: str = "navy_suit"
    background: str = "branch_hall"
    props: tuple[str, ...] = ()
    tone: str = "friendly"


@dataclass(frozen=True)
class Personalisation:
    """A wealth manager's card for personal videos."""

    name: str = ""
    title: str = ""
    contact: str = ""
    qr_payload: str = ""
    photo_path: Path | None = None


@dataclass(frozen=True)
class VideoSpec:
    title: str
    language: str  # "zh-hans" or "en"
    scenes: tuple[SceneSpec, ...]
    style: AvatarStyle = AvatarStyle()
    aspect: str = "16:9"  # or "9:16"
    height: int = 720  # the short side: 16:9 → 1280x720; 9:16 → 720x1280
    disclosure: str = ""  # risk-disclosure overlay text, shown throughout when set
    logo_path: Path | None = None
    personalisation: Personalisation | None = None


@dataclass(frozen=True)
class SubtitleCue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class RenderResult:
    video_path: Path  # .mp4: H.264/AAC + mov_text subtitle stream
    thumbnail_path: Path  # .jpg
    subtitles_path: Path  # .vtt
    duration: float
    speech_duration: float
    cues: tuple[SubtitleCue, ...]
    render_seconds: float
