"""The trained question matcher: its labelled pairs, storage, reloading, and that it beats
the character-bigram baseline on FAQ pages it never saw."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from bank_ai.ai.evaluation import roc_auc
from bank_ai.ai.matcher_features import (
    question_types,
    slot_conflicts,
    slot_groups,
    slot_swaps,
    split_clauses,
    type_swaps,
)
from bank_ai.ai.matcher_model import TrainedMatcher, bigram_jaccard, save, trained_model
from bank_ai.ai.matcher_training import (
    CuratedVariant,
    LabelledPair,
    amount_pairs,
    bank_pairs,
    contrastive_edits,
    cross_validated_scores,
    curated_variants,
    page_fold,
    train_from_pairs,
    variant_pairs,
    without_texts,
)
from bank_ai.ai.matcher_trees import fit_trees
from bank_ai.ai.matching import QuestionMatcher, amounts


class HashEmbedder:
    """Deterministic bag-of-characters vectors: enough to train on, no model to load."""

    name = "hash-test-embedder"
    dim = 64

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, hashlib.md5(ch.encode()).digest()[0] % self.dim] += 1.0  # noqa: S324
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)

    embed_passages = embed_queries


def _variant(page: int, question: str) -> CuratedVariant:
    return CuratedVariant(page, "zh-hans", question, HashEmbedder().embed_queries([question])[0])


VARIANTS = [
    _variant(1, "信用卡年费怎么免"),
    _variant(1, "如何减免信用卡的年费"),
    _variant(1, "年费可以不交吗"),
    _variant(2, "银行卡丢了怎么挂失"),
    _variant(2, "卡片遗失了应该如何办理挂失"),
    _variant(3, "怎么提高信用卡额度"),
    _variant(3, "信用卡额度可以申请提升吗"),
]


def test_contrastive_edits_flip_the_action_negate_and_change_the_amount() -> None:
    lowered = contrastive_edits("怎么提高信用卡额度")
    assert any(
        e.startswith("怎么") and e.endswith("信用卡额度") and "提高" not in e for e in lowered
    )
    assert "不可以用护照开户吗" in contrastive_edits("可以用护照开户吗")
    assert "转账限额是50万吗" in contrastive_edits("转账限额是5万吗")


def test_variants_of_one_faq_are_positives_and_other_faqs_negatives() -> None:
    pairs = variant_pairs(VARIANTS)
    page = {v.question: v.page_id for v in VARIANTS}
    assert sum(p.label for p in pairs) == 3 + 1 + 1
    for pair in pairs:
        assert (page[pair.question1] == page[pair.question2]) == bool(pair.label)


def test_an_evaluation_text_is_dropped_from_training_whatever_its_spacing() -> None:
    pairs = [LabelledPair("信用卡年费怎么免", "如何减免信用卡的年费", 1, "zh-hans", "variants")]
    assert without_texts(pairs, ["信用卡 年费怎么免"]) == []


def test_folds_split_pages_not_questions() -> None:
    folds = {page_fold(v.page_id, 3) for v in VARIANTS if v.page_id == 1}
    assert len(folds) == 1


def test_stored_model_serves_the_matcher_and_a_new_file_replaces_it(
    settings, tmp_path: Path
) -> None:  # noqa: ANN001
    settings.MATCHER_MODEL_PATH = str(tmp_path / "matcher.json")
    embedder = HashEmbedder()
    matcher = QuestionMatcher(embedder)
    pair = [("信用卡年费怎么免", "如何减免信用卡的年费")]
    assert trained_model() is None
    assert np.allclose(matcher.score_many(pair), matcher.blend_scores(pair))

    pairs = variant_pairs(VARIANTS)
    first = train_from_pairs(pairs, embedder=embedder)
    save(first)
    served = matcher.score_many(pair)
    assert 0.0 <= served[0] <= 1.0
    assert trained_model().to_json() == first.to_json()

    flipped = [
        LabelledPair(p.question1, p.question2, 1 - p.label, p.language, p.origin) for p in pairs
    ]
    second = train_from_pairs(flipped, embedder=embedder)
    save(second)
    stamp = os.stat(settings.MATCHER_MODEL_PATH).st_mtime_ns
    os.utime(settings.MATCHER_MODEL_PATH, ns=(stamp + 10**9, stamp + 10**9))
    assert trained_model().to_json() == second.to_json()
    assert matcher.score_many(pair)[0] != pytest.approx(served[0])


def test_a_model_for_another_embedder_is_not_used(settings, tmp_path: Path) -> None:  # noqa: ANN001
    settings.MATCHER_MODEL_PATH = str(tmp_path / "matcher.json")
    save(train_from_pairs(variant_pairs(VARIANTS), embedder=HashEmbedder()))

    class OtherEmbedder(HashEmbedder):
        name = "another-embedder"

    matcher = QuestionMatcher(OtherEmbedder())
    pair = [("信用卡年费怎么免", "如何减免信用卡的年费")]
    assert np.allclose(matcher.score_many(pair), matcher.blend_scores(pair))


@pytest.mark.django_db
def test_trained_matcher_beats_the_bigram_baseline_on_held_out_chinese_faq_pages() -> None:
    from bank_ai.ai.runtime import get_embedder

    variants = curated_variants(["zh-hans"])
    held_out = cross_validated_scores(variants, embedder=get_embedder(), folds=3)
    labels = np.asarray([p.label for p in held_out.pairs])
    jaccard = np.asarray([bigram_jaccard(p.question1, p.question2) for p in held_out.pairs])
    assert len(labels) > 200
    # Measured: 0.761 against 0.692 (eval_matching); the margin must stay clear.
    assert (
        roc_auc(scores=held_out.model, labels=labels)
        > roc_auc(scores=jaccard, labels=labels) + 0.05
    )


PAIRS_FILE = (
    Path(__file__).resolve().parents[2] / "bank_ai" / "ai" / "eval_data" / "question_pairs.tsv"
)


@pytest.mark.django_db
def test_matcher_trained_on_bank_pairs_beats_the_bigram_baseline_on_the_unseen_pairs_file() -> None:
    """The labelled file is never trained on (its texts are dropped from the bank's pairs):
    the model must rank it well, not just better than bigrams, which fail it by design."""
    from bank_ai.ai.runtime import get_embedder

    rows = [line.split("\t") for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines()[1:]]
    questions = [(a, b) for a, b, _ in rows]
    labels = np.asarray([int(label) for *_, label in rows])
    pairs, vectors = bank_pairs()
    pairs = without_texts(pairs, [t for pair in questions for t in pair])
    embedder = get_embedder()
    model = train_from_pairs(pairs, embedder=embedder, vectors=vectors)
    scores = model.probabilities(model.featuriser(embedder).transform(questions))
    jaccard = np.asarray([bigram_jaccard(a, b) for a, b in questions])
    chinese = np.asarray([not a.isascii() for a, _ in questions])
    # Measured 0.858 overall and 0.920 on the Chinese pairs; the previous model had 0.806.
    assert roc_auc(scores=scores, labels=labels) >= 0.83
    assert roc_auc(scores=scores[chinese], labels=labels[chinese]) >= 0.88
    assert roc_auc(scores=scores, labels=labels) > roc_auc(scores=jaccard, labels=labels) + 0.5


def test_question_types_tell_how_from_how_much_and_why() -> None:
    assert question_types("信用卡年费怎么免") == {"how"}
    assert question_types("信用卡年费是多少") == {"how_much"}
    assert question_types("账户为什么会被冻结") == {"why"}
    assert question_types("跨行转账多久到账") == {"when"}
    assert "how" not in question_types("为什么登不上")


def test_slots_conflict_on_different_things_of_one_kind_not_on_synonyms() -> None:
    def conflicts(a: str, b: str) -> int:
        return slot_conflicts(slot_groups(a), slot_groups(b))

    assert conflicts("房贷可以提前还吗", "车贷可以提前还吗") == 1
    assert conflicts("信用卡账单日是哪天", "信用卡还款日是哪天") == 1
    assert conflicts("借记卡有年费吗", "储蓄卡要交年费吗") == 0
    assert conflicts("怎么注销银行卡", "银行卡销户需要怎么办理") == 0


def test_one_word_edits_change_the_type_or_slot_and_keep_synonyms() -> None:
    assert "房贷可以提前还吗" not in type_swaps("房贷可以提前还吗")
    assert all("怎么" not in edit for edit in type_swaps("信用卡年费怎么免"))
    same, other = slot_swaps("信用卡账单日是哪天")
    assert "信用卡还款日是哪天" in other
    assert "信用卡出账单是哪天" in same


def test_amount_edits_keep_an_amount_written_otherwise_and_change_a_different_one() -> None:
    same, different = amount_pairs(CuratedVariant(1, "zh-hans", "二类账户每天能转多少钱？"))
    assert (same.label, different.label) == (1, 0)
    assert amounts(same.question1) == amounts(same.question2)
    assert amounts(different.question1) != amounts(different.question2)
    assert amount_pairs(CuratedVariant(1, "zh-hans", "信用卡年费怎么免")) == []


def test_a_two_question_title_splits_into_its_questions() -> None:
    assert split_clauses("信用卡年费是多少？怎样免年费？") == ("信用卡年费是多少", "怎样免年费")
    assert split_clauses("信用卡年费怎么免？") == ()


def test_stored_trees_score_exactly_as_scikit_learn_fitted_them() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 5)).astype(np.float32)
    labels = (x[:, 0] * x[:, 1] > 0).astype(int)
    trees = fit_trees(x, labels)
    reference = GradientBoostingClassifier(
        n_estimators=200, max_depth=3, learning_rate=0.05, subsample=0.8, random_state=0
    ).fit(x, labels)
    assert np.allclose(trees.raw(x), reference.decision_function(x), atol=1e-6)
    # An interaction a straight line cannot draw: the trees are what learns it.
    assert roc_auc(scores=trees.raw(x), labels=labels) > 0.9


def test_a_model_survives_its_json_file_unchanged() -> None:
    model = train_from_pairs(variant_pairs(VARIANTS) + [], embedder=HashEmbedder())
    again = TrainedMatcher.from_json(model.to_json())
    features = model.featuriser(HashEmbedder()).transform([("信用卡年费怎么免", "年费可以不交吗")])
    assert model.trees is not None
    assert np.allclose(model.probabilities(features), again.probabilities(features))


def test_a_model_of_the_previous_format_is_refused() -> None:
    data = train_from_pairs(variant_pairs(VARIANTS), embedder=HashEmbedder()).to_json()
    data["format"] = 1
    with pytest.raises(ValueError, match="another version"):
        TrainedMatcher.from_json(data)
