"""Keep the knowledge index in step with what editors publish (in the task cluster), and give
editors their knowledge tools in the CMS menu."""

from __future__ import annotations

from django.db import transaction
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from bank_ai.ai.tasks import page_index_enqueue
from content import admin_views
from content.models import KnowledgeArticle
from content.needs import admin_views as needs_views


def _enqueue(page: object, reason: str) -> None:
    # specific_class comes from the content type: no query, and it works for deleted pages.
    page_class = getattr(page, "specific_class", None)
    if page_class is not None and issubclass(page_class, KnowledgeArticle):
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


@hooks.register("register_admin_urls")
def knowledge_admin_urls() -> list:
    return [
        path("knowledge/try/", admin_views.try_question, name="content_try_question"),
        path("knowledge/hits/", admin_views.hits_report, name="content_hits_report"),
        path("knowledge/needs/", needs_views.clusters, name="needs_clusters"),
        path(
            "knowledge/needs/<int:cluster_id>/draft/",
            needs_views.cluster_draft,
            name="needs_cluster_draft",
        ),
        path(
            "knowledge/needs/<int:cluster_id>/dismiss/",
            needs_views.cluster_dismiss,
            name="needs_cluster_dismiss",
        ),
    ]


class NeedsMenuItem(MenuItem):
    def is_shown(self, request: object) -> bool:
        return request.user.has_perm(needs_views.VIEW_PERMISSION)  # type: ignore[attr-defined]


@hooks.register("register_admin_menu_item")
def needs_menu_item() -> MenuItem:
    return NeedsMenuItem(
        _("Customer needs"), reverse("needs_clusters"), icon_name="search", order=260
    )


@hooks.register("register_admin_menu_item")
def try_question_menu_item() -> MenuItem:
    return MenuItem(
        _("Try a question"), reverse("content_try_question"), icon_name="help", order=250
    )


@hooks.register("register_reports_menu_item")
def hits_report_menu_item() -> MenuItem:
    return MenuItem(
        _("Knowledge hits"), reverse("content_hits_report"), icon_name="list-ol", order=50
    )


@hooks.register("after_bulk_action")
def reindex_bulk_changed_pages(
    request: object, action_type: str, objects: list, action: object
) -> None:
    # Bulk publish/unpublish/delete bypass the page editor's hooks; moving changes URLs.
    if action_type in {"publish", "unpublish", "delete", "move"}:
        for page in objects:
            _enqueue(page, f"bulk {action_type}")
