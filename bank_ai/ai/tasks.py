"""django-q2 tasks of the AI core. Enqueue them through the services below, not directly."""

from __future__ import annotations

from django_q.tasks import async_task

from bank_ai.ai.models import IndexingRun


def reindex_knowledge_task(run_id: int) -> dict[str, int]:
    from bank_ai.ai.indexing import reindex_knowledge

    run = reindex_knowledge(IndexingRun.objects.get(pk=run_id))
    return {"pages": run.pages_done, "written": run.chunks_written, "removed": run.chunks_removed}


def train_intent_model_task() -> int:
    from bank_ai.ai.intents import intent_model_train

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
