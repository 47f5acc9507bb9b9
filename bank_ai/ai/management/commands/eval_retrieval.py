from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bank_ai.ai.evaluation import BM25, ranking_metrics, read_csv_rows
from bank_ai.ai.indexing import drop_corpus, index_corpus
from bank_ai.ai.retrieval import RetrievalFilters
from bank_ai.ai.runtime import get_retriever
from bank_ai.ai.text import detect_language


class Command(BaseCommand):
    help = (
        "Index CORPUS (id,text) into a throw-away collection through the production path and "
        "report recall@1, recall@5, MRR and ms/query for QUERIES (text,expected_id), against "
        "plain BM25 and plain vector search."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--corpus", type=Path, required=True)
        parser.add_argument("--queries", type=Path, required=True)
        parser.add_argument("--keep", action="store_true", help="keep the throw-away corpus")

    def handle(
        self, *args: object, corpus: Path, queries: Path, keep: bool, **options: object
    ) -> None:
        try:
            documents = [
                (r["id"].strip(), r["text"].strip()) for r in read_csv_rows(corpus, ["id", "text"])
            ]
            questions = [
                (r["text"].strip(), r["expected_id"].strip())
                for r in read_csv_rows(queries, ["text", "expected_id"])
            ]
        except (ValueError, UnicodeDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        known = {doc_id for doc_id, _ in documents}
        unknown = sorted({expected for _, expected in questions} - known)
        if unknown:
            raise CommandError(f"expected_id not in the corpus: {', '.join(unknown[:10])}")
        name = f"eval-{uuid.uuid4().hex[:12]}"
        started = time.perf_counter()
        index_corpus(name, documents)
        self.stdout.write(
            f"indexed {len(documents)} passages in {time.perf_counter() - started:.1f} s"
        )
        try:
            retriever = get_retriever()

            # As in production, a query searches the passages of its own language (the
            # session's language); the BM25 baseline gets no help from that filter but its
            # tokens are language-specific anyway.
            def filters_for(query: str) -> RetrievalFilters:
                return RetrievalFilters(corpus=name, languages=(detect_language(query),))

            rows = []
            for label, mode in (
                ("production (hybrid RRF)", "hybrid"),
                ("plain vector (HNSW)", "vector"),
            ):
                rows.append(
                    (
                        label,
                        *self._run(
                            lambda q, mode=mode: [
                                p.external_id
                                for p in retriever.search(
                                    q, filters=filters_for(q), k=10, mode=mode
                                )
                            ],
                            questions,
                        ),
                    )
                )
            bm25 = BM25(documents)
            rows.append(("plain BM25", *self._run(lambda q: bm25.search(q, k=10), questions)))
        finally:
            if not keep:
                drop_corpus(name)
        self.stdout.write(f"{'method':<26} {'recall@1':>9} {'recall@5':>9} {'MRR':>7} {'ms/q':>7}")
        for label, metrics, ms in rows:
            self.stdout.write(
                f"{label:<26} {metrics['recall@1']:>9.4f} {metrics['recall@5']:>9.4f}"
                f" {metrics['mrr']:>7.4f} {ms:>7.2f}"
            )
        production = rows[0][1]
        self.stdout.write(
            f"recall@1={production['recall@1']:.4f} "
            f"recall@5={production['recall@5']:.4f} mrr={production['mrr']:.4f}"
        )

    @staticmethod
    def _run(search, questions):  # noqa: ANN001, ANN205
        results = []
        started = time.perf_counter()
        for text, _expected in questions:
            results.append(search(text))
        ms = 1000 * (time.perf_counter() - started) / len(questions)
        return ranking_metrics(results, [expected for _, expected in questions]), ms
