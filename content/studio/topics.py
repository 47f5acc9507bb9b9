"""The topic pool: feeds, the bank's own knowledge and customers' questions, de-duplicated by
embedding and scored.

Scoring (each part in [0, 1], recomputed by `topics_rescore`):

* recency = exp(-age / 7 days) of the newest source (1 today, 0.37 after a week, 0.05 after three);
* relevance = cosine similarity of the topic to the nearest public passage of the bank's own
  knowledge (pgvector), clipped to [0, 1]; a topic that *is* a knowledge page scores 1;
* demand = log(1 + questions) / log(1 + most questions of any open topic), where questions are
  the last 30 days' question hits on its pages plus the hits and unanswered questions of its
  demand sources;
* score = 0.35 recency + 0.35 relevance + 0.30 demand.

A new item joins an existing open topic of the same language when their embeddings' cosine
similarity is at least `DEDUPE_THRESHOLD`; it is then one more source of that topic.
"""

from __future__ import annotations

import html
import math
import re
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import numpy as np
from defusedxml import ElementTree
from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from content.models import FeedSource, Topic, TopicSource

DEDUPE_THRESHOLD = 0.8
RECENCY_DAYS = 7.0
DEMAND_WINDOW_DAYS = 30
WEIGHTS = {"recency": 0.35, "relevance": 0.35, "demand": 0.30}
FEED_TIMEOUT_SECONDS = 10
FEED_MAX_BYTES = 2 * 1024 * 1024
KNOWLEDGE_TOPIC_TYPES = ("campaignpage", "antifraudnoticepage", "productpage")
DEMAND_MIN_QUESTIONS = 2

_TAG_RE = re.compile(r"<[^>]+>")
_SPACE_RE = re.compile(r"\s+")
_ATOM = "{http://www.w3.org/2005/Atom}"


class FeedError(Exception):
    """A feed could not be fetched or parsed; the message says why."""


@dataclass(frozen=True)
class FeedEntry:
    ref: str
    title: str
    summary: str
    url: str
    published_at: datetime


@dataclass(frozen=True)
class TopicCandidate:
    kind: str
    ref: str
    name: str
    title: str
    summary: str
    url: str
    language: str
    published_at: datetime
    hits: int = 0
    feed: FeedSource | None = None
    page_id: int | None = None


def _plain(text: str) -> str:
    return _SPACE_RE.sub(" ", html.unescape(_TAG_RE.sub(" ", text or ""))).strip()


def _date(text: str | None) -> datetime | None:
    if not text:
        return None
    text = text.strip()
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_current_timezone())
    return parsed


def parse_feed(data: bytes) -> list[FeedEntry]:
    """RSS 2.0 items or Atom entries (defusedxml: no entity expansion, no external DTDs)."""
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FeedError(f"not well-formed XML: {exc}") from exc
    except Exception as exc:  # defusedxml's refusals (entities, DTDs) share no base class
        raise FeedError(f"refused XML: {exc.__class__.__name__}") from exc
    now = timezone.now()
    entries: list[FeedEntry] = []
    if root.tag == "rss" or root.find("channel") is not None:
        for item in root.iter("item"):
            title = _plain(item.findtext("title") or "")
            link = (item.findtext("link") or "").strip()
            ref = (item.findtext("guid") or link or title).strip()
            if not title:
                continue
            entries.append(
                FeedEntry(
                    ref=ref,
                    title=title,
                    summary=_plain(item.findtext("description") or ""),
                    url=link,
                    published_at=_date(item.findtext("pubDate")) or now,
                )
            )
        return entries
    if root.tag == f"{_ATOM}feed":
        for entry in root.iter(f"{_ATOM}entry"):
            title = _plain(entry.findtext(f"{_ATOM}title") or "")
            link_node = entry.find(f"{_ATOM}link")
            link = link_node.get("href", "") if link_node is not None else ""
            ref = (entry.findtext(f"{_ATOM}id") or link or title).strip()
            if not title:
                continue
            summary = entry.findtext(f"{_ATOM}summary") or entry.findtext(f"{_ATOM}content")
            published = entry.findtext(f"{_ATOM}published") or entry.findtext(f"{_ATOM}updated")
            entries.append(
                FeedEntry(
                    ref=ref,
                    title=title,
                    summary=_plain(summary or ""),
                    url=link,
                    published_at=_date(published) or now,
                )
            )
        return entries
    raise FeedError(f"neither RSS nor Atom (root element {root.tag!r})")


