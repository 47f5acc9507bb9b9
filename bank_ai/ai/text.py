"""Text utilities shared by indexing and retrieval: language detection and segmentation."""

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
