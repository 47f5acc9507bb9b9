from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.evaluation import best_threshold, roc_auc
from bank_ai.ai.matching import QuestionMatcher
from bank_ai.ai.runtime import get_embedder


class Command(BaseCommand):
    help = (
        "Score question pairs (question1<TAB>question2<TAB>label) with the production "
        "question matcher; threshold by 2-fold cross-validation; accuracy and ROC AUC."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pairs", type=Path, required=True)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: object, pairs: Path, seed: int, **options: object) -> None:
        try:
            rows = _read_pairs(pairs)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if len({label for _, _, label in rows}) < 2:
            raise CommandError("the pairs need both labels (0 and 1) to calibrate and score")
        matcher = QuestionMatcher(get_embedder())
        started = time.perf_counter()
        scores = np.asarray(matcher.score_many([(a, b) for a, b, _ in rows]), dtype=float)
        ms_per_pair = 1000 * (time.perf_counter() - started) / len(rows)
        labels = np.asarray([label for _, _, label in rows])
        order = list(range(len(rows)))
        random.Random(seed).shuffle(order)
        halves = [order[: len(order) // 2], order[len(order) // 2 :]]
        correct = 0
        for fit_half, test_half in ((halves[0], halves[1]), (halves[1], halves[0])):
            cut = best_threshold(scores=scores[fit_half], labels=labels[fit_half])
            correct += int(((scores[test_half] >= cut) == labels[test_half]).sum())
            self.stdout.write(f"fold threshold {cut:.4f}")
        accuracy = correct / len(rows)
        auc = roc_auc(scores=scores, labels=labels)
        self.stdout.write(
            f"{len(rows)} pairs ({int(labels.sum())} positive), {ms_per_pair:.2f} ms per pair"
        )
        self.stdout.write(f"accuracy={accuracy:.4f} auc={auc:.4f}")


def _read_pairs(path: Path) -> list[tuple[str, str, int]]:
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    rows: list[tuple[str, str, int]] = []
    with path.open(encoding="utf-8-sig") as handle:
        for line_number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if line_number == 1 and parts[-1].strip().lower() == "label":
                continue
            if len(parts) != 3 or parts[2].strip() not in {"0", "1"}:
                raise ValueError(f"{path}:{line_number}: expected question1<TAB>question2<TAB>0|1")
            rows.append((parts[0], parts[1], int(parts[2])))
    if not rows:
        raise ValueError(f"{path}: no pairs")
    return rows
