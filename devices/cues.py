"""Avatar cues computed on the server: what to speak, the face, the hands and the mouth.

Clients only animate what they are told, so every screen of the fleet behaves the same. The
rules are documented in docs/avatar-protocol.md section 4.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

EMOTIONS = ("neutral", "happy", "concerned", "apologetic", "serious")

GESTURES = {
    "show_cards": "present",
    "show_comparison": "present",
    "show_card": "point",
    "show_qr": "point",
    "guide_step": "point",
    "show_form": "point_down",
    "show_ticket": "hand_over",
    "handoff": "bow",
}

_CITATION = re.compile(r"\[\d+\]")
_URL = re.compile(r"https?://\S+")
_TAG = re.compile(r"<[^>]+>")
_MARKDOWN = re.compile(r"[*_`#>|]+")
_SERIOUS = re.compile(
    r"诈骗|骗子|风险|不是存款|投资有风险|谨慎|切勿|不要(向|把|泄露|转账)|冻结|挂失|"
    r"fraud|scam|risk|not (a )?deposits?|never (share|give|tell)|frozen|report (the )?loss",
    re.IGNORECASE,
)
_APOLOGY = re.compile(r"抱歉|对不起|无法|不能|暂时没有|sorry|unable|cannot|can't|don't know")
_THANKS = re.compile(r"谢谢|感谢|欢迎|您好|你好|thank|welcome|hello|hi\b", re.IGNORECASE)

# How far the mouth opens on a speakable character (0 closed .. 1 wide open).
_LATIN_OPENNESS = {"a": 1.0, "o": 1.0, "e": 0.8, "i": 0.55, "u": 0.55, "y": 0.5}
_CONSONANT = 0.25
_CJK = 0.75
_DIGIT = 0.7
CJK_PER_SECOND = 4.5
LATIN_PER_SECOND = 14.0


def speakable(text: str) -> str:
    """The text a voice should say: no markup, citation marks or links."""
    text = html.unescape(_TAG.sub("", text))
    text = _URL.sub("", _CITATION.sub("", text))
    text = _MARKDOWN.sub("", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _is_cjk(char: str) -> bool:
    return "CJK" in unicodedata.name(char, "") or "\u3400" <= char <= "\u9fff"


def mouth_openness(text: str) -> float:
    """Mean openness of the chunk's speakable characters times their share (pauses close it)."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    total = 0.0
    voiced = 0
    for char in chars:
        lower = char.lower()
        if _is_cjk(char):
            total += _CJK
        elif lower in _LATIN_OPENNESS:
            total += _LATIN_OPENNESS[lower]
        elif lower.isascii() and lower.isalpha():
            total += _CONSONANT
        elif char.isdigit():
            total += _DIGIT
        else:
            continue  # punctuation: a pause
        voiced += 1
    if voiced == 0:
        return 0.0
    return round((total / voiced) * (voiced / len(chars)), 2)


def speak_ms(text: str) -> int:
    cjk = sum(1 for c in text if _is_cjk(c))
    latin = sum(1 for c in text if c.isascii() and c.isalnum())
    pauses = sum(1 for c in text if c in "，。！？；,.!?;:：")
    return int(1000 * (cjk / CJK_PER_SECOND + latin / LATIN_PER_SECOND) + 250 * pauses)


def emotion(
    *,
    answer_text: str = "",
    customer_sentiment: str | None = None,
    customer_angry: bool = False,
    status: str = "active",
    interrupted: bool = False,
    actions: Iterable[dict[str, Any]] = (),
    greeting: bool = False,
) -> str:
    """The face for an answer: empathy for an unhappy customer first, then the answer's tone."""
    kinds = {action.get("type") for action in actions}
    if customer_angry or customer_sentiment == "negative":
        return "concerned"
    if status == "handed_over" or "handoff" in kinds:
        return "concerned"
    if interrupted:
        return "apologetic"
    if _SERIOUS.search(answer_text):
        return "serious"
    if _APOLOGY.search(answer_text):
        return "apologetic"
    if greeting or customer_sentiment == "positive" or _THANKS.search(answer_text[:40]):
        return "happy"
    return "neutral"


def gesture(actions: Iterable[dict[str, Any]] = (), *, greeting: bool = False) -> str:
    for action in actions:
        mapped = GESTURES.get(str(action.get("type")))
        if mapped:
            return mapped
    return "wave" if greeting else "nod"


def cue(text: str, *, emotion_name: str = "neutral", gesture_name: str = "talk") -> dict[str, Any]:
    spoken = speakable(text)
    return {
        "speak": spoken,
        "emotion": emotion_name,
        "gesture": gesture_name,
        "mouth": mouth_openness(spoken),
        "speak_ms": speak_ms(spoken),
    }


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;\n])|(?<=[.,，、:：] )")


def chunks(text: str, size: int = 24) -> list[str]:
    """Split a finished reply into speakable chunks (sentences, long ones cut at `size`)."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > size:
            cut = sentence.rfind(" ", 0, size)
            cut = cut if cut > size // 2 else size
            pieces.append(sentence[:cut])
            sentence = sentence[cut:]
        if sentence:
            pieces.append(sentence)
    return pieces
