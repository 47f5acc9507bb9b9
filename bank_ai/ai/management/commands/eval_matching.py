from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.evaluation import best_threshold, roc_auc
from bank_ai.ai.matcher_model import TrainedMatcher, bigram_jaccard, text_fingerprint
from bank_ai.ai.matcher_training import (
    bank_pairs,
    correction_pairs,
    cross_validated_scores,
    curated_variants,
    train_from_pairs,
    without_texts,
)
from bank_ai.ai.matching import QuestionMatcher
from bank_ai.ai.runtime import get_embedder

DEFAULT_PAIRS = Path(__file__).resolve().parents[2] / "eval_data" / "question_pairs.tsv"


class Command(BaseCommand):
    help = (
        "Compare the production question matcher (a model trained on the bank's labelled "
        "pairs) with a plain character-bigram Jaccard baseline and the earlier hand-set blend, "
        "in one run, on pairs no model was trained on: held-out FAQ pages (grouped k-fold over "
        "the curated question variants) and PAIRS (question1<TAB>question2<TAB>label). "
        "AUC, and accuracy and F1 at the best threshold; the last line is the production "
        "matcher on PAIRS with a 2-fold cross-validated threshold."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--folds", type=int, default=3)

    def handle(self, *args: object, pairs: Path, seed: int, folds: int, **options: object) -> None:
        try:
            rows = _read_pairs(pairs)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if len({label for _, _, label in rows}) < 2:
            raise CommandError("the pairs need both labels (0 and 1) to calibrate and score")
        if folds < 2:
            raise CommandError("--folds must be at least 2")
        embedder = get_embedder()
        hand = QuestionMatcher(embedder)
        file_texts = [t for a, b, _ in rows for t in (a, b)]
        self.stdout.write(
            "| set | scorer | n | AUC | accuracy @ best threshold | F1 @ best threshold |"
        )
        self.stdout.write("|---|---|---|---|---|---|")

        variants = curated_variants()
        if len({v.page_id for v in variants}) >= 2 * folds:
            held_out = cross_validated_scores(
                variants,
                embedder=embedder,
                folds=folds,
                exclude_texts=file_texts,
                corrections=correction_pairs(),
            )
            for language in ("zh-hans", "en"):
                index = [i for i, p in enumerate(held_out.pairs) if p.language == language]
                subset = [held_out.pairs[i] for i in index]
                if len({p.label for p in subset}) < 2:
                    continue
                questions = [(p.question1, p.question2) for p in subset]
                labels = np.asarray([p.label for p in subset])
                name = f"FAQ variants, held-out pages ({folds}-fold), {language}"
                self._rows(name, questions, labels, hand, held_out.model[index])
            if len({p.label for p in held_out.pairs}) == 2:
                self._thresholds(
                    np.asarray(held_out.model, float),
                    np.asarray([p.label for p in held_out.pairs]),
                )
        else:
            self.stdout.write("(too few FAQ pages with question variants for a held-out split)")

        model = self._evaluation_model(embedder, file_texts)
        questions = [(a, b) for a, b, _ in rows]
        labels = np.asarray([label for _, _, label in rows])
        started = time.perf_counter()
        if model is not None:
            scores = model.probabilities(model.featuriser(embedder).transform(questions))
        else:
            scores = hand.blend_scores(questions).astype(float)
        ms_per_pair = 1000 * (time.perf_counter() - started) / len(rows)
        self._rows(pairs.name, questions, labels, hand, scores)
        # The Chinese and English pairs differ in kind (the English paraphrases share almost
        # no words), so each gets its own rows too.
        chinese = np.asarray([not (a + b).isascii() for a, b in questions])
        for language, members in (("zh", chinese), ("en", ~chinese)):
            if members.all() or len(set(labels[members].tolist())) < 2:
                continue
            index = np.flatnonzero(members)
            self._rows(
                f"{pairs.name}, {language}",
                [questions[i] for i in index],
                labels[index],
                hand,
                np.asarray(scores)[index],
            )
        accuracy = _cv_accuracy(np.asarray(scores, float), labels, seed)
        auc = roc_auc(scores=scores, labels=labels)
        self.stdout.write(
            f"{len(rows)} pairs ({int(labels.sum())} positive), {ms_per_pair:.2f} ms per pair"
        )
        self.stdout.write(f"accuracy={accuracy:.4f} auc={auc:.4f}")

    def _thresholds(self, scores: np.ndarray, labels: np.ndarray) -> None:
        """What the engine's two thresholds let through on held-out pages, and the thresholds
        these pairs suggest: a verbatim FAQ answer on the matcher's word alone ("sure") should
        almost never be another page's; a borderline match must also be among retrieval's top
        pages, so it may allow a few more."""
        positives, negatives = scores[labels == 1], scores[labels == 0]
        suggested = {
            "CURATED_SURE_THRESHOLD": threshold_for_false_matches(negatives, 0.01),
            "CURATED_MATCH_THRESHOLD": threshold_for_false_matches(negatives, 0.05),
        }
        configured = {
            "CURATED_SURE_THRESHOLD": settings.CURATED_SURE_THRESHOLD,
            "CURATED_MATCH_THRESHOLD": settings.CURATED_MATCH_THRESHOLD,
        }
        self.stdout.write("")
        self.stdout.write(
            f"| threshold (held-out pages, {len(positives)} same-page pairs, "
            f"{len(negatives)} other-page pairs) | value | same-page passed "
            "| other-page passed |"
        )
        self.stdout.write("|---|---|---|---|")
        for name in configured:
            for kind, value in (("configured", configured[name]), ("suggested", suggested[name])):
                self.stdout.write(
                    f"| {name} ({kind}) | {value:.2f} | {float((positives >= value).mean()):.3f}"
                    f" | {float((negatives >= value).mean()):.3f} |"
                )

    def _evaluation_model(self, embedder: object, file_texts: list[str]) -> TrainedMatcher | None:
        """The production recipe trained on every bank pair except those using a text of the
        evaluated file; the stored model may have seen them."""
        pairs, vectors = bank_pairs()
        pairs = without_texts(pairs, file_texts)
        if len({p.label for p in pairs}) < 2:
            self.stdout.write("(no labelled bank pairs: the hand-set blend is evaluated)")
            return None
        model = train_from_pairs(pairs, embedder=embedder, vectors=vectors)
        shared = set(model.meta["text_fingerprints"]) & {text_fingerprint(t) for t in file_texts}
        self.stdout.write(
            f"model for {len(file_texts) // 2} file pairs: trained on {len(pairs)} bank pairs, "
            f"{len(shared)} texts shared with the evaluated file"
        )
        return model

    def _rows(
        self,
        name: str,
        questions: list[tuple[str, str]],
        labels: np.ndarray,
        hand: QuestionMatcher,
        production: np.ndarray,
    ) -> None:
        scorers = {
            "char-bigram Jaccard (baseline)": np.asarray(
                [bigram_jaccard(a, b) for a, b in questions], float
            ),
            "hand-set blend (previous)": hand.blend_scores(questions).astype(float),
            "trained matcher (production)": np.asarray(production, float),
        }
        for scorer, scores in scorers.items():
            cut = best_threshold(scores=scores, labels=labels)
            predicted = scores >= cut
            accuracy = float((predicted == labels.astype(bool)).mean())
            self.stdout.write(
                f"| {name} | {scorer} | {len(labels)} | {roc_auc(scores=scores, labels=labels):.3f}"
                f" | {accuracy:.3f} | {_f1(predicted, labels):.3f} |"
            )


def threshold_for_false_matches(negatives: np.ndarray, share: float) -> float:
    """The lowest threshold (two decimals) at which at most `share` of the non-matching pairs
    score at or above it."""
    for cents in range(0, 101):
        value = cents / 100
        if float((negatives >= value).mean()) <= share:
            return value
    return 1.0


def _f1(predicted: np.ndarray, labels: np.ndarray) -> float:
    truth = labels.astype(bool)
    tp = int((predicted & truth).sum())
    fp = int((predicted & ~truth).sum())
    fn = int((~predicted & truth).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _cv_accuracy(scores: np.ndarray, labels: np.ndarray, seed: int) -> float:
    order = list(range(len(labels)))
    random.Random(seed).shuffle(order)
    halves = [order[: len(order) // 2], order[len(order) // 2 :]]
    correct = 0
    for fit_half, test_half in ((halves[0], halves[1]), (halves[1], halves[0])):
        if len({int(labels[i]) for i in fit_half}) < 2:
            cut = 0.5
        else:
            cut = best_threshold(scores=scores[fit_half], labels=labels[fit_half])
        correct += int(((scores[test_half] >= cut) == labels[test_half]).sum())
    return correct / len(labels)


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
