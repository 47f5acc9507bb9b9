"""Keep the knowledge index in step with what editors publish (in the task cluster)."""

from __future__ import annotations

from django.db import transaction
from wagtail import hooks

from bank_ai.ai.tasks import page_index_enqueue
from content.models import KnowledgeArticle


def _enqueue(page: object, reason: str) -> None:
    if isinstance(page.specific, KnowledgeArticle):
        page_id = page.pk
        # After commit: the task must see the published revision, never a rolled-back one.
        transaction.on_commit(lambda: page_index_enqueue(page_id=page_id, reason=reason))


@hooks.register("after_publish_page")
def index_published_page(request: object, page: object) -> None:
    _enqueue(page, "published")


@hooks.register("after_unpublish_page")
def drop_unpublished_page(request: object, page: object) -> None:
    _enqueue(page, "unpublished")


@hooks.register("after_delete_page")
def drop_deleted_page(request: object, page: object) -> None:
    _enqueue(page, "deleted")
