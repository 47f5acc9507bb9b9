"""Text for speech: what is read aloud, and how it is cut into subtitle-sized phrases."""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]{0,500}>")
_MARKDOWN = re.compile(r"(\*\*|__|`+|^#{1,6}\s*|^\s*[-*+]\s+|~~)", re.MULTILINE)
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
# Symbols a synthesizer would read out ("less than", "asterisk") or stumble over.
_LEFTOVER = re.compile(r"[<>{}\[\]*_#|~^\\`=]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u3000]+")
# Chinese needs no spaces: the ones left where tags were (欢迎来到 <b>银行</b>) would show in
# subtitles and make eSpeak pause.
_CJK_OR_PUNCT = "[\u3400-\u9fff\uf900-\ufaff，。！？、；：“”（）]"
_CJK_GAP = re.compile(f"(?<={_CJK_OR_PUNCT}) (?={_CJK_OR_PUNCT})")


def speakable_text(text: str) -> str:
    """Plain text to read aloud: no HTML tags, entities, Markdown markers or stray symbols.

    Entities are decoded before tags are dropped, so ``&lt;b&gt;`` disappears like ``<b>``;
    they are decoded repeatedly because CMS text is sometimes escaped twice (``&amp;gt;``).
    """
    if not text:
        return ""
    previous = None
    current = text
    for _ in range(3):
        if current == previous:
            break
        previous = current
        current = _TAG.sub(" ", html.unescape(current))
    current = _LINK.sub(r"\1", current)
    current = _MARKDOWN.sub(" ", current)
    current = _LEFTOVER.sub(" ", current)
    current = "\n".join(
        _CJK_GAP.sub("", _SPACES.sub(" ", line)).strip() for line in current.splitlines()
    )
    return re.sub(r"\n{2,}", "\n", current).strip()


def is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


_SENTENCE_END = re.compile(r"(?<=[。！？!?；;…])\s*|(?<=[.])\s+|\n+")
_SOFT_BREAK_ZH = "，、：,:"
_SOFT_BREAK_EN = ",:;"


def split_phrases(text: str, *, language: str, max_chars: int | None = None) -> list[str]:
    """Cut speech text into phrases short enough for one subtitle line pair.

    Sentences first; a long sentence is cut at commas, then (English) at word boundaries or
    (Chinese) every ``max_chars`` characters. Each phrase is synthesised on its own, so its
    subtitle cue is timed by its own audio.
    """
    limit = max_chars or (22 if language == "zh-hans" else 70)
    phrases: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        phrases.extend(_cut(sentence, limit, language))
    return [p for p in phrases if any(ch.isalnum() for ch in p)]


def _cut(sentence: str, limit: int, language: str) -> list[str]:
    if len(sentence) <= limit:
        return [sentence]
    breaks = _SOFT_BREAK_ZH if language == "zh-hans" else _SOFT_BREAK_EN
    pieces: list[str] = []
    current = ""
    for ch in sentence:
        current += ch
        if ch in breaks and len(current) >= limit // 3:
            pieces.append(current.strip())
            current = ""
    if current.strip():
        pieces.append(current.strip())
    out: list[str] = []
    for piece in pieces:
        while len(piece) > limit:
            if language == "zh-hans":
                cut = limit
            else:
                cut = piece.rfind(" ", 0, limit)
                cut = cut if cut > limit // 3 else limit
            out.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            out.append(piece)
    return out


_DIGITS = "零一二三四五六七八九"
_UNITS = ["", "十", "百", "千"]
_NUMBER = re.compile(r"(\d+(?:,\d{3})*)(?:\.(\d+))?(%|％)?")


def _int_to_zh(number: int) -> str:
    if number == 0:
        return "零"
    if number >= 10**12:
        return "".join(_DIGITS[int(d)] for d in str(number))
    groups: list[int] = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        # A lower group under a thousand after a higher one is read with 零: 二万零八.
        if text and (group < 1000 or not groups[index + 1]) and not text.endswith("零"):
            text += "零"
        text += _group_to_zh(group) + ["", "万", "亿"][index]
    return text[1:] if text.startswith("一十") else text


def _group_to_zh(group: int) -> str:
    text = ""
    for position in range(3, -1, -1):
        digit = group // 10**position % 10
        if digit:
            text += _DIGITS[digit] + _UNITS[position]
        elif text and not text.endswith("零"):
            text += "零"
    return text.rstrip("零")


def numbers_to_chinese(text: str) -> str:
    """Arabic numbers read the Chinese way: ``3.5%`` → 百分之三点五, ``12000`` → 一万二千."""

    def replace(match: re.Match[str]) -> str:
        whole = _int_to_zh(int(match.group(1).replace(",", "")))
        if match.group(2):
            whole += "点" + "".join(_DIGITS[int(d)] for d in match.group(2))
        return ("百分之" + whole) if match.group(3) else whole

    return _NUMBER.sub(replace, text)
