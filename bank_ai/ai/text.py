"""Text utilities shared by the AI core and the scenarios: language detection, segmentation,
and numbers and ordinals as customers type them in Chinese and English."""

from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TOKEN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+|[a-z0-9]+(?:[.'][a-z0-9]+)*", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+|\n+")
_lock = threading.Lock()

EN_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "do",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "how",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "please",
        "hi",
        "hello",
        "about",
        "at",
        "by",
        "from",
        "as",
        "if",
        "so",
        "than",
        "then",
        "there",
    ]
)
ZH_STOPWORDS = frozenset(
    [
        "的",
        "了",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "我",
        "你",
        "您",
        "他",
        "她",
        "是",
        "在",
        "有",
        "和",
        "与",
        "及",
        "或",
        "请问",
        "请",
        "一下",
        "怎么",
        "如何",
        "什么",
        "么",
    ]
)


def is_chinese(text: str) -> bool:
    return bool(_CJK.search(text))


def detect_language(text: str) -> str:
    """zh-hans when the text has a meaningful share of Chinese characters, else en."""
    cjk = len(_CJK.findall(text))
    letters = sum(ch.isalpha() for ch in text)
    return "zh-hans" if cjk and cjk >= 0.2 * max(letters, 1) else "en"


@lru_cache(maxsize=1)
def _jieba():  # noqa: ANN202 - jieba has no type hints
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _lock:
        jieba.initialize()
    return jieba


def tokens(text: str) -> list[str]:
    """Search tokens: jieba words (fine-grained, for recall) for Chinese, lower-case words else."""
    result: list[str] = []
    for match in _TOKEN.finditer(text.lower()):
        piece = match.group(0)
        if is_chinese(piece):
            result.extend(w for w in _jieba().cut_for_search(piece) if w not in ZH_STOPWORDS)
        elif piece not in EN_STOPWORDS:
            result.append(piece)
    return result


def segment_for_search(text: str) -> str:
    return " ".join(tokens(text))


def split_sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part and part.strip()]


# --- numbers and ordinals ---------------------------------------------------------
# One reader for every place a customer gives a number or picks an option by position
# ("第二个", "三号", "the second", "2nd", "number two", "#3"), so that the branch hall, the super
# teller, the app service and the card journey understand the same words the same way.

ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
EN_NUMBERS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
EN_ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
}

_ZH_NUMERAL = "[零〇一二两三四五六七八九十百千万亿]+"
_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_UNITS = "one|two|three|four|five|six|seven|eight|nine"
_EN_NUMERAL = (
    rf"(?:(?:{_TENS})(?:[- ](?:{_UNITS}))?|"
    + "|".join(sorted((w for w in EN_NUMBERS if w not in _TENS.split("|")), key=len, reverse=True))
    + ")"
)
_NUMERAL = rf"(?:\d{{1,3}}|{_ZH_NUMERAL}|{_EN_NUMERAL})"
_EN_ORDINAL_WORDS = "|".join(sorted(EN_ORDINALS, key=len, reverse=True))
# Each alternative names the position in its one group. A position stands on its own: "第一次"
# (the first time) still reads as one, as every copy of these patterns before did.
_ORDINAL = re.compile(
    "|".join(
        [
            rf"第\s*({_NUMERAL})",  # 第二(个/张/项), 第2, 第十二
            rf"({_NUMERAL})\s*号(?![码])",  # 三号, 1号 (not 号码, a phone number)
            rf"(?<![a-z])({_EN_ORDINAL_WORDS})(?![a-z])",  # second
            r"(?<![\w.,])(\d{1,3})(?:st|nd|rd|th)(?![a-z])",  # 2nd
            rf"(?<![a-z])(?:number|no\.|option|choice)\s*({_NUMERAL})(?![a-z0-9])",
            r"#\s*(\d{1,3})(?!\d)",  # #3
            # A number standing alone ("2", "I'll take 2", "2."), not a part of an amount,
            # a date, a count or a word: "2万", "存 5 万", "1.5", "12期", "3 months" are not picks.
            r"(?<![\w.,#$¥])(\d{1,3})(?![\w%#]|[.,]\d)"
            r"(?!\s*(?:[万千百亿元块月天日期次年岁个%]|k\b|(?:months?|days?|weeks?|years?|times?"
            r"|yuan|rmb|dollars?|percent)\b))",
        ]
    ),
    re.IGNORECASE,
)
# A reply that is only a numeral ("二", "两个", "two", "the third one") picks that position too.
_ONLY_NUMERAL = re.compile(
    rf"^\s*(?:the\s+)?({_ZH_NUMERAL}|{_EN_NUMERAL})\s*(?:个|张|项|条|one)?\s*[。.!！]?\s*$",
    re.IGNORECASE,
)


def _zh_numeral(text: str) -> int | None:
    """十二 → 12, 二十 → 20, 一百零五 → 105, 三千五百 → 3500, 两万 → 20000; None if malformed."""
    total, section, digit = 0, 0, None
    for char in text:
        if char in ZH_DIGITS:
            if digit is not None and digit != 0 and ZH_DIGITS[char] != 0:
                # Digit after digit ("一二") is not a Chinese numeral of one value.
                return None
            digit = ZH_DIGITS[char]
        elif char in _ZH_UNITS:
            unit = _ZH_UNITS[char]
            if unit >= 10_000:
                total = (total + section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def _en_numeral(text: str) -> int | None:
    words = re.split(r"[- ]+", text.strip().lower())
    if not words or any(word not in EN_NUMBERS for word in words):
        return None
    if len(words) == 2 and EN_NUMBERS[words[0]] >= 20 and 0 < EN_NUMBERS[words[1]] < 10:
        return EN_NUMBERS[words[0]] + EN_NUMBERS[words[1]]
    return EN_NUMBERS[words[0]] if len(words) == 1 else None


def parse_number(text: str) -> int | None:
    """The whole number `text` is: digits, a Chinese numeral (十二, 两, 二十三, 一百零五) or
    English words (two, twelve, twenty-one). None when it is not one of these."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    if text.isascii():
        return _en_numeral(text)
    return _zh_numeral(text)


def ordinals(text: str) -> list[int]:
    """Every position the text picks, in the order named, each once ("第一个和第三个" → [1, 3]).

    Positions are 1-based. Chinese: 第二个, 第2张, 三号, 十二号; English: second, 2nd, number
    two, option 3, #3; a number on its own ("2", "二", "two", "the third one").
    """
    text = text or ""
    found: list[int] = []
    only = _ONLY_NUMERAL.match(text)
    if only:
        value = parse_number(only.group(1))
        if value:
            found.append(value)
    for match in _ORDINAL.finditer(text):
        raw = next(group for group in match.groups() if group is not None)
        value = EN_ORDINALS.get(raw.lower()) or parse_number(raw)
        if value and value not in found:
            found.append(value)
    return found


def ordinal(text: str, count: int | None = None) -> int | None:
    """The first position the text picks among `count` options (1-based), or None."""
    for position in ordinals(text):
        if count is None or 1 <= position <= count:
            return position
    return None
