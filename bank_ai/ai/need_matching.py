"""What did the customer come for? Free text (zh/en) to one of a few options a scenario offers.

Used by the branch hall (service types) and the super teller (self-service guides). Three
signals, all from data operators edit in the admin and the AI core's own models:

- **keywords** of an option (both languages; Chinese as substrings, English on word
  boundaries), the strongest evidence;
- the AI core's **intent classifier**: an option lists the intent codes it serves;
- **embeddings**: the customer's words against each keyword and the option's names with the
  configured multilingual embedder, which catches paraphrases no keyword lists.

The best option is *confident* when its score clears `NEED_MATCH_SURE` and leads the runner-up
by `NEED_MATCH_MARGIN`; otherwise the caller says it is unsure and offers the top options.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings

KEYWORD_SCORE = 0.75  # one keyword hit; each further hit adds a little
KEYWORD_STEP = 0.05
INTENT_WEIGHT = 0.6  # times the classifier's probability
INTENT_FLOOR = 0.05
EMBEDDING_FLOOR = 0.35  # cosine similarity below this says nothing
EMBEDDING_WEIGHT = 0.9
MAX_SCORE = 1.5


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


@dataclass(frozen=True)
class NeedOption:
    """One thing the customer may have come for; `value` is handed back with the match."""

    key: str
    names: tuple[str, ...]
    keywords: dict[str, list[str]] = field(default_factory=dict)
    intents: tuple[str, ...] = ()
    value: Any = None

    def phrases(self) -> list[str]:
        phrases = list(self.names)
        for words in self.keywords.values():
            phrases.extend(str(word) for word in words)
        return [p for p in dict.fromkeys(phrases) if p.strip()]


@dataclass(frozen=True)
class NeedCandidate:
    option: NeedOption
    score: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class NeedMatch:
    candidates: tuple[NeedCandidate, ...]  # best first; only options with some evidence

    @property
    def best(self) -> NeedCandidate | None:
        return self.candidates[0] if self.candidates else None

    @property
    def confident(self) -> bool:
        if not self.candidates:
            return False
        best = self.candidates[0].score
        runner_up = self.candidates[1].score if len(self.candidates) > 1 else 0.0
        return best >= _setting("NEED_MATCH_SURE", 0.55) and best - runner_up >= _setting(
            "NEED_MATCH_MARGIN", 0.15
        )

    def top(self, limit: int = 3) -> list[NeedOption]:
        return [candidate.option for candidate in self.candidates[:limit]]


def keyword_hits(text: str, keywords: dict[str, list[str]]) -> list[str]:
    lowered = text.lower()
    hits = []
    for words in keywords.values():
        for word in words:
            word = str(word).strip().lower()
            if not word:
                continue
            if word.isascii():
                if re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered):
                    hits.append(word)
            elif word in lowered:
                hits.append(word)
    return hits


class _PhraseVectors:
    """Embeddings of each option's phrases, recomputed only when an operator edits them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cache: dict[str, np.ndarray] = {}

    def get(self, option: NeedOption, embedder: Any) -> np.ndarray:
        phrases = option.phrases()
        key = hashlib.sha256("\n".join(phrases).encode()).hexdigest()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        vectors = np.asarray(embedder.embed_queries(phrases), dtype=np.float32)
        with self._lock:
            if len(self._cache) > 2000:  # edits leave stale entries behind; start afresh
                self._cache.clear()
            self._cache[key] = vectors
        return vectors


_vectors = _PhraseVectors()


def _intent_scores(text: str) -> dict[str, float]:
    from bank_ai.ai.intents import NoIntentModel, classify_intent

    try:
        return dict(classify_intent(text).top)
    except NoIntentModel:
        return {}


def match_need(text: str, options: Sequence[NeedOption]) -> NeedMatch:
    from bank_ai.ai.runtime import get_embedder

    text = (text or "").strip()
    if not text or not options:
        return NeedMatch(candidates=())
    intents = _intent_scores(text)
    embedder = get_embedder()
    query = np.asarray(embedder.embed_queries([text])[0], dtype=np.float32)
    candidates = []
    for option in options:
        evidence: list[str] = []
        score = 0.0
        hits = keyword_hits(text, option.keywords)
        if hits:
            score = KEYWORD_SCORE + KEYWORD_STEP * (len(hits) - 1)
            evidence.append("keywords:" + ",".join(hits[:3]))
        intent_score = max((intents.get(code, 0.0) for code in option.intents), default=0.0)
        if intent_score > INTENT_FLOOR:
            score += INTENT_WEIGHT * intent_score
            evidence.append(f"intent:{intent_score:.2f}")
        phrases = _vectors.get(option, embedder)
        similarity = float(np.max(phrases @ query)) if len(phrases) else 0.0
        if similarity > EMBEDDING_FLOOR:
            score += EMBEDDING_WEIGHT * (similarity - EMBEDDING_FLOOR)
            evidence.append(f"similar:{similarity:.2f}")
        if evidence:
            candidates.append(
                NeedCandidate(option, round(min(score, MAX_SCORE), 4), tuple(evidence))
            )
    candidates.sort(key=lambda c: (-c.score, c.option.key))
    return NeedMatch(candidates=tuple(candidates))
