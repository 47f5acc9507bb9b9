"""django-q2 tasks of the AI core. Enqueue them through the services below, not directly."""

from __future__ import annotations

from django_q.tasks import async_task

from bank_ai.ai.indexing import index_document, reindex_knowledge, remove_page
from bank_ai.ai.intents import intent_model_train
from bank_ai.ai.knowledge import knowledge_source
from bank_ai.ai.models import IndexingRun


def reindex_knowledge_task(run_id: int) -> dict[str, int]:
    run = reindex_knowledge(IndexingRun.objects.get(pk=run_id))
    return {"pages": run.pages_done, "written": run.chunks_written, "removed": run.chunks_removed}


def train_intent_model_task() -> int:
    return intent_model_train().pk


def indexing_run_enqueue(*, reason: str) -> IndexingRun:
    run = IndexingRun.objects.create(reason=reason[:200])
    async_task(
        reindex_knowledge_task, run.pk, task_name=f"reindex-knowledge-{run.pk}", group="knowledge"
    )
    return run


def intent_training_enqueue(*, reason: str) -> str:
    return async_task(
        train_intent_model_task, task_name=f"train-intents: {reason}"[:100], group="intents"
    )


def index_page_task(page_id: int) -> dict[str, int]:
    """Index one page as it is live now, or drop its passages if it is no longer live (or
    its validity has ended)."""
    document = knowledge_source().live_document(page_id)
    if document is None:
        return {"written": 0, "removed": remove_page(page_id)}
    written, removed = index_document(document)
    return {"written": written, "removed": removed}


def page_index_enqueue(*, page_id: int, reason: str) -> str:
    return async_task(
        index_page_task,
        page_id,
        task_name=f"index-page-{page_id}: {reason}"[:100],
        group="knowledge",
    )


def train_matcher_task() -> dict[str, object]:
    from bank_ai.ai.matcher_training import train_question_matcher

    meta = train_question_matcher().meta
    return {k: meta[k] for k in ("pairs", "positives", "train_auc", "origins")}


def matcher_training_enqueue(*, reason: str) -> str:
    return async_task(
        train_matcher_task, task_name=f"train-matcher: {reason}"[:100], group="matcher"
    )
