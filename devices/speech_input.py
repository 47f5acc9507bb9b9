"""Spoken questions on the avatar socket: buffering an utterance, then recognising it.

A client opens an utterance with `audio.start`, sends its audio as `audio.chunk` frames
(base64 in JSON, or raw binary websocket frames), and closes it with `audio.end`
(docs/avatar-protocol.md, section 2a). The bytes are only buffered here, within
`ASR_MAX_UTTERANCE_BYTES`; `audio.end` hands them to the AI core's recognizer, bounded to
`ASR_MAX_CONCURRENT` at once per process, and the transcript becomes a `user.text` turn with
`source: asr`. The vocabulary that steers the recognizer is what the screen offers: the labels
of the options, cards, buttons and suggestions in the session's latest answer, and that
answer's own text (the question the customer is answering: Whisper's prompt is meant to be
the preceding text, and the answer to a question reuses its words).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from bank_ai.ai.speech import (
    RecognitionError,
    Transcript,
    check_duration,
    decode_audio,
    get_recognizer,
)
from devices.models import SessionFrame
from devices.protocol import ProtocolError

# Keys of UI actions whose string values are things a customer may say back.
_SAYABLE_KEYS = ("label", "name", "title", "confirm_label", "service", "questions", "question")
MAX_VOCABULARY = 40
MAX_PROMPT_TEXT = 120


def max_utterance_bytes() -> int:
    return int(settings.ASR_MAX_UTTERANCE_BYTES)


@dataclass
class Utterance:
    """The audio of one spoken question as it arrives."""

    audio_format: str
    sample_rate: int | None
    language: str
    step: str
    frame_id: str | None
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0

    def add(self, data: bytes) -> None:
        limit = max_utterance_bytes()
        if self.size + len(data) > limit:
            raise ProtocolError(
                "audio_too_large",
                f"An utterance is limited to {limit} bytes of audio; it was dropped.",
            )
        self.chunks.append(data)
        self.size += len(data)

    def audio(self) -> bytes:
        return b"".join(self.chunks)


def _sayable(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if 0 < len(value) <= 40:
            yield value
    elif isinstance(value, list):
        for item in value:
            yield from _sayable(item)
    elif isinstance(value, dict):
        for key in _SAYABLE_KEYS:
            if key in value:
                yield from _sayable(value[key])
        for nested in ("options", "cards", "fields", "plans", "documents"):
            if isinstance(value.get(nested), list):
                yield from _sayable(value[nested])


def step_vocabulary(session_id: Any) -> list[str]:
    """What the customer is likely to say now: labels shown by the session's latest answer."""
    payload = (
        SessionFrame.objects.filter(
            session_id=session_id, type="answer.done", state=SessionFrame.State.READY
        )
        .order_by("-seq")
        .values_list("payload", flat=True)
        .first()
    )
    if not payload:
        return []
    words = list(dict.fromkeys(_sayable(payload.get("actions") or [])))[:MAX_VOCABULARY]
    question = " ".join(str(payload.get("text") or "").split())[:MAX_PROMPT_TEXT]
    return [*words, question] if question else words


def transcribe_utterance(*, utterance: Utterance, session_id: Any) -> Transcript:
    """The utterance's transcript; ProtocolError with the recognizer's code when it has none
    (bad audio, too long, no speech, busy, unavailable)."""
    try:
        samples = decode_audio(
            utterance.audio(),
            audio_format=utterance.audio_format,
            sample_rate=utterance.sample_rate,
        )
        check_duration(samples, float(settings.ASR_MAX_SECONDS))
        recognizer = get_recognizer()
        return recognizer.transcribe(
            samples, language=utterance.language, vocabulary=step_vocabulary(session_id)
        )
    except RecognitionError as error:
        raise ProtocolError(error.code, error.message) from error
