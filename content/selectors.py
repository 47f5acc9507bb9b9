"""Who may read which knowledge, and what was asked of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from content.models import Audience, KnowledgeCollection, QuestionHit

ASK_PERMISSION = "content.ask_staff_assistant"
COLLECTION_PERMISSION = "content.answer_from_collection"


def user_can_read_article(user: Any, article: Any) -> bool:
    """Public pages for everyone; internal ones for staff; restricted ones per collection.

    Restricted collections are granted to groups with django-guardian's object permission
    `content.answer_from_collection`, the same permission the assistant's retrieval honours.
    """
    if article.audience == Audience.PUBLIC:
        return True
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if article.audience == Audience.INTERNAL:
        return user.has_perm(ASK_PERMISSION)
    return user.has_perm(COLLECTION_PERMISSION, article.collection)


@dataclass(frozen=True)
class KnowledgeScope:
    """What a reader may be answered from: audiences plus individually granted collections."""

    audiences: tuple[str, ...]
    extra_collections: tuple[str, ...]

    @property
    def is_customer(self) -> bool:
        return self.audiences == (Audience.PUBLIC,) and not self.extra_collections


CUSTOMER_SCOPE = KnowledgeScope(audiences=(Audience.PUBLIC,), extra_collections=())


def knowledge_scope_for_user(user: Any) -> KnowledgeScope:
    """The same rule as user_can_read_article, as retrieval filters.

    Restricted collections come from django-guardian (group or user object permissions); a
    collection that is not restricted is never added here, so a stray object permission on a
    public or internal collection cannot widen anyone's access.
    """
    # Devices and anonymous callers are customers' channels.
    if not getattr(user, "is_authenticated", False) or not getattr(user, "pk", None):
        return CUSTOMER_SCOPE
    restricted = KnowledgeCollection.objects.filter(audience=Audience.RESTRICTED)
    if user.is_superuser:
        slugs = tuple(restricted.values_list("slug", flat=True))
        return KnowledgeScope((Audience.PUBLIC, Audience.INTERNAL), slugs)
    if not user.has_perm(ASK_PERMISSION):
        return CUSTOMER_SCOPE
    from guardian.shortcuts import get_objects_for_user

    permitted = get_objects_for_user(
        user, COLLECTION_PERMISSION, klass=restricted, accept_global_perms=False
    )
    slugs = tuple(sorted(permitted.values_list("slug", flat=True)))
    return KnowledgeScope((Audience.PUBLIC, Audience.INTERNAL), slugs)


def page_question_hits(page_id: int, *, limit: int = 30) -> list[Mapping[str, Any]]:
    """The page's questions grouped by their normalised wording, most frequent first."""
    return list(
        QuestionHit.objects.filter(page_id=page_id)
        .values("question_key")
        .annotate(
            hits=Count("id"),
            question=Min("question"),
            last_asked=Max("created_at"),
            channels=Count("channel", distinct=True),
        )
        .order_by("-hits", "-last_asked")[:limit]
    )


def page_hit_summary(page_id: int) -> dict[str, Any]:
    since = timezone.now() - timedelta(days=30)
    return QuestionHit.objects.filter(page_id=page_id).aggregate(
        total=Count("id"),
        last_30_days=Count("id", filter=Q(created_at__gte=since)),
        questions=Count("question_key", distinct=True),
        last_asked=Max("created_at"),
    )


def top_hit_pages(*, since: datetime | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Pages by how often answers cited them (optionally since a moment)."""
    hits = QuestionHit.objects.all()
    if since is not None:
        hits = hits.filter(created_at__gte=since)
    rows = (
        hits.values("page_id", "page__title", "page__locale__language_code")
        .annotate(
            hits=Count("id"),
            questions=Count("question_key", distinct=True),
            last_asked=Max("created_at"),
        )
        .order_by("-hits", "page_id")[:limit]
    )
    # Plain dicts: the report view adds each page's edit link to its row.
    return [dict(row) for row in rows]


def revision_was_published(page: Any, revision: Any) -> bool:
    """Whether a revision was ever live: drafts are never shown, even by a citation link."""
    if revision.pk == page.live_revision_id:
        return True
    from wagtail.models import PageLogEntry

    return PageLogEntry.objects.filter(
        page_id=page.pk, revision_id=revision.pk, action="wagtail.publish"
    ).exists()
