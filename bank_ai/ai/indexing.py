"""Turning knowledge pages into retrievable passages, incrementally.

A page is re-embedded only when the hash of its text and metadata changed, so a re-index after
one edit touches one page. Pages that are no longer live lose their passages. The pages come
from the registered `KnowledgeSource` (bank_ai.ai.knowledge) as plain documents.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.utils import timezone

from bank_ai.ai.guards import neutralise_passage
from bank_ai.ai.knowledge import KnowledgeDocument, knowledge_source
from bank_ai.ai.models import KNOWLEDGE_CORPUS, CuratedQuestion, IndexingRun, KnowledgeChunk
from bank_ai.ai.retrieval import forget_corpus_statistics
from bank_ai.ai.runtime import get_embedder
from bank_ai.ai.text import detect_language, segment_for_search, split_sentences

MAX_CHUNK_CHARS = 360
# Part of every page's hash: bump it when chunking or curated-question extraction changes, so
# the next re-index rebuilds every page. The embedder's name is in the hash for the same reason.
# 4: the hash covers the KnowledgeDocument the knowledge source hands over.
INDEX_FORMAT = 4


@dataclass(frozen=True)
class ChunkDraft:
    position: int
    text: str


def chunk_text(text: str, max_chars: int = MAX_CHUNK_CHARS) -> list[ChunkDraft]:
    """Sentence-aligned chunks of at most max_chars, each repeating the previous last sentence.

    The overlap keeps a fact that straddles a boundary retrievable from either side.
    """
    sentences = split_sentences(text)
    chunks: list[ChunkDraft] = []
    current: list[str] = []
    for sentence in sentences:
        if current and sum(len(s) for s in current) + len(sentence) > max_chars:
            chunks.append(ChunkDraft(len(chunks), _join(current)))
            current = [current[-1]] if len(current[-1]) < max_chars // 2 else []
        current.append(sentence)
    if current:
        chunks.append(ChunkDraft(len(chunks), _join(current)))
    return chunks


def _join(sentences: Sequence[str]) -> str:
    joined = ""
    for sentence in sentences:
        if joined and joined[-1] not in "。！？；.!?;:：":
            # A heading or list line without end punctuation stays its own line, so it is
            # not glued to the next sentence when the passage is split again for answers.
            joined += "\n"
        elif joined and joined[-1].isascii() and sentence[:1].isascii():
            joined += " "
        joined += sentence
    return joined


def _search_fields(text: str) -> dict[str, object]:
    search_text = segment_for_search(text)
    return {"search_text": search_text, "search_length": len(search_text.split())}


def _passage_input(title: str, text: str) -> str:
    return f"{title}\n{text}"


def _document_hash(document: KnowledgeDocument) -> str:
    # Everything that ends up in a passage except which revision it came from: a new revision
    # with the same content only moves the citations (see index_document).
    fields = asdict(document)
    del fields["page_id"], fields["revision_id"]
    version = [INDEX_FORMAT, MAX_CHUNK_CHARS, getattr(get_embedder(), "name", "")]
    digest = hashlib.sha256(json.dumps([fields, version], default=str).encode("utf-8"))
    return digest.hexdigest()


@transaction.atomic
def index_document(document: KnowledgeDocument) -> tuple[int, int]:
    """(passages written, passages removed) for one page; nothing happens if it is unchanged."""
    content_hash = _document_hash(document)
    page_id, revision_id = document.page_id, document.revision_id
    existing = KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, page_id=page_id)
    if existing.exists() and not existing.exclude(content_hash=content_hash).exists():
        # Same content: only remember the newer revision so citations point at what is live.
        existing.exclude(revision_id=revision_id).update(revision_id=revision_id)
        CuratedQuestion.objects.filter(page_id=page_id).exclude(revision_id=revision_id).update(
            revision_id=revision_id
        )
        return 0, 0
    removed, _ = existing.delete()
    CuratedQuestion.objects.filter(page_id=page_id).delete()
    # Planted instructions are removed once here rather than on every query (it is the slow
    # part of the guard): retrieval then only ever sees cleaned passages.
    text, _planted = neutralise_passage(document.text)
    drafts = chunk_text(text)
    embedder = get_embedder()
    vectors = embedder.embed_passages([_passage_input(document.title, d.text) for d in drafts])
    common = {
        "corpus": KNOWLEDGE_CORPUS,
        "page_id": page_id,
        "revision_id": revision_id,
        "language": document.language,
        "audience": document.audience,
        "collection": document.collection,
        "page_type": document.page_type,
        "product_code": document.product_code,
        "topics": list(document.topics),
        "valid_from": document.valid_from,
        "valid_until": document.valid_until,
        "title": document.title[:255],
        "url": document.url,
        "content_hash": content_hash,
    }
    chunks = [
        KnowledgeChunk(
            **common,
            position=draft.position,
            text=draft.text,
            **_search_fields(f"{document.title} {draft.text}"),
            embedding=vector,
        )
        for draft, vector in zip(drafts, vectors, strict=True)
    ]
    KnowledgeChunk.objects.bulk_create(chunks)
    _refresh_search_vectors(KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, page_id=page_id))
    if document.page_type == "faq":
        # The title is the editor's canonical wording of the question: match it too.
        questions = list(
            dict.fromkeys([document.title, *(q for q in document.question_variants if q.strip())])
        )
        question_vectors = embedder.embed_queries(questions)
        CuratedQuestion.objects.bulk_create(
            CuratedQuestion(
                page_id=page_id,
                revision_id=revision_id,
                language=document.language,
                audience=document.audience,
                collection=document.collection,
                valid_from=document.valid_from,
                valid_until=document.valid_until,
                question=question[:300],
                answer=document.answer,
                title=document.title[:255],
                url=document.url,
                embedding=vector,
            )
            for question, vector in zip(questions, question_vectors, strict=True)
        )
    return len(chunks), removed


def _knowledge_changed() -> None:
    # At once, and again at commit: a question answered meanwhile (another thread) would
    # otherwise keep the figures counted before the change.
    forget_corpus_statistics()
    transaction.on_commit(forget_corpus_statistics)


def _refresh_search_vectors(chunks) -> None:  # noqa: ANN001 - a queryset
    chunks.update(search_vector=SearchVector("search_text", config="simple"))
    _knowledge_changed()


@transaction.atomic
def remove_page(page_id: int) -> int:
    CuratedQuestion.objects.filter(page_id=page_id).delete()
    removed, _ = KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, page_id=page_id).delete()
    _knowledge_changed()
    return removed


def reindex_knowledge(
    run: IndexingRun, progress_every: int = 10, log: Callable[[str], None] | None = None
) -> IndexingRun:
    """Bring the knowledge corpus in line with the live pages, recording progress on `run`."""
    run.status = IndexingRun.Status.RUNNING
    run.save(update_fields=["status"])
    try:
        documents = list(knowledge_source().live_documents())
        run.pages_total = len(documents)
        run.save(update_fields=["pages_total"])
        live_ids = {document.page_id for document in documents}
        stale = (
            set(
                KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS)
                .values_list("page_id", flat=True)
                .distinct()
            )
            - live_ids
        )
        for page_id in stale:
            if page_id is not None:
                run.chunks_removed += remove_page(page_id)
        for number, document in enumerate(documents, start=1):
            written, removed = index_document(document)
            run.chunks_written += written
            run.chunks_removed += removed
            run.pages_reindexed += 1 if written else 0
            run.pages_done = number
            if number % progress_every == 0 or number == len(documents):
                run.save(
                    update_fields=[
                        "pages_done",
                        "pages_reindexed",
                        "chunks_written",
                        "chunks_removed",
                    ]
                )
                if log:
                    log(f"{number}/{len(documents)} pages checked")
        run.status = IndexingRun.Status.DONE
    except Exception as exc:
        run.status = IndexingRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    return run


@transaction.atomic
def index_corpus(
    corpus: str, rows: Sequence[tuple[str, str]], *, language: str | None = None, batch: int = 64
) -> int:
    """Index (external id, text) rows into a separate corpus (evaluation, benchmarks)."""
    if corpus == KNOWLEDGE_CORPUS:
        raise ValueError("index_corpus writes throw-away corpora, not the knowledge base")
    KnowledgeChunk.objects.filter(corpus=corpus).delete()
    embedder = get_embedder()
    written = 0
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        vectors = embedder.embed_passages([text for _id, text in part])
        KnowledgeChunk.objects.bulk_create(
            KnowledgeChunk(
                corpus=corpus,
                external_id=external_id,
                position=0,
                language=language or detect_language(text),
                audience="public",
                title=text[:80],
                text=text,
                **_search_fields(text),
                embedding=vector,
                content_hash="",
            )
            for (external_id, text), vector in zip(part, vectors, strict=True)
        )
        written += len(part)
    _refresh_search_vectors(KnowledgeChunk.objects.filter(corpus=corpus))
    return written


def drop_corpus(corpus: str) -> None:
    if corpus == KNOWLEDGE_CORPUS:
        raise ValueError("refusing to drop the knowledge base")
    KnowledgeChunk.objects.filter(corpus=corpus).delete()
    _knowledge_changed()
