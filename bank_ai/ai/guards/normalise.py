"""Normalisation and decoding layers shared by the injection and output checks."""

from __future__ import annotations

import base64
import binascii
import html
import re
import unicodedata
from urllib.parse import unquote

# --------------------------------------------------------------------------- normalisation

# Invisible format characters (zero-width, bidi controls, variation selectors, Hangul
# fillers, tag characters) carry nothing a customer or an article needs, but hide text.
INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f]"
)
TAG_RUN_RE = re.compile("[\U000e0020-\U000e007e]{4,}")
# Latin look-alikes from Cyrillic and Greek, after casefolding.
CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһӏոսԛԝοαειкνρτυχ’‘`´",
    "aeopcyxijsdhlnuqwoaeiknptux''''",
)
LEET = str.maketrans("013457@$|!", "oieastasii")
SQUASH_RE = re.compile(r"[\W_]+")
_SPACE_RE = re.compile(r"[ \t\u3000]+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = INVISIBLE_RE.sub("", text)
    return _SPACE_RE.sub(" ", text.casefold().translate(CONFUSABLES))


def compact_text(text: str) -> str:
    """Letters, digits and CJK only: defeats spacing, punctuation, case and width tricks."""
    return SQUASH_RE.sub("", normalise(text))


def language_of(language: str, text: str) -> str:
    lang = (language or "").lower()
    if lang.startswith("zh"):
        return "zh"
    if lang.startswith("en"):
        return "en"
    return "zh" if re.search("[\u4e00-\u9fff]", text) else "en"


# ------------------------------------------------------------------------- decoding layers

_B64_RE = re.compile(r"[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_\-]{16,}={0,2}")
_HEX_ESC_RE = re.compile(r"(?:\\x[0-9a-fA-F]{2}){6,}")
_HEX_RE = re.compile(r"(?:0x)?(?:[0-9a-fA-F]{2}[ :,\-]?){8,}")
_BIN_RE = re.compile(r"(?:[01]{8}[ ,]?){4,}")
_URL_ESC_RE = re.compile(r"%[0-9a-fA-F]{2}")
_U_ESC_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _readable(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text:
        return None
    printable = sum(1 for ch in text if ch.isprintable() or ch in "\n\r\t")
    letters = sum(1 for ch in text if ch.isalpha())
    if printable / len(text) < 0.9 or letters < 4:
        return None
    return text


def decode_layers(text: str) -> list[tuple[str, str]]:
    """``(encoding, decoded text)`` for every chunk that decodes to readable text."""
    found: list[tuple[str, str]] = []
    tags = "".join(chr(ord(ch) - 0xE0000) for run in TAG_RUN_RE.findall(text) for ch in run)
    if tags:
        found.append(("tag_chars", tags))
    # Zero-width characters inside a base64 or hex chunk would otherwise break it up.
    text = INVISIBLE_RE.sub("", text)
    for chunk in _B64_RE.findall(text):
        padded = chunk + "=" * (-len(chunk) % 4)
        for decoder in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                decoded = _readable(decoder(padded))
            except (binascii.Error, ValueError):
                continue
            if decoded:
                found.append(("base64", decoded))
                break
    for chunk in _HEX_ESC_RE.findall(text) + _HEX_RE.findall(text):
        hexdigits = re.sub(r"0x|\\x|[^0-9a-fA-F]", "", chunk)
        if len(hexdigits) % 2:
            hexdigits = hexdigits[:-1]
        decoded = _readable(bytes.fromhex(hexdigits))
        if decoded:
            found.append(("hex", decoded))
    for chunk in _BIN_RE.findall(text):
        bits = re.sub(r"[^01]", "", chunk)
        data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits) - 7, 8))
        decoded = _readable(data)
        if decoded:
            found.append(("binary", decoded))
    if len(_URL_ESC_RE.findall(text)) >= 3:
        found.append(("url", unquote(text)))
    if "&#" in text:
        found.append(("html_entities", html.unescape(text)))
    if len(_U_ESC_RE.findall(text)) >= 3:
        found.append(("unicode_escape", _U_ESC_RE.sub(lambda m: chr(int(m.group(1), 16)), text)))
    return found
