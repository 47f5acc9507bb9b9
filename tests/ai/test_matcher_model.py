"""The trained question matcher: its labelled pairs, storage, reloading, and that it beats
the character-bigram baseline on FAQ pages it never saw."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from bank_ai.ai.evaluation import roc_auc
from bank_ai.ai.matcher_model import bigram_jaccard, save, trained_model
from bank_ai.ai.matcher_training import (
    CuratedVariant,
    LabelledPair,
    contrastive_edits,
    cross_validated_scores,
    curated_variants,
    page_fold,
    train_from_pairs,
    variant_pairs,
    without_texts,
)
from bank_ai.ai.matching import QuestionMatcher


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
    assert (
        roc_auc(scores=held_out.model, labels=labels)
        > roc_auc(scores=jaccard, labels=labels) + 0.02
    )
