"""django-q2 tasks of the knowledge base.

`knowledge_sweep_task` runs every 15 minutes (a Schedule created by migration 0003): it takes
expired and unpublished pages out of retrieval and indexes pages published outside the page
editor (workflow approvals, scheduled go-live, bulk actions), which fire no Wagtail hook.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from bank_ai.ai.indexing import index_document, remove_page
from bank_ai.ai.models import KNOWLEDGE_CORPUS, CuratedQuestion, KnowledgeChunk
from content.knowledge import article_document
from content.models import KnowledgeArticle

SWEEP_SCHEDULE_NAME = "knowledge-sweep"


def knowledge_sweep(*, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    indexed_revisions: dict[int, set[int | None]] = {}
    for page_id, revision_id in (
        KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, page__isnull=False)
        .values_list("page_id", "revision_id")
        .distinct()
    ):
        indexed_revisions.setdefault(page_id, set()).add(revision_id)
    for page_id in CuratedQuestion.objects.values_list("page_id", flat=True).distinct():
        indexed_revisions.setdefault(page_id, set())
    retrievable = KnowledgeArticle.objects.live().filter(
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    keep = set(retrievable.filter(pk__in=indexed_revisions).values_list("pk", flat=True))
    removed_pages = 0
    removed = 0
    for page_id in sorted(set(indexed_revisions) - keep):
        removed += remove_page(page_id)
        removed_pages += 1
    indexed_pages = 0
    written = 0
    for page in retrievable.only("pk", "live_revision_id"):
        if indexed_revisions.get(page.pk) == {page.live_revision_id}:
            continue
        chunks_written, chunks_removed = index_document(article_document(page))
        written += chunks_written
        removed += chunks_removed
        indexed_pages += 1
    return {
        "pages_removed": removed_pages,
        "pages_indexed": indexed_pages,
        "passages_written": written,
        "passages_removed": removed,
    }


def knowledge_sweep_task() -> dict[str, int]:
    return knowledge_sweep()


# --------------------------------------------------------------------------- video studio


def studio_topic_refresh_task() -> dict[str, int]:
    """Hourly (schedule from migration 0005): feeds, knowledge and demand into the pool."""
    from content.studio.topics import topics_refresh

    return topics_refresh()


def render_item_task(item_id: int | str) -> str:
    from content.studio.services import render_item_run

    return render_item_run(item_id=int(item_id)).status


def publication_run_task(publication_id: int) -> str:
    from content.studio.publishing import publication_run

    return publication_run(publication_id=publication_id).status
