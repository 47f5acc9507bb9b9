"""The intent classifier learns a small bilingual task and survives a database round trip."""

from __future__ import annotations

import io

import numpy as np
import pytest

from bank_ai.ai.embeddings import Embedder, get_embedder
from bank_ai.ai.intent_model import (
    IntentClassifier,
    IntentPrediction,
    normalise_text,
    tokenise,
)

# Synthetic zh + en examples per intent; the last two of each list are held out.
DATA: dict[str, list[str]] = {
    "card_lost": [
        "我的银行卡丢了",
        "卡片遗失了怎么办",
        "银行卡找不到了",
        "我把卡弄丢了要挂失",
        "I lost my card",
        "My debit card is missing",
        "Someone stole my card",
        "I can't find my bank card anywhere",
        "信用卡丢了怎么挂失",
        "I think I lost my credit card yesterday",
    ],
    "annual_fee": [
        "信用卡年费多少钱",
        "年费怎么减免",
        "信用卡年费可以免吗",
        "为什么扣了我年费",
        "What is the annual fee of the card?",
        "Can the yearly fee be waived?",
        "Why was I charged an annual fee?",
        "How much is the card's annual fee",
        "这张卡有没有年费",
        "Is there an annual fee for this credit card?",
    ],
    "transfer_time": [
        "跨行转账多久到账",
        "转账什么时候能到",
        "汇款几天到账",
        "转出去的钱还没到",
        "How long does a transfer take?",
        "When will my transfer arrive?",
        "My transfer has not arrived yet",
        "How many days for a bank transfer",
        "转账一般要多长时间",
        "How long until the money I sent arrives?",
    ],
    "loan_apply": [
        "怎么申请贷款",
        "我想办理个人贷款",
        "贷款需要什么材料",
        "可以申请房贷吗",
        "How do I apply for a loan?",
        "I want a personal loan",
        "What documents do I need for a loan?",
        "Can I get a mortgage?",
        "申请消费贷款的流程是什么",
        "How can I apply for a car loan?",
    ],
    "open_hours": [
        "银行几点开门",
        "网点营业时间",
        "周末营业吗",
        "你们几点下班",
        "What are your opening hours?",
        "When does the branch open?",
        "Are you open on Saturday?",
        "What time do you close?",
        "营业厅几点关门",
        "Is the branch open on Sunday?",
    ],
}


def _split() -> tuple[list[str], list[str], list[str], list[str]]:
    train_x, train_y, test_x, test_y = [], [], [], []
    for label, texts in DATA.items():
        train_x += texts[:-2]
        train_y += [label] * (len(texts) - 2)
        test_x += texts[-2:]
        test_y += [label] * 2
    return train_x, train_y, test_x, test_y


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return get_embedder()


@pytest.fixture(scope="module")
def model(embedder: Embedder) -> IntentClassifier:
    train_x, train_y, _, _ = _split()
    return IntentClassifier.fit(train_x, train_y, embedder=embedder)


def test_predicts_held_out_zh_and_en(model: IntentClassifier) -> None:
    _, _, test_x, test_y = _split()
    predicted = [p.label for p in model.predict(test_x)]
    assert predicted == test_y


def test_prediction_shape_and_confidence(model: IntentClassifier) -> None:
    preds = model.predict(["信用卡年费能免吗", "branch opening times"])
    assert all(isinstance(p, IntentPrediction) for p in preds)
    for p in preds:
        assert 0.0 <= p.confidence <= 1.0
        assert len(p.top) == 3
        assert p.top[0] == (p.label, p.confidence)
        scores = [s for _, s in p.top]
        assert scores == sorted(scores, reverse=True)
        assert sum(scores) <= 1.0 + 1e-6
    proba = model.predict_proba(["信用卡年费能免吗"])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


def test_in_scope_is_more_confident_than_out_of_scope(model: IntentClassifier) -> None:
    in_scope, off_topic = model.predict(["我的卡丢了，怎么挂失", "今天天气怎么样，适合爬山吗"])
    assert in_scope.label == "card_lost"
    assert in_scope.confidence > off_topic.confidence


def test_round_trip_is_identical(model: IntentClassifier, embedder: Embedder) -> None:
    blob = model.to_bytes()
    assert isinstance(blob, bytes)
    # The blob is a plain npz: readable without pickle.
    with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
        assert {"header", "weights", "intercept"} <= set(npz.files)
    restored = IntentClassifier.from_bytes(blob, embedder=embedder)
    texts = [t for texts in DATA.values() for t in texts]
    np.testing.assert_array_equal(model.decision_function(texts), restored.decision_function(texts))
    assert model.predict(texts) == restored.predict(texts)
    assert restored.to_bytes() == blob


def test_wrong_embedder_is_refused(model: IntentClassifier) -> None:
    other = get_embedder("bank_ai.ai.embeddings.E5Embedder")
    with pytest.raises(ValueError, match="trained with embedder"):
        IntentClassifier.from_bytes(model.to_bytes(), embedder=other)


def test_garbage_blob_is_refused(embedder: Embedder) -> None:
    buf = io.BytesIO()
    np.savez(buf, header=np.frombuffer(b'{"format": "other"}', np.uint8))
    with pytest.raises(ValueError, match="not a bank_ai intent model"):
        IntentClassifier.from_bytes(buf.getvalue(), embedder=embedder)
    with pytest.raises(ValueError, match="not a bank_ai intent model"):
        IntentClassifier.from_bytes(b"not a zip at all", embedder=embedder)


def test_needs_two_intents(embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="at least two intents"):
        IntentClassifier.fit(["a", "b"], ["x", "x"], embedder=embedder)
    with pytest.raises(ValueError, match="equal length"):
        IntentClassifier.fit(["a"], ["x", "y"], embedder=embedder)


def test_two_intents_and_singletons_work(embedder: Embedder) -> None:
    # Binary liblinear returns one hyperplane and a class with one example cannot be
    # cross-validated; both paths must still give a usable model.
    texts = ["我的卡丢了", "I lost my card", "银行几点开门", "When do you open?", "贷款"]
    labels = ["lost", "lost", "hours", "hours", "loan"]
    model = IntentClassifier.fit(texts, labels, embedder=embedder)
    assert model.predict(["卡片丢失"])[0].label == "lost"
    two = IntentClassifier.fit(texts[:4], labels[:4], embedder=embedder)
    assert [p.label for p in two.predict(["卡丢了怎么办", "opening hours"])] == ["lost", "hours"]


def test_tokeniser_needs_no_spaces_for_chinese() -> None:
    text = normalise_text("ＡＴＭ吞卡了，How？")  # full-width forms fold to ASCII
    assert text == "atm吞卡了,how?"
    assert tokenise(text) == ["atm", "吞", "卡", "了", "how"]
