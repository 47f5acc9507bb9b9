from __future__ import annotations

import random
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.evaluation import macro_f1, top_confusions
from bank_ai.ai.intents import read_labelled_csv
from bank_ai.ai.runtime import get_embedder


class Command(BaseCommand):
    help = (
        "Train the production intent classifier on TRAIN and report on TEST (or k-fold "
        "cross-validation on TRAIN with --folds): accuracy, macro-F1, per intent, confusions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", type=Path, required=True)
        parser.add_argument("--test", type=Path)
        parser.add_argument(
            "--folds", type=int, default=5, help="k for cross-validation when --test is not given"
        )
        parser.add_argument("--seed", type=int, default=13)

    def handle(
        self,
        *args: object,
        train: Path,
        test: Path | None,
        folds: int,
        seed: int,
        **options: object,
    ) -> None:
        from bank_ai.ai.intent_model import IntentClassifier

        try:
            train_rows = read_labelled_csv(train)
            test_rows = read_labelled_csv(test) if test else None
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        embedder = get_embedder()
        if test_rows is not None:
            splits = [(train_rows, test_rows)]
        else:
            if folds < 2:
                raise CommandError("--folds must be at least 2")
            shuffled = train_rows[:]
            random.Random(seed).shuffle(shuffled)
            # Stratified: each label's rows are dealt round-robin over the folds.
            by_fold: list[list[tuple[str, str]]] = [[] for _ in range(folds)]
            counters: dict[str, int] = {}
            for row in shuffled:
                index = counters.get(row[1], 0)
                by_fold[index % folds].append(row)
                counters[row[1]] = index + 1
            splits = [
                ([r for j, f in enumerate(by_fold) if j != i for r in f], by_fold[i])
                for i in range(folds)
            ]
        truth: list[str] = []
        predicted: list[str] = []
        train_seconds = 0.0
        predict_seconds = 0.0
        for number, (fit_rows, eval_rows) in enumerate(splits, start=1):
            started = time.perf_counter()
            classifier = IntentClassifier.fit(
                [t for t, _ in fit_rows], [lbl for _, lbl in fit_rows], embedder=embedder
            )
            train_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for text, label in eval_rows:
                # One query at a time: the latency a customer turn sees.
                predicted.append(classifier.predict([text])[0].label)
                truth.append(label)
            predict_seconds += time.perf_counter() - started
            self.stderr.write(f"split {number}/{len(splits)} done")
        accuracy = sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(truth)
        macro, per_label = macro_f1(truth, predicted)
        self.stdout.write(f"{'intent':<40} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}")
        for label, values in sorted(per_label.items(), key=lambda item: item[1]["f1"]):
            self.stdout.write(
                f"{label[:40]:<40} {values['precision']:>6.3f} "
                f"{values['recall']:>6.3f} {values['f1']:>6.3f} "
                f"{values['support']:>5}"
            )
        self.stdout.write("\ntop confusions (true -> predicted: count)")
        for (true_label, predicted_label), count in top_confusions(truth, predicted):
            self.stdout.write(f"  {true_label} -> {predicted_label}: {count}")
        mode = "held-out test file" if test_rows is not None else f"{len(splits)}-fold CV"
        self.stdout.write(
            f"\n{mode}: {len(truth)} predictions, training {train_seconds / len(splits):.1f} s per "
            f"split, {1000 * predict_seconds / len(truth):.2f} ms per query"
        )
        self.stdout.write(f"accuracy={accuracy:.4f} macro_f1={macro:.4f}")
