"""The topic pool: RSS/Atom feeds parsed safely, near-duplicates merged, scores as documented."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from bank_ai.ai.models import AnswerAudit
from content.models import FeedSource, Topic, TopicSource
from content.studio import topics

FEEDS = Path(settings.BASE_DIR) / "content" / "demo_data" / "feeds"


def test_it_parses_rss_items() -> None:
    entries = topics.parse_feed((FEEDS / "finance-news.rss").read_bytes())
    assert len(entries) == 4
    assert entries[0].title.startswith("警方提醒")
    assert entries[0].published_at.year == 2026
    assert entries[0].url.startswith("https://")


def test_it_parses_atom_entries() -> None:
    entries = topics.parse_feed((FEEDS / "industry.atom").read_bytes())
    assert [e.ref for e in entries] == [
        "urn:harbourbank:demo:industry:1",
        "urn:harbourbank:demo:industry:2",
    ]
    assert "safe account" in entries[0].summary


def test_it_refuses_entity_expansion() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><title>&b;</title>'
        b"</item></channel></rss>"
    )
    with pytest.raises(topics.FeedError, match="refused"):
        topics.parse_feed(bomb)


def test_it_refuses_local_feeds_outside_the_project() -> None:
    with pytest.raises(topics.FeedError, match="inside the project"):
        topics.read_feed("file:///etc/passwd")


@pytest.mark.django_db
def test_a_near_duplicate_joins_the_existing_topic() -> None:
    # The demo feed carries the same campus-loan scam twice, worded differently.
    sources = TopicSource.objects.filter(
        ref__in=[
            f"feed:{FeedSource.objects.get(name='金融时讯（演示）').pk}:news-2026-12-001",
            f"feed:{FeedSource.objects.get(name='金融时讯（演示）').pk}:news-2026-12-002",
        ]
    )
    assert sources.count() == 2
    assert len({s.topic_id for s in sources}) == 1
    assert min(s.similarity for s in sources) >= topics.DEDUPE_THRESHOLD


@pytest.mark.django_db
def test_a_broken_feed_records_its_error_and_adds_nothing() -> None:
    feed = FeedSource.objects.create(name="gone", url="content/demo_data/feeds/missing.rss")
    before = Topic.objects.count()
    assert topics.feed_fetch(feed=feed) == 0
    feed.refresh_from_db()
    assert "could not read" in feed.last_error
    assert Topic.objects.count() == before


@pytest.mark.django_db
def test_fetching_again_adds_no_duplicate_sources() -> None:
    feed = FeedSource.objects.get(name="Banking industry digest (demo)")
    before = TopicSource.objects.count()
    assert topics.feed_fetch(feed=feed) == 0
    assert TopicSource.objects.count() == before


def test_recency_halves_about_every_five_days() -> None:
    now = timezone.now()
    assert topics.recency_score(now, now) == 1.0
    assert topics.recency_score(now - timedelta(days=7), now) == pytest.approx(math.exp(-1))


def test_the_score_weighs_recency_relevance_and_demand() -> None:
    assert topics.combined_score(1.0, 0.5, 0.0) == pytest.approx(0.35 + 0.175)


@pytest.mark.django_db
def test_repeated_unanswered_questions_become_a_demand_topic() -> None:
    for _ in range(3):
        AnswerAudit.objects.create(
            channel="app",
            language="zh-hans",
            masked_question="数字人民币钱包怎么开通？",
            masked_answer="",
            answer_kind="not_found",
            provider="local",
            latency_ms=1,
        )
    created = topics.topic_candidates_add(candidates=topics.demand_candidates())
    topic = next(t for t in created if "数字人民币" in t.title)
    source = topic.sources.get()
    assert (source.kind, source.name, source.hits) == ("demand", "unanswered", 3)
    topics.topics_rescore()
    topic.refresh_from_db()
    assert topic.demand_score > 0


@pytest.mark.django_db
def test_the_pool_is_ranked_by_score() -> None:
    from content.studio.selectors import topic_pool

    scores = [t.score for t in topic_pool()]
    assert scores == sorted(scores, reverse=True)
    assert len(scores) > 5
