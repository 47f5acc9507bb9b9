"""Hybrid knowledge retrieval: pgvector (HNSW, cosine) and PostgreSQL full-text, fused by RRF.

Chinese full-text search works on jieba-segmented text stored beside each passage, with the
`simple` configuration (no stemming, no stop words), so one index serves Chinese and English.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

import numpy as np
import psycopg
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Avg, Count, F, FloatField, Q, QuerySet, Value
from django.utils import timezone
from pgvector.django import CosineDistance, VectorField

from bank_ai.ai.models import EMBEDDING_DIM, KNOWLEDGE_CORPUS, KnowledgeChunk
from bank_ai.ai.sql_templates import shared as sql_templates
from bank_ai.ai.text import tokens

Mode = Literal["hybrid", "vector", "lexical"]
BM25_K1 = 1.5
BM25_B = 0.75


@dataclass(frozen=True)
class RetrievalFilters:
    """Who is asking decides what may be retrieved; the defaults are a customer channel's."""

    languages: tuple[str, ...] | None = None
    audiences: tuple[str, ...] = ("public",)
    # None: any collection of the allowed audiences; otherwise only these collection slugs.
    collections: tuple[str, ...] | None = None
    # Restricted collections the caller is permitted to read (in addition to the audiences).
    extra_collections: tuple[str, ...] = ()
    product_code: str | None = None
    page_types: tuple[str, ...] | None = None
    on_date: date | None = None
    corpus: str = KNOWLEDGE_CORPUS


@dataclass(frozen=True)
class RetrievedPassage:
    chunk_id: int
    page_id: int | None
    revision_id: int | None
    external_id: str
    title: str
    url: str
    text: str
    language: str
    collection: str
    audience: str
    page_type: str
    score: float
    similarity: float
    ranks: dict[str, int] = field(default_factory=dict)


class Retriever(Protocol):
    def search(
        self, query: str, *, filters: RetrievalFilters, k: int = 5, mode: Mode = "hybrid"
    ) -> list[RetrievedPassage]: ...


def filtered_chunks(filters: RetrievalFilters) -> QuerySet[KnowledgeChunk]:
    chunks = KnowledgeChunk.objects.filter(corpus=filters.corpus)
    audience_q = Q(audience__in=filters.audiences)
    if filters.extra_collections:
        audience_q |= Q(collection__in=filters.extra_collections)
    chunks = chunks.filter(audience_q)
    if filters.collections is not None:
        chunks = chunks.filter(collection__in=filters.collections)
    if filters.languages:
        chunks = chunks.filter(language__in=filters.languages)
    if filters.product_code:
        chunks = chunks.filter(Q(product_code=filters.product_code) | Q(product_code=""))
    if filters.page_types:
        chunks = chunks.filter(page_type__in=filters.page_types)
    if filters.corpus == KNOWLEDGE_CORPUS:
        today = filters.on_date or timezone.localdate()
        chunks = chunks.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=today),
            Q(valid_until__isnull=True) | Q(valid_until__gte=today),
        )
    return chunks


def _term_query(word: str) -> SearchQuery:
    return SearchQuery(
        "'" + word.replace("'", "''").replace("\\", "") + "'", search_type="raw", config="simple"
    )


def lexical_terms(text: str) -> str | None:
    """The raw tsquery of an OR-query over the segmented tokens: recall first, the ranking
    sorts it out."""
    words = sorted(set(tokens(text)))
    if not words:
        return None
    return " | ".join("'" + word.replace("'", "''").replace("\\", "") + "'" for word in words)


def lexical_query(text: str) -> SearchQuery | None:
    terms = lexical_terms(text)
    return SearchQuery(terms, search_type="raw", config="simple") if terms is not None else None


def vector_parameter(vector: Any) -> Any:
    """A query vector as Django compiles it into a query's parameters."""
    return VectorField().get_db_prep_value(vector, connection)


