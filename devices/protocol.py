"""The declared schema of bank-avatar/1 (docs/avatar-protocol.md): frames, codes and limits."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from rest_framework import serializers

from bank_ai import json_limits
from bank_ai.ai.speech import AUDIO_FORMATS
from scenarios.dialogue import MAX_TURN_CHARS

PROTOCOL = "bank-avatar/1"
SUBPROTOCOL = "bank-avatar.v1"
MAX_EVENT_DATA_BYTES = 4 * 1024
LANGUAGES = ["zh-hans", "en"]
SPEECH_MODES = ["browser", "server"]

# Close codes (docs section 1). An application may only send 1000 or 3000-4999: daphne's
# websocket library (autobahn) refuses anything else, and a refused close crashes the consumer
# (the client then gets 1011 and the socket's clean-up never runs). So the registered meanings
# of 1008/1009/1011 travel as 4008/4009/4011.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403
CLOSE_BAD_SUBPROTOCOL = 4406
CLOSE_POLICY = 4008
CLOSE_FRAME_TOO_LARGE = 4009
CLOSE_INTERNAL = 4011
# The credential was revoked (or the device disabled) while the socket was open.
CLOSE_REVOKED = 4410


class ProtocolError(Exception):
    """A frame the server refuses; becomes an `error` frame with this code."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


class StrictCharField(serializers.CharField):
    """A string and only a string: the protocol does not coerce numbers or lists into text."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class _Frame(serializers.Serializer):
    id = StrictCharField(max_length=64, required=False, allow_blank=True)


class PingFrame(_Frame):
    nonce = serializers.JSONField(required=False, allow_null=True)

    def validate_nonce(self, value: Any) -> Any:
        if isinstance(value, dict | list) or len(str(value)) > 64:
            raise serializers.ValidationError("nonce must be a scalar of at most 64 characters")
        return value


class PresenceFrame(_Frame):
    """A device's camera saw someone in front of it: whether it recognised the person (a known
    customer, by the device's own face matching). No image and no identity leave the device."""

    recognised = serializers.BooleanField()
    confidence = serializers.FloatField(
        required=False, allow_null=True, min_value=0.0, max_value=1.0
    )


class EchoFrame(_Frame):
    text = StrictCharField(max_length=MAX_TURN_CHARS, trim_whitespace=False)


class SessionStartFrame(_Frame):
    scenario = serializers.SlugField(max_length=40)
    language = serializers.ChoiceField(choices=LANGUAGES, default="zh-hans")
    # "server": the browser has no voice for the language; the server sends `speech.audio`.
    speech = serializers.ChoiceField(choices=SPEECH_MODES, required=False)
    # The signed-in customer, asserted by a device with the customer_identity capability.
    customer_no = StrictCharField(max_length=20, required=False, allow_blank=True, default="")


class SessionResumeFrame(_Frame):
    session_id = serializers.UUIDField()
    last_seq = serializers.IntegerField(min_value=0)
    speech = serializers.ChoiceField(choices=SPEECH_MODES, required=False)


class AudioStartFrame(_Frame):
    format = serializers.ChoiceField(choices=list(AUDIO_FORMATS))
    sample_rate = serializers.IntegerField(min_value=8000, max_value=48000, required=False)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    step = StrictCharField(max_length=40, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["format"] == "pcm_s16le" and "sample_rate" not in attrs:
            raise serializers.ValidationError({"sample_rate": "pcm_s16le needs a sample_rate"})
        return attrs


class AudioChunkFrame(_Frame):
    data = StrictCharField(trim_whitespace=False)

    def validate_data(self, value: str) -> bytes:  # type: ignore[override]
        try:
            decoded = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise serializers.ValidationError("data must be base64") from None
        if not decoded:
            raise serializers.ValidationError("data is empty")
        return decoded


class AudioEndFrame(_Frame):
    pass


class AudioCancelFrame(_Frame):
    pass


# An announcement is a broadcast's text or a called ticket, not a conversation.
MAX_ANNOUNCEMENT_CHARS = 500


class SpeechSayFrame(_Frame):
    """Read an announcement the screen shows aloud (a broadcast, a called ticket) with the
    server's voice: for a screen whose browser has no voice for the language. Answers are
    spoken without asking (`speech: "server"`); this is for what reaches the screen outside
    a conversation, so it needs no session. `id` comes back on every clip."""

    text = StrictCharField(max_length=MAX_ANNOUNCEMENT_CHARS)
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)


class UserTextFrame(_Frame):
    text = StrictCharField(max_length=MAX_TURN_CHARS, trim_whitespace=True)
    source = serializers.ChoiceField(choices=["typed", "asr"], default="typed")
    step = StrictCharField(max_length=40, required=False, allow_blank=True, default="")


class UiEventFrame(_Frame):
    name = serializers.SlugField(max_length=40)
    step = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    data = serializers.DictField(required=False, default=dict)

    def validate_data(self, value: dict[str, Any]) -> dict[str, Any]:
        size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
        if size > MAX_EVENT_DATA_BYTES:
            raise serializers.ValidationError(
                f"data is limited to {MAX_EVENT_DATA_BYTES} bytes (got {size})"
            )
        return value


CLIENT_FRAMES: dict[str, type[serializers.Serializer]] = {
    "ping": PingFrame,
    "echo": EchoFrame,
    "session.start": SessionStartFrame,
    "session.resume": SessionResumeFrame,
    "user.text": UserTextFrame,
    "ui.event": UiEventFrame,
    "audio.start": AudioStartFrame,
    "audio.chunk": AudioChunkFrame,
    "audio.end": AudioEndFrame,
    "audio.cancel": AudioCancelFrame,
    "presence": PresenceFrame,
    "speech.say": SpeechSayFrame,
}


def parse_frame(raw: str, max_bytes: int) -> tuple[str, dict[str, Any]]:
    """Decode and validate one client frame: (type, validated fields) or ProtocolError."""
    if len(raw.encode("utf-8")) > max_bytes:
        raise ProtocolError("frame_too_large", f"Frames are limited to {max_bytes} bytes.")
    try:
        frame = json_limits.loads(raw)
    except json_limits.JSONTooDeep as exc:
        # Parsed, such a frame would crash whatever walks it next (validation, storage).
        raise ProtocolError("malformed", str(exc)) from None
    except (json.JSONDecodeError, RecursionError):
        raise ProtocolError("malformed", "Frames must be JSON objects.") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError("malformed", "Frames must be JSON objects with a string 'type'.")
    kind = frame["type"]
    schema = CLIENT_FRAMES.get(kind)
    if schema is None:
        raise ProtocolError("unknown_type", f"Unknown frame type {kind[:40]!r}.")
    checked = schema(data=frame)
    if not checked.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in checked.errors.items()}
        raise ProtocolError(
            "invalid", f"Invalid {kind} frame.", fields=fields, id=_safe_id(frame.get("id"))
        )
    return kind, dict(checked.validated_data)


def _safe_id(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 64 else None


def error_frame(code: str, message: str, **extra: Any) -> dict[str, Any]:
    frame = {"type": "error", "code": code, "message": message}
    frame.update({k: v for k, v in extra.items() if v is not None})
    return frame
