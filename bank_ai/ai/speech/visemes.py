"""Phonemes → the mouth shapes the avatar draws.

The live avatar (``devices/templates/devices/avatar_figure.html``) has one mouth: an ellipse whose
height and width the client sets from an openness level. The renderer draws the same mouth, so a
viseme here is just a named (openness, width) pair. Eight shapes are enough for a cartoon face
and keep the mapping small enough to check by eye (table in ``docs/speech-choice.md``):

=========  ==========================================  ========  =====
viseme     sounds                                      openness  width
=========  ==========================================  ========  =====
rest       silence, pauses, stress marks               0.00      1.00
closed     m b p                                       0.02      0.95
dental     f v                                         0.12      1.05
narrow     t d n l s z k g h r j ʃ ʒ tʃ dʒ ŋ (most consonants)  0.25  1.00
mid        ə ɚ ʌ ɜ (schwa-like), unknown symbols       0.45      1.00
wide       i ɪ e ɛ æ (spread lips)                     0.50      1.20
open       a ɑ ɒ (jaw open)                            0.85      1.00
round      o ɔ u ʊ w y ɥ (rounded lips)                0.55      0.70
=========  ==========================================  ========  =====

Input can be IPA (Piper), eSpeak NG's phoneme mnemonics (``A``, ``@``, ``N``, ``_|``) or pinyin
finals; the first vowel decides, else the first consonant.
"""

from __future__ import annotations

VISEMES: dict[str, tuple[float, float]] = {
    "rest": (0.0, 1.0),
    "closed": (0.02, 0.95),
    "dental": (0.12, 1.05),
    "narrow": (0.25, 1.0),
    "mid": (0.45, 1.0),
    "wide": (0.5, 1.2),
    "open": (0.85, 1.0),
    "round": (0.55, 0.7),
}

_VOWELS = {
    # IPA (Piper) and eSpeak mnemonics, lower- and upper-case as eSpeak uses both.
    "a": "open",
    "A": "open",
    "ɑ": "open",
    "ɒ": "open",
    "ɐ": "open",
    "æ": "wide",
    "&": "wide",
    "e": "wide",
    "E": "wide",
    "ɛ": "wide",
    "i": "wide",
    "I": "wide",
    "ɪ": "wide",
    "ɨ": "wide",
    "o": "round",
    "O": "round",
    "ɔ": "round",
    "u": "round",
    "U": "round",
    "ʊ": "round",
    "ü": "round",
    "y": "round",
    "Y": "round",
    "ø": "round",
    "œ": "round",
    "ə": "mid",
    "@": "mid",
    "ɚ": "mid",
    "ʌ": "mid",
    "V": "mid",
    "ɜ": "mid",
    "3": "mid",
    "ɤ": "mid",
    "ɯ": "mid",
}
_CONSONANTS = {
    "m": "closed",
    "b": "closed",
    "p": "closed",
    "f": "dental",
    "v": "dental",
    "w": "round",
    "ɥ": "round",
}
_SILENT = set(" _^$ˈˌːˑ.,;:!?|-'\"#%()")


def viseme_for(phoneme: str) -> str:
    """The mouth shape for one phoneme, syllable or pinyin final (``rest`` for silence)."""
    symbol = (phoneme or "").strip()
    if not symbol or all(ch in _SILENT for ch in symbol):
        return "rest"
    for ch in symbol:
        if ch in _VOWELS:
            return _VOWELS[ch]
    for ch in symbol:
        if ch in _SILENT or ch.isdigit():
            continue
        return _CONSONANTS.get(ch, "narrow")
    return "rest"


def mouth_shape(viseme: str) -> tuple[float, float]:
    """(openness 0…1, width factor) of a viseme; unknown names get the neutral ``mid``."""
    return VISEMES.get(viseme, VISEMES["mid"])