# Markers for the per-question parameters of the SQL compiled once per shape (sql_templates):
# what the queryset is given, and the parameter Django compiles it to.
_MARKER_ARRAY = np.full(EMBEDDING_DIM, 0.0625, dtype=np.float32)
VECTOR_MARKER = (_MARKER_ARRAY, vector_parameter(_MARKER_ARRAY))
_MARKER_TERMS = "'zz-question-terms-zz'"
TERMS_MARKER = (SearchQuery(_MARKER_TERMS, search_type="raw", config="simple"), _MARKER_TERMS)


class CorpusStatistics:
    """BM25's corpus figures (passage count, mean length, document frequency of each word)
    over one filtered set of passages, kept per process.

    Counting them is a scan of every passage the filters let through, on each question; they
    change only when the knowledge base is reindexed. Indexing calls `forget` (in this process,
    and again when its transaction commits); another process's reindex reaches this one within
    MAX_AGE_SECONDS. Only the weights of words can be that stale: which passages match, and
    the vector search, are always read live.
    """

    MAX_AGE_SECONDS = 60.0
    MAX_FILTER_SETS = 64
    MAX_WORDS = 50_000

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._sets: dict[tuple, _FilterSetStatistics] = {}
        # Bumped by forget: figures counted across a change are used once, never kept.
        self._generation = 0

    def forget(self) -> None:
        with self._lock:
            self._sets.clear()
            self._generation += 1

    def get(
        self,
        chunks: QuerySet[KnowledgeChunk] | None,
        filters: RetrievalFilters,
        words: list[str],
    ) -> tuple[int, float, dict[str, int]]:
        """(passages, mean length, {word: passages containing it}) for `chunks`, which are
        `filtered_chunks(filters)` (built here, only when something must be counted, if
        None)."""
        key = _filters_key(filters)
        now = self._clock()
        with self._lock:
            generation = self._generation
            entry = self._sets.get(key)
            if entry is None or now - entry.counted_at > self.MAX_AGE_SECONDS:
                entry = None
            known = (
                {w: entry.doc_freq[w] for w in words if w in entry.doc_freq}
                if entry is not None
                else {}
            )
        missing = [word for word in words if word not in known]
        if entry is not None and not missing:
            return entry.total, entry.average_length, known
        aggregates = {
            f"df{i}": Count("id", filter=Q(search_vector=_term_query(word)))
            for i, word in enumerate(missing)
        }
        if entry is None:
            aggregates.update(total=Count("id"), length=Avg("search_length"))
        if chunks is None:
            chunks = filtered_chunks(filters)
        counted = chunks.aggregate(**aggregates)
        for i, word in enumerate(missing):
            known[word] = counted[f"df{i}"]
        if entry is None:
            entry = _FilterSetStatistics(
                counted_at=now,
                total=max(counted["total"], 1),
                average_length=max(float(counted["length"] or 1.0), 1.0),
            )
        with self._lock:
            if generation != self._generation:
                return entry.total, entry.average_length, known
            if self._sets.get(key) is not entry:
                if len(self._sets) >= self.MAX_FILTER_SETS:
                    self._sets.pop(next(iter(self._sets)))
                self._sets[key] = entry
            if len(entry.doc_freq) + len(missing) > self.MAX_WORDS:
                entry.doc_freq.clear()
            entry.doc_freq.update((word, known[word]) for word in missing)
        return entry.total, entry.average_length, known


@dataclass
class _FilterSetStatistics:
    counted_at: float
    total: int
    average_length: float
    doc_freq: dict[str, int] = field(default_factory=dict)


def _filters_key(filters: RetrievalFilters) -> tuple:
    # The validity filter depends on the day, so the day is part of the set's identity.
    return (
        filters.corpus,
        filters.languages,
        filters.audiences,
        filters.collections,
        filters.extra_collections,
        filters.product_code,
        filters.page_types,
        filters.on_date or timezone.localdate(),
    )


_statistics = CorpusStatistics()


def forget_corpus_statistics() -> None:
    """The knowledge base changed: BM25's figures are counted again on the next question."""
    _statistics.forget()


