"""Production intent classifier: sentence embedding + lexical TF-IDF, one linear SVM.

Features per text (all computed here, so inference needs only numpy):

* word uni+bigrams - Latin words are tokens, every CJK character is its own token, so
  Chinese needs no word segmentation and word "bigrams" are character bigrams there;
* character 2-5-grams inside each word/run (sklearn's ``char_wb`` idea), which
  catches typos, inflections and Chinese phrases;
* the sentence embedding, weighted by ``embed_weight``.

Each TF-IDF block is sublinear and L2-normalised, the blocks are concatenated and a
one-vs-rest linear SVM (scikit-learn's liblinear; only needed by :meth:`fit`) is
trained on them.  SVM margins are turned into probabilities by a softmax whose
temperature is fitted on cross-validated margins, so ``confidence`` behaves like a
probability (ECE is reported in ``docs/embedding-choice.md``) and callers can apply
their own out-of-scope threshold.

A trained model serialises to an ``np.savez`` archive (arrays + a JSON header, no
pickle) for storage in a database blob.
"""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bank_ai.ai.embeddings import Embedder

__all__ = ["IntentClassifier", "IntentPrediction", "normalise_text", "tokenise"]

FORMAT = "bank_ai.intent_model"
FORMAT_VERSION = 1

# CJK ideographs (basic, extension A, compatibility, extension B) are tokens on their own.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002a6df"
_TOKEN_RE = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*")
# Runs for character n-grams: words with apostrophes, CJK runs, digit runs.
_RUN_RE = re.compile(r"[\w']+")


def normalise_text(text: str) -> str:
    """NFKC folds full-width letters/digits/punctuation (common in Chinese input) to
    their ASCII forms; case carries no intent."""
    return unicodedata.normalize("NFKC", text).lower().strip()


def tokenise(text: str) -> list[str]:
    """Tokens of already-normalised text: Latin/digit words and single CJK characters."""
    return _TOKEN_RE.findall(text)


def _word_features(text: str) -> list[str]:
    toks = tokenise(text)
    feats = [f"w {t}" for t in toks]
    feats += [f"w {a} {b}" for a, b in zip(toks, toks[1:], strict=False)]
    return feats


def _char_features(text: str, lo: int = 2, hi: int = 5) -> list[str]:
    feats: list[str] = []
    for run in _RUN_RE.findall(text):
        padded = f" {run} "
        n_chars = len(padded)
        for n in range(lo, min(hi, n_chars) + 1):
            feats.extend("c" + padded[i : i + n] for i in range(n_chars - n + 1))
    return feats


class _TfidfBlock:
    """Sublinear TF-IDF over a fixed vocabulary, rows L2-normalised (sklearn-compatible
    smooth idf), implemented here so that inference does not need scikit-learn."""

    def __init__(self, vocab: list[str], idf: np.ndarray) -> None:
        self.vocab = vocab
        self.index = {f: i for i, f in enumerate(vocab)}
        self.idf = idf.astype(np.float32)

    @classmethod
    def fit(cls, docs: list[list[str]], min_df: int) -> _TfidfBlock:
        df: Counter[str] = Counter()
        for feats in docs:
            df.update(set(feats))
        vocab = sorted(f for f, c in df.items() if c >= min_df)
        n = len(docs)
        idf = np.array([math.log((1 + n) / (1 + df[f])) + 1.0 for f in vocab])
        return cls(vocab, idf)

    def row(self, feats: list[str]) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(i for i in map(self.index.get, feats) if i is not None)
        if not counts:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        idx = np.fromiter(counts.keys(), np.int64, len(counts))
        tf = np.fromiter(counts.values(), np.float32, len(counts))
        val = (1.0 + np.log(tf)) * self.idf[idx]
        return idx, (val / np.linalg.norm(val)).astype(np.float32)


@dataclass(frozen=True)
class IntentPrediction:
    """``label`` is always the best class; compare ``confidence`` with a threshold
    calibrated on your own data to decide that a question is out of scope."""

    label: str
    confidence: float
    top: tuple[tuple[str, float], ...]


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=1, keepdims=True)


