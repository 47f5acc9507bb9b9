"""Gradient-boosted trees for the question matcher, stored as plain JSON arrays.

The logistic regression adds its features up; trees can learn that a signal matters only
together with another (a different question type costs a lot when the two questions share
almost every word, little when they share none). scikit-learn fits them; its trees are copied
into lists (children, feature, threshold, leaf value), so loading never unpickles anything and
scoring is a few numpy look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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
        """Log-odds of a match for rows of (standardised) features.

        Every tree is walked at once (one numpy step per level, not per tree and level): a
        turn scores a handful of pairs, where looping over 200 trees cost milliseconds.
        """
        x = np.asarray(x, np.float32)
        left, right, feature, threshold, value = self._stacked
        rows = np.arange(len(x))[:, None]
        trees = np.arange(len(self.trees))[None, :]
        node = np.zeros((len(x), len(self.trees)), np.int64)
        for _ in range(DEPTH + 1):
            lefts = left[trees, node]
            inner = lefts >= 0
            if not inner.any():
                break
            go_left = x[rows, feature[trees, node]] <= threshold[trees, node]
            node = np.where(inner, np.where(go_left, lefts, right[trees, node]), node)
        return self.init + self.rate * value[trees, node].sum(axis=1)

    @cached_property
    def _stacked(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The trees as (trees × nodes) arrays, padded with leaves that are never reached."""
        width = max((len(tree[0]) for tree in self.trees), default=1)

        def stack(part: int, fill: float, dtype: type) -> np.ndarray:
            out = np.full((len(self.trees), width), fill, dtype)
            for i, tree in enumerate(self.trees):
                out[i, : len(tree[part])] = tree[part]
            return out

        feature = np.maximum(stack(2, 0, np.int64), 0)  # leaves say -2; never read there
        return (
            stack(0, -1, np.int64),
            stack(1, -1, np.int64),
            feature,
            stack(3, 0.0, np.float64),
            stack(4, 0.0, np.float64),
        )

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