_PASSAGE_FIELDS = (
    "page_id",
    "revision_id",
    "external_id",
    "title",
    "url",
    "text",
    "language",
    "collection",
    "audience",
    "page_type",
)


class HybridRetriever:
    def __init__(
        self,
        *,
        embedder,  # noqa: ANN001 - any Embedder
        candidates: int = 40,
        rrf_k: int = 60,
        ef_search: int = 100,
        vector_weight: float = 1.0,
        lexical_weight: float = 1.0,
        lexical_pool: int = 200,
    ) -> None:
        self.embedder = embedder
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.lexical_pool = lexical_pool
        self.vector_weight = vector_weight
        self.lexical_weight = lexical_weight
        self.ef_search = ef_search

    def search(
        self, query: str, *, filters: RetrievalFilters, k: int = 5, mode: Mode = "hybrid"
    ) -> list[RetrievedPassage]:
        if not query.strip():
            return []
        words = sorted(set(tokens(query)))
        query_vector = self.embedder.embed_queries([query])[0] if mode != "lexical" else None
        shape = _filters_key(filters)
        # The vector candidates come with their fields: the winners are usually among them, so
        # no second round trip fetches the passages.
        vector_rows = (
            sql_templates.render(
                ("retrieval-vector", shape, self.candidates),
                lambda given: (
                    filtered_chunks(filters)
                    .annotate(distance=CosineDistance("embedding", given["vector"]))
                    .order_by("distance")
                    .values_list("id", "distance", *_PASSAGE_FIELDS)[: self.candidates]
                ),
                {"vector": VECTOR_MARKER},
                {"vector": vector_parameter(query_vector)},
            )
            if query_vector is not None
            else None
        )
        terms = lexical_terms(query) if mode != "vector" else None
        pool_rows = (
            sql_templates.render(
                ("retrieval-pool", shape, self.lexical_pool),
                lambda given: (
                    filtered_chunks(filters)
                    .filter(search_vector=given["terms"])
                    .annotate(rank=SearchRank(F("search_vector"), given["terms"]))
                    .order_by("-rank", "id")
                    .values_list("id", "search_text")[: self.lexical_pool]
                ),
                {"terms": TERMS_MARKER},
                {"terms": terms},
            )
            if terms is not None
            else None
        )
        vector_result, pool = self._fetch(vector_rows, pool_rows)
        rows = {row[0]: dict(zip(_PASSAGE_FIELDS, row[2:], strict=True)) for row in vector_result}
        vector_hits = [(row[0], 1.0 - float(row[1])) for row in vector_result]
        lexical_hits = self._bm25(pool, words, filters) if pool else []
        scores: dict[int, float] = {}
        ranks: dict[int, dict[str, int]] = {}
        for rank, (chunk_id, _similarity) in enumerate(vector_hits, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + self.vector_weight / (self.rrf_k + rank)
            ranks.setdefault(chunk_id, {})["vector"] = rank
        for rank, chunk_id in enumerate(lexical_hits, start=1):
            scores[chunk_id] = scores.get(chunk_id, 0.0) + self.lexical_weight / (self.rrf_k + rank)
            ranks.setdefault(chunk_id, {})["lexical"] = rank
        best = sorted(scores, key=lambda chunk_id: (-scores[chunk_id], chunk_id))[:k]
        similarities = dict(vector_hits)
        missing = [chunk_id for chunk_id in best if chunk_id not in rows]
        if missing:
            # Found by words only: their fields and, with a query vector, their similarity.
            extra = KnowledgeChunk.objects.filter(id__in=missing)
            if query_vector is not None:
                extra = extra.annotate(distance=CosineDistance("embedding", query_vector))
            else:
                extra = extra.annotate(distance=Value(None, output_field=FloatField()))
            for chunk_id, distance, *fields in extra.values_list(
                "id", "distance", *_PASSAGE_FIELDS
            ):
                rows[chunk_id] = dict(zip(_PASSAGE_FIELDS, fields, strict=True))
                if distance is not None:
                    similarities[chunk_id] = 1.0 - float(distance)
        return [
            RetrievedPassage(
                chunk_id=chunk_id,
                **rows[chunk_id],
                score=scores[chunk_id],
                similarity=similarities.get(chunk_id, 0.0),
                ranks=ranks[chunk_id],
            )
            for chunk_id in best
            if chunk_id in rows  # deleted between the ranking and the fetch: left out
        ]

    def _fetch(
        self,
        vector_rows: tuple[str, list[Any]] | None,
        pool_rows: tuple[str, list[Any]] | None,
    ) -> tuple[list[tuple], list[tuple]]:
        """The vector candidates and the full-text pool, in one round trip when the driver
        allows it.

        The HNSW settings must hold for the vector query only: sent together in one simple
        query message, the statements run as one implicit transaction that the local
        settings end with. Client-side binding (Django's default for psycopg 3) is what
        permits several statements with parameters; otherwise each runs on its own, as
        before, in a transaction of their own.
        """
        parts: list[tuple[str, Any]] = []
        if vector_rows is not None:
            parts.append((_TUNE_HNSW, (str(int(self.ef_search)),)))
            parts.append(vector_rows)
        if pool_rows is not None:
            parts.append(pool_rows)
        if not parts:
            return [], []
        with connection.cursor() as cursor:
            if _allows_several_statements(cursor):
                cursor.execute(
                    "; ".join(sql for sql, _params in parts),
                    [param for _sql, params in parts for param in params],
                )
                results = [cursor.fetchall()]
                while cursor.cursor.nextset():
                    results.append(cursor.fetchall())
                results = results[1:] if vector_rows is not None else results
                vector_result = results.pop(0) if vector_rows is not None else []
                return vector_result, results[0] if pool_rows is not None else []
        with transaction.atomic(), connection.cursor() as cursor:
            vector_result: list[tuple] = []
            if vector_rows is not None:
                cursor.execute(_TUNE_HNSW, [str(int(self.ef_search))])
                cursor.execute(*vector_rows)
                vector_result = cursor.fetchall()
            pool: list[tuple] = []
            if pool_rows is not None:
                cursor.execute(*pool_rows)
                pool = cursor.fetchall()
            return vector_result, pool

    def _bm25(
        self,
        pool: list[tuple[int, str]],
        words: list[str],
        filters: RetrievalFilters,
    ) -> list[int]:
        """The full-text pool (from the GIN index) ranked by Okapi BM25.

        PostgreSQL's ts_rank ignores how rare a word is across the corpus, which is most of
        what makes lexical ranking work (measured with eval_retrieval: R@1 0.43 with
        ts_rank_cd vs 0.63 with BM25), so the index finds the candidates and BM25 orders them
        with document frequencies counted over the same filtered passages (kept per process:
        see CorpusStatistics).
        """
        total, average_length, doc_freq = _statistics.get(None, filters, words)
        idf = {
            word: math.log(1 + (total - doc_freq[word] + 0.5) / (doc_freq[word] + 0.5))
            for word in words
        }
        scored = []
        for chunk_id, search_text in pool:
            terms = search_text.split()
            norm = BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / average_length)
            # A question has a handful of words: counting just those (in C) is several times
            # faster than counting every word of the passage.
            score = 0.0
            for word in words:
                count = terms.count(word)
                if count:
                    score += idf[word] * count * (BM25_K1 + 1) / (count + norm)
            scored.append((score, chunk_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [chunk_id for _score, chunk_id in scored[: self.candidates]]

    def _tune_hnsw(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(_TUNE_HNSW, [str(int(self.ef_search))])


# With filters, a plain HNSW scan can return fewer rows than asked; pgvector 0.8's iterative
# scan keeps walking the graph until the filtered LIMIT is met. Both settings are local to
# the transaction, like SET LOCAL.
_TUNE_HNSW = (
    "SELECT set_config('hnsw.ef_search', %s, true), "
    "set_config('hnsw.iterative_scan', 'relaxed_order', true)"
)


def _allows_several_statements(cursor: Any) -> bool:
    return isinstance(getattr(cursor, "cursor", None), psycopg.ClientCursor)
