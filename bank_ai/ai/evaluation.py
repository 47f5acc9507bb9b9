"""Metrics and baselines the eval_* and bench_* commands share."""

from __future__ import annotations

import csv
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bank_ai.ai.text import tokens


def read_csv_rows(
    path: Path, required: Sequence[str], delimiter: str = ","
) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        rows = [row for row in reader if any((row.get(name) or "").strip() for name in required)]
    if not rows:
        raise ValueError(f"{path}: no rows")
    return rows


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=float), q)) if values else 0.0


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> tuple[float, dict[str, dict]]:
    labels = sorted(set(truth) | set(predicted))
    per_label: dict[str, dict] = {}
    for label in labels:
        tp = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p == label)
        fp = sum(1 for t, p in zip(truth, predicted, strict=True) if t != label and p == label)
        fn = sum(1 for t, p in zip(truth, predicted, strict=True) if t == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    supported = [v["f1"] for v in per_label.values() if v["support"]]
    return (sum(supported) / len(supported) if supported else 0.0), per_label


def top_confusions(truth: Sequence[str], predicted: Sequence[str], n: int = 10):  # noqa: ANN201
    pairs = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    return pairs.most_common(n)


def _scored_pairs(
    scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Scores as floats and labels as booleans, refusing labels that are not 0/1.

    The check catches scores and labels passed the wrong way round, which would otherwise
    give a plausible-looking number.
    """
    score_array = np.asarray(scores, dtype=float)
    label_array = np.asarray(labels)
    if score_array.shape != label_array.shape or score_array.ndim != 1:
        raise ValueError("scores and labels must be two flat sequences of the same length")
    if not np.isin(label_array, (0, 1)).all():
        raise ValueError("labels must be 0 (different) or 1 (same)")
    positives = label_array.astype(bool)
    if positives.all() or not positives.any():
        raise ValueError("ROC AUC and thresholds need both positive and negative pairs")
    return score_array, positives


def roc_auc(*, scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count 1/2).

    Computed from the rank sum (Mann-Whitney U) with tied scores sharing their average rank,
    so it is O(n log n) rather than comparing every pair.
    """
    score_array, positives = _scored_pairs(scores, labels)
    order = np.argsort(score_array, kind="mergesort")
    sorted_scores = score_array[order]
    ranks = np.empty(len(score_array), dtype=float)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def best_threshold(
    *, scores: Sequence[float] | np.ndarray, labels: Sequence[int] | np.ndarray
) -> float:
    """The cut (predict "same" when score >= cut) that maximises accuracy on these pairs.

    Cuts are midpoints between neighbouring distinct scores, which generalise a little better
    than a score seen in the sample; the lowest such cut wins a tie.
    """
    score_array, positives = _scored_pairs(scores, labels)
    ordered = np.unique(score_array)
    candidates = np.concatenate(
        [[ordered[0] - 1e-6], (ordered[:-1] + ordered[1:]) / 2, [ordered[-1] + 1e-6]]
    )
    accuracy = [float(((score_array >= cut) == positives).mean()) for cut in candidates]
    return float(candidates[int(np.argmax(accuracy))])


class BM25:
    """Plain Okapi BM25 over the same tokens as the production lexical arm (a baseline)."""

    def __init__(
        self, documents: Sequence[tuple[str, str]], k1: float = 1.5, b: float = 0.75
    ) -> None:
        self.ids = [doc_id for doc_id, _ in documents]
        self.k1, self.b = k1, b
        self.doc_tokens = [Counter(tokens(text)) for _, text in documents]
        self.lengths = [sum(counts.values()) for counts in self.doc_tokens]
        self.average_length = sum(self.lengths) / max(len(self.lengths), 1)
        document_frequency: dict[str, int] = defaultdict(int)
        for counts in self.doc_tokens:
            for token in counts:
                document_frequency[token] += 1
        n = len(documents)
        self.idf = {
            token: math.log(1 + (n - df + 0.5) / (df + 0.5))
            for token, df in document_frequency.items()
        }

    def search(self, query: str, k: int = 10) -> list[str]:
        query_tokens = [t for t in tokens(query) if t in self.idf]
        scores = []
        for index, counts in enumerate(self.doc_tokens):
            score = 0.0
            norm = self.k1 * (1 - self.b + self.b * self.lengths[index] / self.average_length)
            for token in query_tokens:
                tf = counts.get(token, 0)
                if tf:
                    score += self.idf[token] * tf * (self.k1 + 1) / (tf + norm)
            if score > 0:
                scores.append((score, index))
        scores.sort(key=lambda pair: (-pair[0], pair[1]))
        return [self.ids[index] for _score, index in scores[:k]]


def ranking_metrics(results: Sequence[Sequence[str]], expected: Sequence[str]) -> dict[str, float]:
    hits1 = hits5 = 0
    reciprocal = 0.0
    for ranked, target in zip(results, expected, strict=True):
        if ranked[:1] == [target]:
            hits1 += 1
        if target in ranked[:5]:
            hits5 += 1
        if target in ranked:
            reciprocal += 1.0 / (list(ranked).index(target) + 1)
    n = max(len(expected), 1)
    return {"recall@1": hits1 / n, "recall@5": hits5 / n, "mrr": reciprocal / n}
