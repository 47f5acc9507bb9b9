"""Labelled question pairs the bank keeps, and training the question matcher from them.

* **Curated variants**: every FAQ page's title and question variants ask the same thing
  (positives); the variants of *other* FAQs that look most alike - the nearest by embedding,
  which is how the engine shortlists candidates, and the nearest by character bigrams - are
  hard negatives.
* **Corrections**: channels that see people judge a match (the staff assistant's feedback on
  curated answers) register a pair source here in their ``AppConfig.ready``; the AI core
  never imports them.

``train_question_matcher`` fits and stores the model (``manage.py train_matcher``, the
django-q2 task ``train_matcher_task``); ``eval_matching`` trains on some FAQ pages and
measures on the others and on ``eval_data/question_pairs.tsv``, never on a text it saw.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bank_ai.ai.evaluation import best_threshold, roc_auc
from bank_ai.ai.matcher_features import slot_swaps, type_swaps
from bank_ai.ai.matcher_model import (
    PairFeaturiser,
    TrainedMatcher,
    char_bigrams,
    fit,
    idf_table,
    model_path,
    save,
    text_fingerprint,
)
from bank_ai.ai.matching import _OPPOSITES

HARD_NEGATIVES_BY_EMBEDDING = 3
HARD_NEGATIVES_BY_BIGRAMS = 2


@dataclass(frozen=True)
class LabelledPair:
    question1: str
    question2: str
    label: int  # 1 same question, 0 different
    language: str
    origin: str  # "variants", "hard-negative", "correction", ...
    # The FAQ page(s) a pair comes from: train/held-out splits never share one.
    group: str = ""


@dataclass(frozen=True)
class CuratedVariant:
    page_id: int
    language: str
    question: str
    vector: Any = None


PairSource = Callable[[], Iterable[LabelledPair]]
_sources: list[PairSource] = []


def register_pair_source(source: PairSource) -> PairSource:
    if source not in _sources:
        _sources.append(source)
    return source


def correction_pairs() -> list[LabelledPair]:
    pairs: list[LabelledPair] = []
    for source in list(_sources):
        pairs.extend(source())
    return pairs


def curated_variants(languages: Sequence[str] | None = None) -> list[CuratedVariant]:
    from bank_ai.ai.models import CuratedQuestion

    rows = CuratedQuestion.objects.order_by("page_id", "id")
    if languages:
        rows = rows.filter(language__in=list(languages))
    seen: set[tuple[int, str]] = set()
    out = []
    for page_id, language, question, vector in rows.values_list(
        "page_id", "language", "question", "embedding"
    ):
        key = (page_id, text_fingerprint(question))
        if key in seen:
            continue
        seen.add(key)
        out.append(CuratedVariant(page_id, language, question, np.asarray(vector, np.float32)))
    return out


def variant_pairs(
    variants: Sequence[CuratedVariant],
    *,
    by_embedding: int = HARD_NEGATIVES_BY_EMBEDDING,
    by_bigrams: int = HARD_NEGATIVES_BY_BIGRAMS,
    at_random: int = 1,
) -> list[LabelledPair]:
    """Positives within each page; negatives across pages of the same language: the nearest
    by embedding (what the engine shortlists), the nearest by bigrams, and some at random
    (seeded by the question's text, so the set is the same every run)."""
    pairs: list[LabelledPair] = []
    by_language: dict[str, list[CuratedVariant]] = {}
    for variant in variants:
        by_language.setdefault(variant.language, []).append(variant)
    for language, items in by_language.items():
        for i, a in enumerate(items):
            for b in items[i + 1 :]:
                if a.page_id == b.page_id:
                    pairs.append(
                        LabelledPair(
                            a.question, b.question, 1, language, "variants", str(a.page_id)
                        )
                    )
        vectors = np.stack([v.vector for v in items]) if items else np.zeros((0, 1))
        similarity = vectors @ vectors.T if len(items) else vectors
        negatives: set[tuple[int, int]] = set()
        grams = [char_bigrams(v.question) for v in items]
        for i, a in enumerate(items):
            others = [j for j, b in enumerate(items) if b.page_id != a.page_id]
            if not others:
                continue
            cosine_order = sorted(others, key=lambda j: -float(similarity[i, j]))
            bigram_order = sorted(others, key=lambda j: -_jaccard(grams[i], grams[j]))
            rng = random.Random(text_fingerprint(a.question))
            chosen = cosine_order[:by_embedding] + bigram_order[:by_bigrams]
            chosen += rng.sample(others, min(at_random, len(others)))
            for j in chosen:
                negatives.add((min(i, j), max(i, j)))
        for i, j in sorted(negatives):
            a, b = items[i], items[j]
            group = f"{min(a.page_id, b.page_id)}|{max(a.page_id, b.page_id)}"
            pairs.append(LabelledPair(a.question, b.question, 0, language, "hard-negative", group))
    return pairs


_NEGATE = (("可以", "不可以"), ("能", "不能"), ("会", "不会"), ("有", "没有"))
_NEGATE_EN = ((" can ", " can't "), (" is ", " isn't "), (" do ", " don't "), (" will ", " won't "))
_NUMBER_RUN = re.compile(r"\d+")


def contrastive_edits(question: str) -> list[str]:
    """The question turned into a different one by a one-word edit: the opposite action,
    a negation, ten times the amount. Curated variants never disagree like this, so without
    these the model could not learn what the mismatch features mean."""
    edits: list[str] = []
    for pair in _OPPOSITES:
        for side, other in ((0, 1), (1, 0)):
            for word in sorted(pair[side]):
                if not word.isascii() and word in question:
                    replacement = sorted(w for w in pair[other] if not w.isascii())
                    if replacement:
                        edits.append(question.replace(word, replacement[0], 1))
                    break
    for positive, negative in _NEGATE:
        if positive in question and negative not in question:
            edits.append(question.replace(positive, negative, 1))
            break
    padded = f" {question} "
    for positive, negative in _NEGATE_EN:
        if positive in padded.lower():
            index = padded.lower().index(positive)
            edits.append((padded[:index] + negative + padded[index + len(positive) :]).strip())
            break
    if _NUMBER_RUN.search(question):
        edits.append(_NUMBER_RUN.sub(lambda m: m.group(0) + "0", question, count=1))
    return [e for e in dict.fromkeys(edits) if e != question]


# (amount, the same amount written otherwise, a different amount): curated questions rarely
# name an amount, so "how much" is replaced by one, or the model never sees amounts disagree.
_AMOUNT_EDITS = (
    ("5万", "50000", "50万"),
    ("1000元", "一千元", "10000元"),
    ("2万元", "20000元", "20万元"),
    ("300元", "三百元", "3000元"),
)
_AMOUNT_EDITS_EN = (
    ("500 dollars", "$500", "5000 dollars"),
    ("RMB 20,000", "20000 RMB", "RMB 200,000"),
)
_HOW_MUCH = ("多少钱", "多少")
_HOW_MUCH_EN = re.compile(r"\bhow much( money| cash)?\b", re.IGNORECASE)


def amount_pairs(variant: CuratedVariant) -> list[LabelledPair]:
    """A "how much" question given an amount two ways (same question) and a different
    amount (another question)."""
    question = variant.question
    choice = int(text_fingerprint(question), 16)
    if any(cue in question for cue in _HOW_MUCH):
        cue = next(c for c in _HOW_MUCH if c in question)
        amount, same, other = _AMOUNT_EDITS[choice % len(_AMOUNT_EDITS)]
        texts = [question.replace(cue, value, 1) for value in (amount, same, other)]
    elif _HOW_MUCH_EN.search(question):
        amount, same, other = _AMOUNT_EDITS_EN[choice % len(_AMOUNT_EDITS_EN)]
        texts = [_HOW_MUCH_EN.sub(value, question, count=1) for value in (amount, same, other)]
    else:
        return []
    base = (variant.language, str(variant.page_id))
    return [
        LabelledPair(texts[0], texts[1], 1, base[0], "amount-edit", base[1]),
        LabelledPair(texts[0], texts[2], 0, base[0], "amount-edit", base[1]),
    ]


def edit_pairs(variants: Sequence[CuratedVariant]) -> list[LabelledPair]:
    """One-word edits of each curated question: opposite action, negation, amount, another
    question type or another slot value (negatives), a synonym (positives)."""
    pairs: list[LabelledPair] = []
    for v in variants:
        pairs.extend(amount_pairs(v))
        same, other = slot_swaps(v.question)
        negatives = contrastive_edits(v.question) + type_swaps(v.question) + other
        for edit in dict.fromkeys(negatives):
            if edit != v.question:
                pairs.append(
                    LabelledPair(
                        v.question, edit, 0, v.language, "contrastive-edit", str(v.page_id)
                    )
                )
        for edit in dict.fromkeys(same):
            if edit != v.question and edit not in negatives:
                pairs.append(
                    LabelledPair(v.question, edit, 1, v.language, "synonym-edit", str(v.page_id))
                )
    return pairs


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def held_out_page(page_id: int, share: float = 1 / 3) -> bool:
    """A stable, content-independent split of FAQ pages (a hash, not the database order)."""
    digest = hashlib.sha256(f"matcher-split:{page_id}".encode()).digest()
    return digest[0] / 256 < share


def without_texts(pairs: Iterable[LabelledPair], texts: Iterable[str]) -> list[LabelledPair]:
    """Pairs that use none of these texts (normalised): the evaluation's questions must not
    be seen in training, not even paired with something else."""
    banned = {text_fingerprint(t) for t in texts}
    return [
        p
        for p in pairs
        if text_fingerprint(p.question1) not in banned
        and text_fingerprint(p.question2) not in banned
    ]


def train_from_pairs(
    pairs: Sequence[LabelledPair],
    *,
    embedder: Any,
    vectors: dict[str, np.ndarray] | None = None,
    idf_questions: Iterable[str] = (),
) -> TrainedMatcher:
    started = time.perf_counter()
    texts = {t for p in pairs for t in (p.question1, p.question2)}
    idf = idf_table(sorted(texts | set(idf_questions)))
    featuriser = PairFeaturiser(embedder, idf)
    features = featuriser.transform([(p.question1, p.question2) for p in pairs], vectors)
    labels = np.asarray([p.label for p in pairs])
    model = fit(features, labels, embedder_name=embedder.name, idf=idf)
    scores = model.probabilities(features)
    origins: dict[str, int] = {}
    for p in pairs:
        origins[p.origin] = origins.get(p.origin, 0) + 1
    meta = {
        "trained_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pairs": len(pairs),
        "positives": int(labels.sum()),
        "origins": origins,
        "train_auc": roc_auc(scores=scores, labels=labels),
        "train_seconds": round(time.perf_counter() - started, 2),
        # Fingerprints, not texts: evaluation checks for overlap without storing questions.
        "text_fingerprints": sorted(text_fingerprint(t) for t in texts),
    }
    return TrainedMatcher(
        embedder_name=model.embedder_name,
        mean=model.mean,
        scale=model.scale,
        coef=model.coef,
        intercept=model.intercept,
        trees=model.trees,
        idf=idf,
        threshold=best_threshold(scores=scores, labels=labels),
        meta=meta,
    )


def bank_pairs() -> tuple[list[LabelledPair], dict[str, np.ndarray]]:
    """Every labelled pair the bank keeps, with the stored vectors of its curated questions."""
    variants = curated_variants()
    vectors = {v.question: v.vector for v in variants}
    return variant_pairs(variants) + edit_pairs(variants) + correction_pairs(), vectors


def train_question_matcher(*, exclude_texts: Iterable[str] = ()) -> TrainedMatcher:
    """Train on all the bank's labelled pairs (minus excluded texts) and store the model."""
    from bank_ai.ai.runtime import get_embedder

    if model_path() is None:
        raise ValueError("MATCHER_MODEL_PATH is not set: nowhere to store the matcher")
    pairs, vectors = bank_pairs()
    pairs = without_texts(pairs, exclude_texts)
    if len({p.label for p in pairs}) < 2:
        raise ValueError(
            "no labelled question pairs to learn from: publish FAQ pages with question "
            "variants (or run seed_demo) first"
        )
    model = train_from_pairs(pairs, embedder=get_embedder(), vectors=vectors)
    save(model)
    return model


def page_fold(page_id: int, folds: int) -> int:
    """A stable, content-independent fold for each FAQ page (a hash, not database order)."""
    digest = hashlib.sha256(f"matcher-fold:{page_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % folds


@dataclass(frozen=True)
class HeldOutScores:
    pairs: list[LabelledPair]
    model: np.ndarray  # each pair scored by a model that never saw its pages
    folds: int


def cross_validated_scores(
    variants: Sequence[CuratedVariant],
    *,
    embedder: Any,
    folds: int = 3,
    exclude_texts: Iterable[str] = (),
    corrections: Sequence[LabelledPair] = (),
) -> HeldOutScores:
    """Grouped k-fold over FAQ pages. Each fold's pairs are built from that fold's pages
    alone, shaped like production traffic (every question against the engine's shortlist -
    the nearest questions by embedding - and a few at random), and scored by a model trained
    on the other folds' pages only; no excluded text (another evaluation set) and no text of
    the fold is ever trained on."""
    excluded = list(exclude_texts)
    vectors = {v.question: v.vector for v in variants}
    kept: list[LabelledPair] = []
    scores: list[np.ndarray] = []
    for fold in range(folds):
        test_variants = [v for v in variants if page_fold(v.page_id, folds) == fold]
        train_variants = [v for v in variants if page_fold(v.page_id, folds) != fold]
        test = variant_pairs(test_variants, by_embedding=3, by_bigrams=0, at_random=2)
        test_texts = [t for p in test for t in (p.question1, p.question2)]
        train = variant_pairs(train_variants) + edit_pairs(train_variants) + list(corrections)
        train = without_texts(train, excluded + test_texts)
        if not test or len({p.label for p in train}) < 2 or len({p.label for p in test}) < 2:
            continue
        model = train_from_pairs(train, embedder=embedder, vectors=vectors)
        featuriser = model.featuriser(embedder)
        kept.extend(test)
        scores.append(
            model.probabilities(
                featuriser.transform([(p.question1, p.question2) for p in test], vectors)
            )
        )
    return HeldOutScores(kept, np.concatenate(scores) if scores else np.zeros(0), folds)
