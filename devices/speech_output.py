"""Server speech for the avatar: the answer read aloud by the server's `SpeechSynthesizer`.

A device whose browser has no voice for the session's language asks for it (`speech: "server"`
in `session.start`/`session.resume`, or the device capability `server_speech`). The answer is
then spoken sentence by sentence while it streams: each complete sentence of the `answer.delta`
text is synthesised at once and sent as a `speech.audio` frame (base64 WAV plus the
synthesizer's timed visemes, which drive the mouth), so the avatar starts speaking before the
answer is finished. An answer that was not streamed (a greeting, the reply to a button) is
spoken from its `answer.done` text. Speech frames are live only: they are not stored or replayed.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from bank_ai.ai.speech import SpeechError, get_synthesizer, speakable_text, split_phrases

# A sentence is complete once its end mark is followed by anything (more text or a space):
# "3.5%" must not be cut at its decimal point while the "5" is still to come.
_SENTENCE_END = re.compile(r"[。！？!?；;…\n]|[.](?=\s)")


class SentenceBuffer:
    """Streamed text in, complete sentences out."""

    def __init__(self) -> None:
        self.pending = ""

    def feed(self, text: str) -> list[str]:
        self.pending += text
        last = None
        for match in _SENTENCE_END.finditer(self.pending):
            last = match
        if last is None:
            return []
        done, self.pending = self.pending[: last.end()], self.pending[last.end() :]
        return _sentences(done)

    def flush(self) -> list[str]:
        done, self.pending = self.pending, ""
        return _sentences(done)


def _sentences(text: str) -> list[str]:
    spoken = speakable_text(text)
    if not spoken:
        return []
    # Long sentences are cut at commas so the first audio arrives sooner.
    return split_phrases(spoken, language="zh-hans" if _mostly_cjk(spoken) else "en")


def _mostly_cjk(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk * 2 >= sum(1 for ch in text if ch.isalnum())


def sentences_of(text: str) -> list[str]:
    """A whole answer's text as the sentences to speak."""
    return _sentences(text)


@dataclass(frozen=True)
class SpokenPart:
    """One sentence to synthesise: of an answer (its `seq`) or of an announcement (`ref`, the
    client's `speech.say` id; `last` marks its final sentence)."""

    text: str
    language: str
    index: int
    session_id: Any = None
    seq: int | None = None
    ref: str | None = None
    last: bool = False


def speech_frame(part: SpokenPart) -> dict[str, Any]:
    """A `speech.audio` frame for one sentence (SpeechError when it cannot be spoken)."""
    result = get_synthesizer().synthesize(part.text, language=part.language)
    if part.seq is not None:
        about: dict[str, Any] = {"session_id": str(part.session_id), "seq": part.seq}
    else:
        about = {"ref": part.ref, "last": part.last}
    return {
        "type": "speech.audio",
        **about,
        "index": part.index,
        "text": part.text,
        "language": result.language,
        "voice": result.voice,
        "format": "wav",
        "sample_rate": result.sample_rate,
        "duration": round(result.duration, 3),
        "audio": base64.b64encode(result.wav).decode("ascii"),
        "marks": [
            {"start": mark.start, "end": mark.end, "viseme": mark.viseme}
            for mark in result.marks
            if mark.end > mark.start
        ],
    }


__all__ = ["SentenceBuffer", "SpeechError", "SpokenPart", "sentences_of", "speech_frame"]
