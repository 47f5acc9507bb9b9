"""Mining the questions customers asked that the engine could not answer; FAQ drafts from them.

The questions come from the AI core's answer audit (`ai.AnswerAudit`, already masked: no raw
card or ID number is ever read or stored here). An answer counts as unanswered when its kind is
one of `NEEDS_ANSWER_KINDS` (default: not_found, clarify).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page

from bank_ai.ai.models import AnswerAudit
from content.models import FaqPage, KnowledgeCollection, KnowledgeIndexPage
from content.needs.clustering import cluster_vectors
from content.needs.models import NeedCluster, NeedQuestion
from content.services import question_key

MAX_EXAMPLES = 8
MAX_VARIANTS = 12  # the page's question-variants field holds at most 12
# Channels whose questions are not customers' needs: editors trying questions in the CMS.
IGNORED_CHANNELS = ("cms",)


class NeedsError(ValueError):
    """A draft that cannot be made (cluster already drafted, no index page, no permission)."""


@dataclass(frozen=True)
class MiningResult:
    questions: int
    clusters: int
    kept: int  # drafted or dismissed clusters left as they were


def _embed(texts: list[str]) -> Any:
    from bank_ai.ai.embeddings import l2_normalise
    from bank_ai.ai.runtime import get_embedder

    return l2_normalise(get_embedder().embed_queries(texts))


@transaction.atomic
def needs_rebuild(*, now: Any = None) -> MiningResult:
    """Rebuild the open clusters from the unanswered questions of the last NEEDS_WINDOW_DAYS."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.NEEDS_WINDOW_DAYS)
    kept_clusters = NeedCluster.objects.exclude(status=NeedCluster.Status.OPEN)
    taken = set(
        NeedQuestion.objects.filter(cluster__in=kept_clusters).values_list("audit_id", flat=True)
    )
    NeedCluster.objects.filter(status=NeedCluster.Status.OPEN).delete()
    audits: list[dict[str, Any]] = [
        dict(row)
        for row in AnswerAudit.objects.filter(
            created_at__gte=since,
            created_at__lte=now,
            answer_kind__in=settings.NEEDS_ANSWER_KINDS,
        )
        .exclude(channel__in=IGNORED_CHANNELS)
        .exclude(pk__in=taken)
        .exclude(masked_question="")
        .values("pk", "masked_question", "language", "answer_kind", "created_at")
    ]
    clusters = 0
    for language in sorted({a["language"] for a in audits}):
        clusters += _cluster_language([a for a in audits if a["language"] == language], language)
    return MiningResult(questions=len(audits), clusters=clusters, kept=kept_clusters.count())


def _cluster_language(audits: list[dict[str, Any]], language: str) -> int:
    by_key: dict[str, list[dict[str, Any]]] = {}
    for audit in audits:
        by_key.setdefault(question_key(audit["masked_question"]), []).append(audit)
    # Most asked first (ties by wording, so a rebuild of the same data gives the same clusters).
    keys = sorted(by_key, key=lambda k: (-len(by_key[k]), k))
    if not keys:
        return 0
    vectors = _embed([by_key[k][0]["masked_question"] for k in keys])
    groups = cluster_vectors(vectors, [len(by_key[k]) for k in keys], settings.NEEDS_SIMILARITY)
    created = 0
    for group in groups:
        members = [a for index in group for a in by_key[keys[index]]]
        if len(members) < settings.NEEDS_MIN_CLUSTER_SIZE:
            continue
        wordings: Counter[str] = Counter()
        for index in group:
            wordings[by_key[keys[index]][0]["masked_question"][:300]] += len(by_key[keys[index]])
        examples = [text for text, _count in wordings.most_common(MAX_EXAMPLES)]
        cluster = NeedCluster.objects.create(
            language=language,
            label=examples[0],
            size=len(members),
            distinct_questions=len(group),
            examples=examples,
            first_asked=min(a["created_at"] for a in members),
            last_asked=max(a["created_at"] for a in members),
        )
        NeedQuestion.objects.bulk_create(
            NeedQuestion(
                cluster=cluster,
                audit_id=a["pk"],
                question=a["masked_question"][:500],
                answer_kind=a["answer_kind"],
                asked_at=a["created_at"],
            )
            for a in members
        )
        created += 1
    return created


def _draft_slug(parent: Page, title: str, cluster_id: int) -> str:
    base = (slugify(title, allow_unicode=True) or "faq")[:40]
    slug = f"{base}-need-{cluster_id}"
    n = 2
    while parent.get_children().filter(slug=slug).exists():
        slug = f"{base}-need-{cluster_id}-{n}"
        n += 1
    return slug


@transaction.atomic
def cluster_to_faq_draft(
    *, cluster_id: int, user: Any, collection: KnowledgeCollection | None = None
) -> FaqPage:
    """A new, unpublished FAQ page under the cluster language's knowledge index.

    Title and question variants come from the cluster's example questions; the summary and the
    curated answer are left for the editor (the page is a draft: nothing reaches customers until
    it is reviewed and published).
    """
    cluster = NeedCluster.objects.select_for_update().get(pk=cluster_id)
    if cluster.status == NeedCluster.Status.DRAFTED and cluster.page_id:
        raise NeedsError("this cluster already has a FAQ draft")
    parent = KnowledgeIndexPage.objects.filter(locale__language_code=cluster.language).first()
    if parent is None:
        raise NeedsError(f"there is no knowledge index page for {cluster.language}")
    if not parent.permissions_for_user(user).can_add_subpage():
        raise NeedsError("you may not add pages to the knowledge index")
    collection = collection or KnowledgeCollection.objects.filter(audience="public").first()
    if collection is None:
        raise NeedsError("there is no public knowledge collection")
    title = cluster.label[:255]
    page = FaqPage(
        title=title,
        slug=_draft_slug(parent, title, cluster.pk),
        live=False,
        locale=parent.locale,
        collection=collection,
        audience=collection.audience,
        summary="",
        answer="",
        questions=[("question", text) for text in cluster.examples[:MAX_VARIANTS]],
        owner=user,
    )
    # A draft may be incomplete (summary and answer are the editor's job): Wagtail validates
    # only title and slug of a page that is not live, and its editor saves drafts the same way
    # (clean=False); every field is validated when the page is published.
    parent.add_child(instance=page)
    page.save_revision(user=user, clean=False)
    cluster.status = NeedCluster.Status.DRAFTED
    cluster.page = page
    cluster.drafted_at = timezone.now()
    cluster.drafted_by = (user.get_full_name() or user.get_username())[:150]
    cluster.save(update_fields=["status", "page", "drafted_at", "drafted_by"])
    return page


@transaction.atomic
def cluster_dismiss(*, cluster_id: int) -> NeedCluster:
    cluster = NeedCluster.objects.select_for_update().get(pk=cluster_id)
    cluster.status = NeedCluster.Status.DISMISSED
    cluster.save(update_fields=["status"])
    return cluster
