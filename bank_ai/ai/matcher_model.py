"""A question matcher learned from the pairs the bank keeps, instead of hand-set weights.

Each pair of questions becomes a small feature vector - lexical overlap (plain character
bigrams, the matcher's content units, an IDF-weighted overlap in the manner of BM25, and
containment), the sentence-embedding cosine of the questions and of what differs between them
(see :func:`bank_ai.ai.matching.residual`), the negation/amount/opposite-action mismatches, and
length - and a logistic regression turns it into the probability that both ask the same thing.

The labelled pairs come from :mod:`bank_ai.ai.matcher_training`. The trained model is a small
JSON file (weights, scaler, IDF table, what it was trained on): no pickle is ever loaded.
:func:`trained_model` reloads it when the file changes, so a retrain reaches every process.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from bank_ai.ai.intent_model import normalise_text
from bank_ai.ai.matcher_features import (
    char_ngrams,
    corpus_idf,
    lcs_ratio,
    question_types,
    slot_agreements,
    slot_conflicts,
    slot_groups,
    split_clauses,
    words,
)
from bank_ai.ai.matcher_trees import BoostedTrees, fit_trees
from bank_ai.ai.matching import (
    _action_sides,
    _opposite,
    _same_script,
    amounts,
    has_negation,
    lexical_units,
    residual,
)

# 2: word, character n-gram, subsequence, question-type and slot features.
FORMAT_VERSION = 2
FEATURES = (
    "char_bigram_jaccard",
    "unit_jaccard",
    "idf_overlap",
    "containment",
    "cosine",
    "residual_cosine",
    "negation_mismatch",
    "amount_mismatch",
    "opposite_action",
    "cross_script",
    "length_gap",
    "residual_share",
    "rarest_shared_idf",
    "unshared_idf_share",
    "word_jaccard",
    "word_idf_overlap",
    "char_ngram_tfidf_cosine",
    "lcs_ratio",
    "question_type_mismatch",
    "question_type_agreement",
    "slot_conflicts",
    "slot_agreements",
    "cosine_times_word_overlap",
    "best_clause_cosine",
)


def char_bigrams(text: str) -> frozenset[str]:
    """Character bigrams of the normalised text without spaces or punctuation: the plain
    lexical baseline the matcher must beat."""
    chars = "".join(ch for ch in normalise_text(text) if ch.isalnum())
    if len(chars) < 2:
        return frozenset([chars]) if chars else frozenset()
    return frozenset(chars[i : i + 2] for i in range(len(chars) - 1))


def bigram_jaccard(a: str, b: str) -> float:
    ua, ub = char_bigrams(a), char_bigrams(b)
    return len(ua & ub) / len(ua | ub) if ua | ub else 0.0


def text_fingerprint(text: str) -> str:
    """Short hash of a normalised question: the model records which texts it was trained
    on without storing the (possibly masked customer) text itself."""
    key = "".join(ch for ch in normalise_text(text) if ch.isalnum())
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def idf_table(questions: Iterable[str]) -> dict[str, float]:
    """IDF of the matcher's lexical units, and of jieba words ("w:") and character 1-3-grams
    ("c:") for the word and n-gram features."""
    questions = [normalise_text(q) for q in questions]
    docs = [lexical_units(q) for q in questions]
    df: dict[str, int] = {}
    for units in docs:
        for unit in units:
            df[unit] = df.get(unit, 0) + 1
    total = max(len(docs), 1)
    table = {unit: math.log(1 + total / (1 + n)) for unit, n in df.items()}
    table.update(corpus_idf(questions))
    return table


def _weighted_cosine(a: _TextFeatures, b: _TextFeatures) -> float:
    """`tfidf_cosine` of the two texts' character n-grams, from their remembered weights."""
    wb = b.ngram_weights
    dot = sum(w * wb[g] for g, w in a.ngram_weights.items() if g in wb)
    norm = a.ngram_norm * b.ngram_norm
    return dot / norm if norm else 0.0


