"""Gradient-boosted trees for the question matcher, stored as plain JSON arrays.

The logistic regression adds its features up; trees can learn that a signal matters only
together with another (a different question type costs a lot when the two questions share
almost every word, little when they share none). scikit-learn fits them; its trees are copied
into lists (children, feature, threshold, leaf value), so loading never unpickles anything and
scoring is a few numpy look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

TREES = 200
DEPTH = 3
LEARNING_RATE = 0.05


@dataclass(frozen=True)
class BoostedTrees:
    init: float
    rate: float
    # Per tree: left child, right child (-1 at a leaf), feature, threshold, node value.
    trees: tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]

    def raw(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of a match for rows of (standardised) features."""
        x = np.asarray(x, np.float32)
        rows = np.arange(len(x))
        total = np.full(len(x), self.init, np.float64)
        for left, right, feature, threshold, value in self.trees:
            node = np.zeros(len(x), np.int64)
            for _ in range(DEPTH + 1):
                inner = left[node] >= 0
                if not inner.any():
                    break
                go_left = x[rows, np.maximum(feature[node], 0)] <= threshold[node]
                node = np.where(inner, np.where(go_left, left[node], right[node]), node)
            total += self.rate * value[node]
        return total

    def to_json(self) -> dict[str, Any]:
        return {
            "init": self.init,
            "rate": self.rate,
            "trees": [[part.tolist() for part in tree] for tree in self.trees],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoostedTrees:
        trees = []
        for left, right, feature, threshold, value in data["trees"]:
            trees.append(
                (
                    np.asarray(left, np.int64),
                    np.asarray(right, np.int64),
                    np.asarray(feature, np.int64),
                    np.asarray(threshold, np.float64),
                    np.asarray(value, np.float64),
                )
            )
        return cls(init=float(data["init"]), rate=float(data["rate"]), trees=tuple(trees))


def fit_trees(x: np.ndarray, labels: np.ndarray, *, seed: int = 0) -> BoostedTrees:
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.asarray(x, np.float32)
    model = GradientBoostingClassifier(
        n_estimators=TREES,
        max_depth=DEPTH,
        learning_rate=LEARNING_RATE,
        subsample=0.8,
        random_state=seed,
    )
    model.fit(x, labels)
    trees = []
    for (estimator,) in model.estimators_:
        tree = estimator.tree_
        trees.append(
            (
                tree.children_left.astype(np.int64),
                tree.children_right.astype(np.int64),
                tree.feature.astype(np.int64),
                tree.threshold.astype(np.float64),
                tree.value[:, 0, 0].astype(np.float64),
            )
        )
    without_init = BoostedTrees(0.0, LEARNING_RATE, tuple(trees))
    # The starting log-odds (the share of matches) is whatever the trees do not explain.
    init = float(model.decision_function(x[:1])[0] - without_init.raw(x[:1])[0])
    return BoostedTrees(init, LEARNING_RATE, tuple(trees))
