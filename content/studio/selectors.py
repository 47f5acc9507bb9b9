"""Reads of the studio: the ranked topic pool, a script's history, the seed's KPIs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from content.models import (
    Publication,
    RenderBatch,
    RenderItem,
    ScriptVersion,
    Topic,
    TopicSource,
    VideoScript,
)

HOT_TOPICS = 10
# Publishers that are the bank's own channels; everything else is a third party.
OWN_PUBLISHERS = frozenset({"hall_screen"})


def topic_pool(*, language: str | None = None, limit: int = 50) -> QuerySet[Topic]:
    """Open topics, best score first, with their sources and how many scripts they have."""
    topics = Topic.objects.filter(status=Topic.Status.OPEN)
    if language:
        topics = topics.filter(language=language)
    return (
        topics.annotate(script_count=Count("scripts", distinct=True))
        .prefetch_related(
            Prefetch("sources", queryset=TopicSource.objects.order_by("-published_at"))
        )
        .order_by("-score", "-latest_at", "pk")[:limit]
    )


def batch_progress(batch: RenderBatch) -> dict[str, Any]:
    counts = dict.fromkeys(RenderItem.Status.values, 0)
    progress = 0.0
    items = list(batch.items.values("status", "progress"))
    for item in items:
        counts[item["status"]] += 1
        progress += 1.0 if item["status"] in ("done", "failed") else item["progress"]
    return {
        "items": len(items),
        "counts": counts,
        "progress": round(progress / len(items), 3) if items else 0.0,
        "finished": counts["done"] + counts["failed"] == len(items),
    }


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def studio_kpis(
    *, since: datetime | None = None, until: datetime | None = None, hot_topics: int = HOT_TOPICS
) -> dict[str, Any]:
    """The five KPIs of the seed's video-production scenario.

    * script adoption rate: approved scripts / scripts generated from a topic or template
      (created in the window);
    * script generations per hot topic: generated versions (first drafts and regenerations,
      not edits or resizes) of scripts of each of the pool's top `hot_topics` topics;
    * content adoption rate: rendered videos published on at least one target / rendered videos;
    * content generations per hot topic: rendered videos of each hot topic's scripts;
    * third-party sync success rate: finished publications to third-party targets (not the
      bank's own hall screens) that succeeded / all finished ones; `attempt_success_rate`
      counts every attempt.
    """
    window = Q()
    if since is not None:
        window &= Q(created_at__gte=since)
    if until is not None:
        window &= Q(created_at__lt=until)
    scripts = VideoScript.objects.filter(window)
    generated = scripts.filter(versions__origin=ScriptVersion.Origin.GENERATED).distinct()
    approved = generated.filter(approved_version__isnull=False)
    script_adoption = {
        "generated": generated.count(),
        "approved": approved.count(),
        "rate": _rate(approved.count(), generated.count()),
    }

    rendered = RenderItem.objects.filter(
        status=RenderItem.Status.DONE, batch__in=RenderBatch.objects.filter(window)
    )
    published = rendered.filter(
        Exists(Publication.objects.filter(item=OuterRef("pk"), status=Publication.Status.PUBLISHED))
    )
    content_adoption = {
        "rendered": rendered.count(),
        "published": published.count(),
        "rate": _rate(published.count(), rendered.count()),
    }

    hot = list(
        Topic.objects.filter(status=Topic.Status.OPEN).order_by("-score", "-latest_at", "pk")[
            :hot_topics
        ]
    )
    per_topic = []
    for topic in hot:
        versions = ScriptVersion.objects.filter(
            script__in=scripts.filter(topic=topic), origin=ScriptVersion.Origin.GENERATED
        )
        per_topic.append(
            {
                "topic_id": topic.pk,
                "title": topic.title,
                "score": topic.score,
                "script_generations": versions.count(),
                "content_generations": rendered.filter(script__topic=topic).count(),
            }
        )

    third_party = Publication.objects.filter(window).exclude(target__publisher__in=OWN_PUBLISHERS)
    finished = third_party.exclude(status=Publication.Status.PENDING)
    succeeded = finished.filter(status=Publication.Status.PUBLISHED)
    attempts = third_party.aggregate(
        total=Count("attempts"), ok=Count("attempts", filter=Q(attempts__ok=True))
    )
    return {
        "script_adoption_rate": script_adoption,
        "script_generations_per_hot_topic": [
            {k: row[k] for k in ("topic_id", "title", "score", "script_generations")}
            for row in per_topic
        ],
        "content_adoption_rate": content_adoption,
        "content_generations_per_hot_topic": [
            {k: row[k] for k in ("topic_id", "title", "score", "content_generations")}
            for row in per_topic
        ],
        "third_party_sync_success_rate": {
            "finished": finished.count(),
            "succeeded": succeeded.count(),
            "rate": _rate(succeeded.count(), finished.count()),
            "attempts": attempts["total"],
            "attempts_ok": attempts["ok"],
            "attempt_success_rate": _rate(attempts["ok"], attempts["total"]),
        },
    }