def read_feed(url: str) -> bytes:
    """http(s) with a timeout and a size cap; local files only inside the checkout."""
    if url.startswith(("http://", "https://")):
        headers = {"User-Agent": "HarbourBankStudio/1"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only
        try:
            with urllib.request.urlopen(request, timeout=FEED_TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked above
                data = response.read(FEED_MAX_BYTES + 1)
        except OSError as exc:
            raise FeedError(f"could not fetch {url}: {exc}") from exc
    else:
        raw = url.removeprefix("file://")
        base = Path(settings.BASE_DIR).resolve()
        path = (base / raw).resolve() if not Path(raw).is_absolute() else Path(raw).resolve()
        if not path.is_relative_to(base):
            raise FeedError("local feeds must be files inside the project")
        try:
            data = path.read_bytes()[: FEED_MAX_BYTES + 1]
        except OSError as exc:
            raise FeedError(f"could not read {raw}: {exc.strerror}") from exc
    if len(data) > FEED_MAX_BYTES:
        raise FeedError(f"feed larger than {FEED_MAX_BYTES} bytes")
    return data


def _embed(texts: list[str]) -> np.ndarray:
    from bank_ai.ai.runtime import get_embedder

    return get_embedder().embed_queries(texts)


def _embedder_name() -> str:
    from bank_ai.ai.runtime import get_embedder

    return getattr(get_embedder(), "name", "")


@transaction.atomic
def topic_candidates_add(*, candidates: list[TopicCandidate]) -> list[Topic]:
    """Add what is new: merge each into a near-duplicate open topic or start a topic.

    Returns the topics that were created (merged sources only extend existing ones).
    """
    known = set(
        TopicSource.objects.filter(ref__in=[c.ref for c in candidates]).values_list(
            "ref", flat=True
        )
    )
    fresh = [c for c in candidates if c.ref not in known]
    if not fresh:
        return []
    vectors = _embed([f"{c.title}\n{c.summary}"[:1000] for c in fresh])
    name = _embedder_name()
    pool = list(Topic.objects.filter(status=Topic.Status.OPEN, embedder=name))
    pool_vectors = [np.asarray(t.embedding, dtype=np.float32) for t in pool]
    created: list[Topic] = []
    for candidate, vector in zip(fresh, vectors, strict=True):
        best, best_similarity = None, -1.0
        for topic, topic_vector in zip(pool, pool_vectors, strict=True):
            if topic.language != candidate.language:
                continue
            similarity = float(np.dot(vector, topic_vector))
            if similarity > best_similarity:
                best, best_similarity = topic, similarity
        if best is not None and best_similarity >= DEDUPE_THRESHOLD:
            topic, similarity = best, best_similarity
            if candidate.published_at > topic.latest_at:
                topic.latest_at = candidate.published_at
                topic.save(update_fields=["latest_at"])
        else:
            topic = Topic.objects.create(
                title=candidate.title[:300],
                summary=candidate.summary,
                language=candidate.language,
                first_seen_at=timezone.now(),
                latest_at=candidate.published_at,
                embedding=[float(x) for x in vector],
                embedder=name,
            )
            pool.append(topic)
            pool_vectors.append(np.asarray(vector, dtype=np.float32))
            created.append(topic)
            similarity = 1.0
        TopicSource.objects.create(
            topic=topic,
            kind=candidate.kind,
            ref=candidate.ref[:500],
            name=candidate.name[:200],
            title=candidate.title[:300],
            url=candidate.url[:500],
            feed=candidate.feed,
            page_id=candidate.page_id,
            hits=candidate.hits,
            published_at=candidate.published_at,
            similarity=round(similarity, 4),
        )
    return created


def feed_fetch(*, feed: FeedSource) -> int:
    """Fetch one feed into the pool; the error (if any) is kept on the feed, not raised."""
    try:
        entries = parse_feed(read_feed(feed.url))
    except FeedError as exc:
        FeedSource.objects.filter(pk=feed.pk).update(
            last_fetched_at=timezone.now(), last_error=str(exc)[:500]
        )
        return 0
    created = topic_candidates_add(
        candidates=[
            TopicCandidate(
                kind=TopicSource.Kind.FEED,
                ref=f"feed:{feed.pk}:{entry.ref}",
                name=feed.name,
                title=entry.title,
                summary=entry.summary,
                url=entry.url,
                language=feed.language,
                published_at=entry.published_at,
                feed=feed,
            )
            for entry in entries
        ]
    )
    FeedSource.objects.filter(pk=feed.pk).update(
        last_fetched_at=timezone.now(), last_error="", last_new_topics=len(created)
    )
    return len(created)


def knowledge_candidates() -> list[TopicCandidate]:
    """Live public campaigns and anti-fraud notices, and product pages that changed since they
    were first published: the bank's own news."""
    from content.models import Audience, KnowledgeArticle

    pages = (
        KnowledgeArticle.objects.live()
        .filter(audience=Audience.PUBLIC, content_type__model__in=KNOWLEDGE_TOPIC_TYPES)
        .select_related("locale", "content_type")
    )
    changed_after = timedelta(minutes=5)
    return [
        TopicCandidate(
            kind=TopicSource.Kind.KNOWLEDGE,
            ref=f"page:{page.pk}:{page.live_revision_id}",
            name=str(page.content_type.model_class()._meta.verbose_name),
            title=page.title,
            summary=page.summary,
            url=page.url or "",
            language=page.locale.language_code,
            published_at=page.last_published_at or timezone.now(),
            page_id=page.pk,
        )
        for page in pages
        if page.content_type.model != "productpage"
        or (
            page.first_published_at
            and page.last_published_at
            and page.last_published_at - page.first_published_at > changed_after
        )
    ]


def demand_candidates(*, now: datetime | None = None) -> list[TopicCandidate]:
    """Questions customers asked most (hits) and those left unanswered, last 30 days."""
    from bank_ai.ai.models import AnswerAudit
    from content.models import QuestionHit
    from content.services import question_key

    now = now or timezone.now()
    since = now - timedelta(days=DEMAND_WINDOW_DAYS)
    day = now.date().isoformat()
    candidates: list[TopicCandidate] = []
    asked = (
        QuestionHit.objects.filter(created_at__gte=since)
        .exclude(channel="staff")
        .values("question_key", "language")
        .annotate(hits=Count("audit_id", distinct=True))
        .filter(hits__gte=DEMAND_MIN_QUESTIONS)
        .order_by("-hits")[:30]
    )
    for row in asked:
        question = (
            QuestionHit.objects.filter(question_key=row["question_key"]).values_list(
                "question", flat=True
            )
        ).first()
        candidates.append(
            TopicCandidate(
                kind=TopicSource.Kind.DEMAND,
                # One source per question and day: demand that persists keeps adding evidence.
                ref=f"question:{day}:{row['language']}:{row['question_key']}"[:500],
                name="asked",
                title=question or row["question_key"],
                summary="",
                url="",
                language=row["language"],
                published_at=now,
                hits=row["hits"],
            )
        )
    unanswered: dict[tuple[str, str], list[str]] = {}
    for question, language in AnswerAudit.objects.filter(
        created_at__gte=since, answer_kind="not_found"
    ).values_list("masked_question", "language"):
        unanswered.setdefault((question_key(question), language), []).append(question)
    for (key, language), questions in unanswered.items():
        if len(questions) < DEMAND_MIN_QUESTIONS:
            continue
        candidates.append(
            TopicCandidate(
                kind=TopicSource.Kind.DEMAND,
                ref=f"unanswered:{day}:{language}:{key}"[:500],
                name="unanswered",
                title=questions[0][:300],
                summary="",
                url="",
                language=language if language in {"zh-hans", "en"} else "zh-hans",
                published_at=now,
                hits=len(questions),
            )
        )
    return candidates


def _relevance(topic: Topic) -> float:
    if topic.sources.filter(kind=TopicSource.Kind.KNOWLEDGE).exists():
        return 1.0
    if not topic.embedding:
        return 0.0
    from pgvector.django import CosineDistance

    from bank_ai.ai.models import KNOWLEDGE_CORPUS, KnowledgeChunk

    nearest = (
        KnowledgeChunk.objects.filter(corpus=KNOWLEDGE_CORPUS, audience="public")
        .annotate(distance=CosineDistance("embedding", topic.embedding))
        .order_by("distance")
        .values_list("distance", flat=True)
        .first()
    )
    if nearest is None:
        return 0.0
    return max(0.0, min(1.0, 1.0 - float(nearest)))


def _questions(topic: Topic, since: datetime) -> int:
    from content.models import QuestionHit

    page_ids = [p for p in topic.sources.values_list("page_id", flat=True) if p]
    hits = (
        QuestionHit.objects.filter(page_id__in=page_ids, created_at__gte=since).count()
        if page_ids
        else 0
    )
    demand = topic.sources.filter(kind=TopicSource.Kind.DEMAND, published_at__gte=since)
    return hits + (demand.aggregate(total=Sum("hits"))["total"] or 0)


def recency_score(latest_at: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - latest_at).total_seconds() / 86400)
    return math.exp(-age_days / RECENCY_DAYS)


def combined_score(recency: float, relevance: float, demand: float) -> float:
    return (
        WEIGHTS["recency"] * recency + WEIGHTS["relevance"] * relevance + WEIGHTS["demand"] * demand
    )


@transaction.atomic
def topics_rescore(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    since = now - timedelta(days=DEMAND_WINDOW_DAYS)
    topics = list(Topic.objects.filter(status=Topic.Status.OPEN))
    questions = {t.pk: _questions(t, since) for t in topics}
    most = max(questions.values(), default=0)
    for topic in topics:
        topic.recency_score = round(recency_score(topic.latest_at, now), 4)
        topic.relevance_score = round(_relevance(topic), 4)
        topic.demand_score = (
            round(math.log1p(questions[topic.pk]) / math.log1p(most), 4) if most else 0.0
        )
        topic.score = round(
            combined_score(topic.recency_score, topic.relevance_score, topic.demand_score), 4
        )
        topic.scored_at = now
    Topic.objects.bulk_update(
        topics, ["recency_score", "relevance_score", "demand_score", "score", "scored_at"]
    )
    return len(topics)


def topics_refresh(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything the hourly schedule does: feeds, knowledge, demand, then scores."""
    counts = {"feeds": 0, "feed_topics": 0, "feed_errors": 0}
    for feed in FeedSource.objects.filter(is_active=True):
        counts["feeds"] += 1
        counts["feed_topics"] += feed_fetch(feed=feed)
        feed.refresh_from_db(fields=["last_error"])
        counts["feed_errors"] += 1 if feed.last_error else 0
    counts["knowledge_topics"] = len(topic_candidates_add(candidates=knowledge_candidates()))
    counts["demand_topics"] = len(topic_candidates_add(candidates=demand_candidates(now=now)))
    counts["scored"] = topics_rescore(now=now)
    return counts
