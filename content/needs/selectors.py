"""Reads of the need mining: clusters for editors, and what the pages drafted from them answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from content.models import QuestionHit
from content.needs.models import NeedCluster


def open_clusters(*, language: str = "") -> QuerySet[NeedCluster]:
    clusters = NeedCluster.objects.filter(status=NeedCluster.Status.OPEN).order_by(
        "-size", "-last_asked"
    )
    if language:
        clusters = clusters.filter(language=language)
    return clusters


@dataclass(frozen=True)
class DraftedPageImpact:
    cluster: NeedCluster
    page_id: int | None
    page_title: str
    live: bool
    answered: int  # questions answered citing the page since it was drafted
    distinct_questions: int


def drafted_pages_impact() -> list[DraftedPageImpact]:
    """Pages created from clusters, with how many questions they answered since."""
    drafted = list(
        NeedCluster.objects.filter(status=NeedCluster.Status.DRAFTED)
        .select_related("page")
        .order_by("-drafted_at")
    )
    counts: dict[int, dict[str, Any]] = {}
    for cluster in drafted:
        if not cluster.page_id:
            continue
        counts[cluster.pk] = QuestionHit.objects.filter(
            page_id=cluster.page_id, created_at__gte=cluster.drafted_at
        ).aggregate(
            answered=Count("id"),
            distinct=Count("question_key", distinct=True),
        )
    return [
        DraftedPageImpact(
            cluster=cluster,
            page_id=cluster.page_id,
            page_title=cluster.page.title if cluster.page else "",
            live=bool(cluster.page and cluster.page.live),
            answered=counts.get(cluster.pk, {}).get("answered", 0),
            distinct_questions=counts.get(cluster.pk, {}).get("distinct", 0),
        )
        for cluster in drafted
    ]
