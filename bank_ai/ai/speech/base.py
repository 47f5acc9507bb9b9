"""The speech synthesis interface shared by every provider (see ``__init__`` for the entry points).

A provider turns plain text into a mono 16-bit PCM WAV plus timed marks; the video renderer
drives the avatar's mouth from the marks' visemes and times subtitles from the audio.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from bank_ai.ai.speech.text import speakable_text

LANGUAGES = frozenset({"zh-hans", "en"})
_ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh_hans": "zh-hans",
    "zh-hans": "zh-hans",
    "cmn": "zh-hans",
    "en": "en",
    "en-us": "en",
    "en-gb": "en",
    "en_us": "en",
}


class SpeechError(Exception):
    """Unsupported language, empty text or a provider failure; the message says which."""


@dataclass(frozen=True)
class SpeechMark:
    """One spoken unit (word, syllable or phoneme) with its timing in seconds from the start."""

    start: float
    end: float
    text: str
    viseme: str = ""


@dataclass(frozen=True)
class SpeechResult:
    wav: bytes
    sample_rate: int
    duration: float
    marks: tuple[SpeechMark, ...]
    language: str
    voice: str


@runtime_checkable
class SpeechSynthesizer(Protocol):
    name: str

    def synthesize(self, text: str, *, language: str, voice: str | None = None) -> SpeechResult: ...

    def languages(self) -> frozenset[str]: ...


def normalise_language(language: str) -> str:
    """``zh-hans`` or ``en`` for the spellings people use; SpeechError for anything else."""
    key = (language or "").strip().lower()
    if key not in _ALIASES:
        raise SpeechError(f"unsupported language {language!r}: use one of {sorted(LANGUAGES)}")
    return _ALIASES[key]


def check_request(text: str, language: str, supported: frozenset[str]) -> tuple[str, str]:
    """(normalised language, speakable text) after refusing empty text or a language the
    provider lacks. Every provider speaks only ``speakable_text``, so markup and entities are
    never read aloud whoever calls it."""
    lang = normalise_language(language)
    if lang not in supported:
        raise SpeechError(
            f"this synthesizer does not speak {lang!r} (it speaks {sorted(supported)})"
        )
    spoken = speakable_text(text)
    if not any(ch.isalnum() for ch in spoken):
        raise SpeechError("nothing to say: the text is empty")
    return lang, spoken


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono 16-bit PCM WAV of ``samples`` (int16, or float in [-1, 1])."""
    if samples.dtype != np.int16:
        samples = (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Mono int16 samples and the sample rate of a 16-bit PCM WAV (stereo is mixed down)."""
    try:
        with wave.open(io.BytesIO(data), "rb") as src:
            if src.getsampwidth() != 2:
                raise SpeechError(
                    f"only 16-bit PCM WAV is supported, got {8 * src.getsampwidth()}-bit"
                )
            channels = src.getnchannels()
            rate = src.getframerate()
            frames = src.readframes(src.getnframes())
    except (wave.Error, EOFError) as error:
        raise SpeechError(f"the audio is not a valid WAV file: {error}") from error
    samples = np.frombuffer(frames, dtype=np.int16)
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1).astype(np.int16)
    return samples, rate
