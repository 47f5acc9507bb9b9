"""The one ROC AUC and threshold calibration, checked on a worked example."""

from __future__ import annotations

import pytest

from bank_ai.ai.evaluation import best_threshold, roc_auc

# Positives score 0.9 and 0.6; negatives 0.8, 0.6 and 0.3.
SCORES = [0.9, 0.8, 0.6, 0.6, 0.3]
LABELS = [1, 0, 1, 0, 0]


def test_roc_auc_counts_won_pairs_and_half_of_the_ties() -> None:
    # Of the 2 x 3 positive/negative pairs, 0.9 beats all three negatives, 0.6 beats 0.3,
    # ties with 0.6 and loses to 0.8: (3 + 1 + 0.5) / 6.
    assert roc_auc(scores=SCORES, labels=LABELS) == pytest.approx(0.75)


def test_best_threshold_is_the_midpoint_with_the_highest_accuracy() -> None:
    # Cuts 0.3-, 0.45, 0.7, 0.85, 0.9+ get 2, 3, 3, 4 and 3 of the 5 pairs right.
    assert best_threshold(scores=SCORES, labels=LABELS) == pytest.approx(0.85)


def test_scores_and_labels_passed_the_wrong_way_round_are_refused() -> None:
    with pytest.raises(ValueError, match="labels must be 0"):
        roc_auc(scores=LABELS, labels=SCORES)


def test_one_sided_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="both positive and negative"):
        best_threshold(scores=[0.2, 0.4], labels=[1, 1])