@dataclass(frozen=True)
class _TextFeatures:
    """What the pair features need of one normalised text on its own, computed once per text:
    a query is compared with five candidates, and the curated questions recur across queries."""

    units: frozenset[str]
    bigrams: frozenset[str]
    words: frozenset[str]
    amounts: frozenset[float]
    negation: bool
    action_sides: frozenset[tuple[int, int]]
    question_types: frozenset[str]
    slots: Any
    ngram_weights: dict[str, float]
    ngram_norm: float
    clauses: tuple[str, ...]


class PairFeaturiser:
    """Feature vectors for question pairs; embeddings of known texts can be passed in (the
    curated questions' vectors are stored), so a query costs one batch of residuals."""

    # Per-text features kept per model (the IDF weights are part of them); bounded so a long
    # run of customer questions cannot grow it without end.
    MAX_REMEMBERED_TEXTS = 20_000

    def __init__(
        self,
        embedder: Any,
        idf: dict[str, float],
        remembered: dict[str, _TextFeatures] | None = None,
        clause_vectors: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.embedder = embedder
        self.idf = idf
        self.unknown_idf = max(idf.values(), default=1.0)
        self._remembered = remembered if remembered is not None else {}
        # Vectors of the clauses of stored texts (the curated questions, whose own vectors are
        # passed in): the knowledge base's words, asked about again and again.
        self._clause_vectors = clause_vectors if clause_vectors is not None else {}

    def _text(self, text: str) -> _TextFeatures:
        found = self._remembered.get(text)
        if found is not None:
            return found
        weights = {
            gram: (1 + math.log(count)) * self.idf.get("c:" + gram, self.unknown_idf)
            for gram, count in char_ngrams(text).items()
        }
        found = _TextFeatures(
            units=lexical_units(text),
            bigrams=char_bigrams(text),
            words=words(text),
            amounts=amounts(text),
            negation=has_negation(text),
            action_sides=frozenset(_action_sides(text)),
            question_types=question_types(text),
            slots=slot_groups(text),
            ngram_weights=weights,
            ngram_norm=math.sqrt(sum(w * w for w in weights.values())),
            clauses=split_clauses(text),
        )
        if len(self._remembered) >= self.MAX_REMEMBERED_TEXTS:
            self._remembered.clear()
        self._remembered[text] = found
        return found

    def _plan(
        self, pairs: Sequence[tuple[str, str]], known_vectors: dict[str, np.ndarray] | None
    ) -> tuple[dict[str, str], list[tuple[str, str]], dict[str, np.ndarray], list[str], set[str]]:
        """Normalised texts, residuals, the vectors known already, the texts to embed and the
        clauses of the stored texts."""
        norm = {t: normalise_text(t) for pair in pairs for t in pair}
        residuals = [(residual(norm[a], norm[b]), residual(norm[b], norm[a])) for a, b in pairs]
        vectors: dict[str, np.ndarray] = {}
        stored_clauses: set[str] = set()
        for text, vector in (known_vectors or {}).items():
            if text in norm:
                vectors[norm[text]] = np.asarray(vector, np.float32)
                stored_clauses.update(self._text(norm[text]).clauses)
        for clause in stored_clauses:
            remembered = self._clause_vectors.get(clause)
            if remembered is not None:
                vectors.setdefault(clause, remembered)
        wanted = {norm[t] for pair in pairs for t in pair}
        wanted |= {r for rr in residuals for r in rr if r}
        wanted |= {c for t in set(norm.values()) for c in self._text(t).clauses}
        return norm, residuals, vectors, sorted(wanted - vectors.keys()), stored_clauses

    def transform(
        self,
        pairs: Sequence[tuple[str, str]],
        known_vectors: dict[str, np.ndarray] | None = None,
        also_embed: Sequence[str] = (),
    ) -> np.ndarray:
        """Feature rows of the pairs. `also_embed`: a caller's own texts, embedded in the
        pairs' batch (one model call instead of two; the caller's embedder remembers them)."""
        if not pairs:
            return np.zeros((0, len(FEATURES)), np.float32)
        norm, residuals, vectors, wanted, stored_clauses = self._plan(pairs, known_vectors)
        extra = [text for text in dict.fromkeys(also_embed) if text not in wanted]
        if wanted or extra:
            embedded = np.asarray(self.embedder.embed_queries(wanted + extra), np.float32)
            vectors.update(zip(wanted, embedded[: len(wanted)], strict=True))
            new_clauses = stored_clauses.intersection(wanted)
            if new_clauses:
                if len(self._clause_vectors) + len(new_clauses) > self.MAX_REMEMBERED_TEXTS:
                    self._clause_vectors.clear()
                self._clause_vectors.update((c, vectors[c]) for c in new_clauses)

        def cos(x: str, y: str) -> float:
            return float(vectors[x] @ vectors[y])

        rows = []
        weight = self._weight
        for (a, b), (ra, rb) in zip(pairs, residuals, strict=True):
            na, nb = norm[a], norm[b]
            fa, fb = self._text(na), self._text(nb)
            ua, ub = fa.units, fb.units
            same_script = _same_script(ua, ub)
            shared, union = ua & ub, ua | ub
            if ra and rb:
                res = cos(ra, rb)
            elif ra or rb:
                res = cos(ra, nb) if ra else cos(rb, na)
            else:
                res = 1.0
            am_a, am_b = fa.amounts, fb.amounts
            wa, wb = fa.words, fb.words
            word_overlap = (
                sum(self._word_weight(w) for w in wa & wb)
                / sum(self._word_weight(w) for w in wa | wb)
                if wa | wb
                else 0.0
            )
            ta, tb = fa.question_types, fb.question_types
            sa, sb = fa.slots, fb.slots
            cosine = cos(na, nb)
            # An FAQ title often asks two things ("年费是多少？怎样免年费？"): the customer's
            # question may be either one.
            best_clause = max(
                [cosine] + [cos(x, y) for x in fa.clauses for y in fb.clauses],
            )
            overlap = _weighted_cosine(fa, fb)
            bigrams_union = fa.bigrams | fb.bigrams
            rows.append(
                [
                    len(fa.bigrams & fb.bigrams) / len(bigrams_union) if bigrams_union else 0.0,
                    len(shared) / len(union) if same_script and union else 0.0,
                    (sum(weight(u) for u in shared) / sum(weight(u) for u in union))
                    if same_script and union
                    else 0.0,
                    len(shared) / min(len(ua), len(ub)) if same_script and ua and ub else 0.0,
                    cosine,
                    res,
                    float(fa.negation != fb.negation),
                    float(bool(am_a and am_b and am_a != am_b)),
                    float(_opposite(set(fa.action_sides), set(fb.action_sides))),
                    float(not same_script),
                    abs(len(na) - len(nb)) / max(len(na), len(nb), 1),
                    (len(ra) + len(rb)) / max(len(na) + len(nb), 1),
                    # Sharing one rare topic word ("附属卡") says more than many common ones.
                    max((weight(u) for u in shared), default=0.0) / self.unknown_idf,
                    (sum(weight(u) for u in union - shared) / sum(weight(u) for u in union))
                    if union
                    else 0.0,
                    len(wa & wb) / len(wa | wb) if wa | wb else 0.0,
                    word_overlap,
                    overlap,
                    lcs_ratio(na, nb),
                    float(bool(ta and tb and not ta & tb)),
                    float(bool(ta & tb)),
                    float(slot_conflicts(sa, sb)),
                    float(slot_agreements(sa, sb)),
                    cosine * word_overlap,
                    best_clause,
                ]
            )
        return np.asarray(rows, np.float32)

    def _weight(self, unit: str) -> float:
        return self.idf.get(unit, self.unknown_idf)

    def _word_weight(self, word: str) -> float:
        return self.idf.get("w:" + word, self.unknown_idf)


@dataclass(frozen=True)
class TrainedMatcher:
    """A logistic regression and gradient-boosted trees over standardised pair features; the
    match probability is the mean of theirs. On held-out FAQ pages the trees are better, on
    paraphrases that share few words the regression is: the mean keeps most of both."""

    embedder_name: str
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    idf: dict[str, float]
    trees: BoostedTrees | None = None
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)
    _remembered_texts: dict[str, _TextFeatures] = field(
        default_factory=dict, compare=False, repr=False
    )
    _remembered_clause_vectors: dict[str, np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0, np.float32)
        x = ((np.asarray(features, np.float32) - self.mean) / self.scale).astype(np.float32)
        probability = _sigmoid(x @ self.coef + self.intercept)
        if self.trees is not None:
            probability = (probability + _sigmoid(self.trees.raw(x))) / 2
        return probability.astype(np.float32)

    def featuriser(self, embedder: Any) -> PairFeaturiser:
        return PairFeaturiser(
            embedder, self.idf, self._remembered_texts, self._remembered_clause_vectors
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "features": list(FEATURES),
            "embedder": self.embedder_name,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "trees": self.trees.to_json() if self.trees is not None else None,
            "threshold": self.threshold,
            "idf": self.idf,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainedMatcher:
        if data.get("format") != FORMAT_VERSION or list(data.get("features", [])) != list(FEATURES):
            raise ValueError("matcher model was written by another version of the features")
        return cls(
            embedder_name=str(data["embedder"]),
            mean=np.asarray(data["mean"], np.float32),
            scale=np.asarray(data["scale"], np.float32),
            coef=np.asarray(data["coef"], np.float32),
            intercept=float(data["intercept"]),
            trees=BoostedTrees.from_json(data["trees"]) if data.get("trees") else None,
            idf={str(k): float(v) for k, v in data["idf"].items()},
            threshold=float(data.get("threshold", 0.5)),
            meta=dict(data.get("meta", {})),
        )


def fit(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    embedder_name: str,
    idf: dict[str, float],
    meta: dict[str, Any] | None = None,
) -> TrainedMatcher:
    """Fit the logistic regression and the trees (scikit-learn, already a dependency of the
    intent model)."""
    from sklearn.linear_model import LogisticRegression

    labels = np.asarray(labels).astype(int)
    if len(set(labels.tolist())) < 2:
        raise ValueError("training needs both matching and non-matching pairs")
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale < 1e-6] = 1.0
    # No class re-weighting: probabilities keep the real share of matches, so the engine's
    # "sure" threshold means what it says (a wrong verbatim FAQ answer is the costly error).
    # Strong regularisation: the training pairs (curated variants and their edits) are not
    # the customers' questions, and a model that leans on few features travels worse.
    model = LogisticRegression(C=0.1, max_iter=3000)
    x = ((features - mean) / scale).astype(np.float32)
    model.fit(x, labels)
    return TrainedMatcher(
        embedder_name=embedder_name,
        mean=mean.astype(np.float32),
        scale=scale.astype(np.float32),
        coef=model.coef_[0].astype(np.float32),
        intercept=float(model.intercept_[0]),
        idf=idf,
        trees=fit_trees(x, labels),
        meta=dict(meta or {}),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


# ------------------------------------------------------------------ storage
def model_path() -> Path | None:
    configured = str(getattr(settings, "MATCHER_MODEL_PATH", "") or "")
    return Path(configured) if configured else None


def save(model: TrainedMatcher, path: Path | None = None) -> Path:
    """Write atomically (temp file + rename) so a reading process never sees half a model."""
    target = path or model_path()
    if target is None:
        raise ValueError("MATCHER_MODEL_PATH is not set: nowhere to store the matcher")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(model.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, target)
    return target


class _ModelCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._model: TrainedMatcher | None = None

    def get(self) -> TrainedMatcher | None:
        path = model_path()
        if path is None:
            return None
        try:
            stamp = path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        key = (str(path), stamp)
        with self._lock:
            if key == self._key:
                return self._model
        try:
            model: TrainedMatcher | None = TrainedMatcher.from_json(
                json.loads(path.read_text(encoding="utf-8"))
            )
        except (OSError, ValueError, KeyError, TypeError):
            model = None  # unreadable or outdated: the hand-set blend serves until a retrain
        with self._lock:
            self._key, self._model = key, model
        return model


_cache = _ModelCache()


def trained_model() -> TrainedMatcher | None:
    """The stored model, re-read when its file changes (one stat per call)."""
    return _cache.get()