def _fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of the true classes."""

    def nll(t: float) -> float:
        p = _softmax(scores, t)[np.arange(len(truth)), truth]
        return float(-np.log(np.maximum(p, 1e-12)).mean())

    grid = np.exp(np.linspace(np.log(0.005), np.log(5.0), 80))
    best = min(grid, key=nll)
    # One refinement pass around the coarse optimum is plenty for a 1-D convex-ish curve.
    fine = best * np.exp(np.linspace(-0.1, 0.1, 21))
    return float(min(fine, key=nll))


class IntentClassifier:
    """Linear SVM over [word TF-IDF | char TF-IDF | embed_weight * embedding]."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        labels: list[str],
        word: _TfidfBlock,
        char: _TfidfBlock,
        weights: np.ndarray,
        intercept: np.ndarray,
        temperature: float,
        embed_weight: float,
        config: dict[str, Any],
    ) -> None:
        self.embedder = embedder
        self.labels = labels
        self._word = word
        self._char = char
        # (n_features, n_classes): gathering the rows of a text's few active features is
        # the whole lexical part of inference.
        self._weights = np.ascontiguousarray(weights, dtype=np.float32)
        self._intercept = intercept.astype(np.float32)
        self.temperature = float(temperature)
        self.embed_weight = float(embed_weight)
        self.config = dict(config)

    # ------------------------------------------------------------------ features
    @property
    def _n_lexical(self) -> int:
        return len(self._word.vocab) + len(self._char.vocab)

    def _lexical_rows(self, texts: Sequence[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        offset = len(self._word.vocab)
        rows = []
        for text in texts:
            norm = normalise_text(text)
            wi, wv = self._word.row(_word_features(norm))
            ci, cv = self._char.row(_char_features(norm))
            rows.append((np.concatenate([wi, ci + offset]), np.concatenate([wv, cv])))
        return rows

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        *,
        embedder: Embedder,
        embeddings: np.ndarray | None = None,
        c: float = 0.5,
        embed_weight: float = 2.0,
        char_min_df: int = 2,
        calibration_folds: int = 3,
        seed: int = 0,
    ) -> IntentClassifier:
        """Train on (text, label) examples.

        ``embeddings`` may pass precomputed ``embedder.embed_queries(texts)`` (e.g. cached
        while experimenting).  ``c`` and ``embed_weight`` were tuned on Banking77.
        """
        texts = list(texts)
        y_text = [str(label) for label in labels]
        if len(texts) != len(y_text) or not texts:
            raise ValueError("texts and labels must be non-empty and of equal length")
        classes = sorted(set(y_text))
        if len(classes) < 2:
            raise ValueError("need examples of at least two intents")
        class_id = {name: i for i, name in enumerate(classes)}
        y = np.array([class_id[v] for v in y_text], np.int64)
        if embeddings is None:
            embeddings = embedder.embed_queries(texts)
        emb = np.asarray(embeddings, dtype=np.float32)
        if emb.shape != (len(texts), embedder.dim):
            raise ValueError(f"embeddings shape {emb.shape} != ({len(texts)}, {embedder.dim})")
        norm = [normalise_text(t) for t in texts]
        word_docs = [_word_features(t) for t in norm]
        char_docs = [_char_features(t) for t in norm]
        # A tiny training set would lose most char n-grams to min_df, so relax it there.
        min_df = char_min_df if len(texts) >= 500 else 1
        config = {"c": c, "char_min_df": min_df, "char_ngrams": [2, 5], "word_ngrams": [1, 2]}

        def train(idx: np.ndarray) -> tuple[IntentClassifier, np.ndarray]:
            word = _TfidfBlock.fit([word_docs[i] for i in idx], 1)
            char = _TfidfBlock.fit([char_docs[i] for i in idx], min_df)
            model = cls(
                embedder=embedder,
                labels=classes,
                word=word,
                char=char,
                weights=np.zeros((0, len(classes))),
                intercept=np.zeros(len(classes)),
                temperature=1.0,
                embed_weight=embed_weight,
                config=config,
            )
            present = np.unique(y[idx])
            x = model._design_matrix([texts[i] for i in idx], emb[idx])
            model._fit_svm(x, y[idx], present, c, seed)
            return model, present

        temperature = 0.1  # fallback when there is too little data to cross-validate
        scores, truth = _cross_val_scores(
            train, texts, emb, y, len(classes), calibration_folds, seed
        )
        if len(truth):
            temperature = _fit_temperature(scores, truth)
        model, _ = train(np.arange(len(texts)))
        model.temperature = temperature
        return model

    def _design_matrix(self, texts: Sequence[str], emb: np.ndarray) -> Any:
        from scipy import sparse

        rows = self._lexical_rows(texts)
        indptr = np.zeros(len(rows) + 1, np.int64)
        indptr[1:] = np.cumsum([len(r[0]) for r in rows])
        lex = sparse.csr_matrix(
            (
                np.concatenate([r[1] for r in rows]) if rows else np.zeros(0, np.float32),
                np.concatenate([r[0] for r in rows]) if rows else np.zeros(0, np.int64),
                indptr,
            ),
            shape=(len(rows), self._n_lexical),
        )
        dense = sparse.csr_matrix(emb * self.embed_weight)
        return sparse.hstack([lex, dense], format="csr")

    def _fit_svm(self, x: Any, y: np.ndarray, present: np.ndarray, c: float, seed: int) -> None:
        from sklearn.svm import LinearSVC

        n_classes = len(self.labels)
        weights = np.zeros((x.shape[1], n_classes), np.float32)
        # Classes absent from this (cross-validation) training set can never win.
        intercept = np.full(n_classes, -1e3, np.float32)
        if len(present) == 1:
            intercept[present[0]] = 0.0
        else:
            svm = LinearSVC(C=c, random_state=seed, max_iter=5000)
            svm.fit(x, y)
            coef, bias = svm.coef_, svm.intercept_
            if len(present) == 2:  # binary liblinear returns one hyperplane
                coef = np.vstack([-coef[0], coef[0]])
                bias = np.array([-bias[0], bias[0]])
            weights[:, present] = coef.T
            intercept[present] = bias
        self._weights = weights
        self._intercept = intercept

    # ----------------------------------------------------------------- inference
    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """SVM margins, shape ``(n, n_classes)``, columns in ``self.labels`` order."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.labels)), np.float32)
        emb = self.embedder.embed_queries(texts)
        return self._scores(texts, emb)

    def _scores(self, texts: Sequence[str], emb: np.ndarray) -> np.ndarray:
        n_lex = self._n_lexical
        scores = (emb * self.embed_weight) @ self._weights[n_lex:] + self._intercept
        for r, (idx, val) in enumerate(self._lexical_rows(texts)):
            if len(idx):
                scores[r] += val @ self._weights[idx]
        return scores.astype(np.float32)

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        return _softmax(self.decision_function(texts).astype(np.float64), self.temperature)

    def predict(self, texts: Sequence[str], *, top_k: int = 3) -> list[IntentPrediction]:
        if isinstance(texts, str):
            raise TypeError("pass a sequence of texts, not a single str")
        proba = self.predict_proba(texts)
        out = []
        k = min(top_k, len(self.labels))
        for row in proba:
            order = np.argsort(-row, kind="stable")[:k]
            top = tuple((self.labels[i], float(row[i])) for i in order)
            out.append(IntentPrediction(label=top[0][0], confidence=top[0][1], top=top))
        return out

    # ------------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "embedder": self.embedder.name,
            "dim": self.embedder.dim,
            "labels": self.labels,
            "word_vocab": self._word.vocab,
            "char_vocab": self._char.vocab,
            "temperature": self.temperature,
            "embed_weight": self.embed_weight,
            "config": self.config,
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), np.uint8),
            word_idf=self._word.idf,
            char_idf=self._char.idf,
            weights=self._weights,
            intercept=self._intercept,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(
        cls, data: bytes, *, embedder: Embedder, check_embedder: bool = True
    ) -> IntentClassifier:
        """Rebuild a model stored by :meth:`to_bytes`.

        The weights only make sense for the embedder they were trained with, so a name
        mismatch raises unless ``check_embedder`` is False.
        """
        # allow_pickle=False: a blob from the database can never execute code.
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                header = json.loads(npz["header"].tobytes().decode())
                if header.get("format") != FORMAT or header.get("version") != FORMAT_VERSION:
                    raise ValueError("unsupported format")
                arrays = {k: npz[k] for k in ("word_idf", "char_idf", "weights", "intercept")}
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(
                f"not a bank_ai intent model (or an unsupported version): {exc}"
            ) from exc
        if check_embedder and (header["embedder"], header["dim"]) != (embedder.name, embedder.dim):
            raise ValueError(
                f"model was trained with embedder {header['embedder']!r}, got {embedder.name!r}"
            )
        return cls(
            embedder=embedder,
            labels=list(header["labels"]),
            word=_TfidfBlock(list(header["word_vocab"]), arrays["word_idf"]),
            char=_TfidfBlock(list(header["char_vocab"]), arrays["char_idf"]),
            weights=arrays["weights"],
            intercept=arrays["intercept"],
            temperature=header["temperature"],
            embed_weight=header["embed_weight"],
            config=header["config"],
        )


def _cross_val_scores(
    train: Any,
    texts: list[str],
    emb: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    folds: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold margins for temperature fitting (stratified, deterministic folds).

    Held-out examples whose class is missing from their fold's training part are
    skipped: their margin says nothing about calibration.
    """
    empty = (np.zeros((0, n_classes)), np.zeros(0, np.int64))
    if folds < 2:
        return empty
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(y), np.int64)
    for cls_id in np.unique(y):
        members = np.flatnonzero(y == cls_id)
        rng.shuffle(members)
        fold_of[members] = np.arange(len(members)) % folds
    all_scores, all_truth = [], []
    for f in range(folds):
        held = np.flatnonzero(fold_of == f)
        rest = np.flatnonzero(fold_of != f)
        if len(held) == 0 or len(np.unique(y[rest])) < 2:
            continue
        model, present = train(rest)
        keep = held[np.isin(y[held], present)]
        if len(keep):
            all_scores.append(model._scores([texts[i] for i in keep], emb[keep]))
            all_truth.append(y[keep])
    if not all_scores:
        return empty
    return np.concatenate(all_scores).astype(np.float64), np.concatenate(all_truth)
