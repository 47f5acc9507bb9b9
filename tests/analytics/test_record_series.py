"""Day-by-day series of the contact centre's agent occupancy and the outbound page's held-back
contacts (docs/kpis.md), pinned on hand-built presence/handling periods and contact holds, and
their answers through the series API."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from scenarios.agentrouting.models import HandlingPeriod, PresencePeriod, QueueEntry, RoutingQueue
from scenarios.analytics import contact_centre, selectors
from scenarios.models import Customer, DialogueSession, Flow, Takeover
from scenarios.outbound.models import Campaign, ContactAttempt, ContactHold, Segment

pytestmark = pytest.mark.django_db

DAY = date(2026, 10, 5)
QUERY = f"since={DAY}&until={DAY + timedelta(days=1)}"
OCCUPANCY = "contact_centre.occupancy"
HELD_BACK = "outbound.held_back"


def _at(day: date = DAY, hour: int = 10, minute: int = 0) -> datetime:
    """A local time of the bank's zone (settings.TIME_ZONE)."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _filters(**fields: Any) -> selectors.Filters:
    return selectors.Filters(since=DAY, until=DAY + timedelta(days=1), **fields)


def _points(page: str, code: str, **fields: Any) -> list[dict[str, Any]]:
    return contact_centre.record_series(page, code, _filters(**fields))["points"]


# ------------------------------------------------------------------------ occupancy


@pytest.fixture
def ann() -> Any:
    return get_user_model().objects.create_user(username="ann", password="x")


def _handling(agent: Any, begin: datetime, end: datetime | None) -> HandlingPeriod:
    queue, _created = RoutingQueue.objects.get_or_create(code="general", defaults={"name": "G"})
    session = DialogueSession.objects.create(
        flow=Flow.objects.get(code="after_sales"), channel="app", status="handed_over"
    )
    entry = QueueEntry.objects.create(
        takeover=Takeover.objects.create(session=session, reason="asked_for_person"),
        session=session,
        queue=queue,
        state="assigned" if end is None else "done",
    )
    return HandlingPeriod.objects.create(agent=agent, entry=entry, started_at=begin, ended_at=end)


def test_occupancy_series_splits_a_period_across_midnight(ann) -> None:  # noqa: ANN001
    # Online 23:00-01:00 local, one conversation 23:30-00:30: half of each on either day.
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(hour=23), ended_at=_at(DAY + timedelta(1), 1)
    )
    _handling(ann, _at(hour=23, minute=30), _at(DAY + timedelta(days=1), 0, 30))
    points = _points("contact_centre", OCCUPANCY)
    assert [(p["numerator"], p["denominator"], p["value"]) for p in points] == [
        (30 * 60, 60 * 60, 0.5),
        (30 * 60, 60 * 60, 0.5),
    ]


def test_an_open_period_counts_to_now(ann, monkeypatch) -> None:  # noqa: ANN001
    # Online since 10:00 and handling since 11:30, both still open; it is 12:00 on DAY.
    monkeypatch.setattr(timezone, "now", lambda: _at(hour=12))
    PresencePeriod.objects.create(agent=ann, presence="online", started_at=_at(), ended_at=None)
    _handling(ann, _at(hour=11, minute=30), None)
    points = _points("contact_centre", OCCUPANCY)
    assert [(p["numerator"], p["denominator"]) for p in points] == [(30 * 60, 2 * 3600), (0, 0)]


def test_a_day_without_presence_has_no_value(ann) -> None:  # noqa: ANN001
    # Staffed on DAY without a conversation: 0 %. Nobody staffed the next day: no value.
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(), ended_at=_at(hour=11)
    )
    points = _points("contact_centre", OCCUPANCY)
    assert [p["value"] for p in points] == [0.0, None]
    assert points[1]["breakdown"] == []


def test_occupancy_series_gives_each_agent_and_links_to_the_days_handling(ann) -> None:  # noqa: ANN001
    ben = get_user_model().objects.create_user(username="ben", password="x")
    for agent in (ann, ben):
        PresencePeriod.objects.create(
            agent=agent, presence="online", started_at=_at(), ended_at=_at(hour=12)
        )
    _handling(ann, _at(), _at(hour=11))
    _handling(ben, _at(), _at(hour=10, minute=30))
    _handling(ben, _at(DAY - timedelta(days=1)), _at(DAY - timedelta(days=1), 11))  # not that day
    day = _points("contact_centre", OCCUPANCY)[0]
    assert [(r["key"], r["value"]) for r in day["breakdown"]] == [("ann", 0.5), ("ben", 0.25)]
    client = Client()
    client.force_login(get_user_model().objects.get(username="ops"))
    assert client.get(day["link"]).context["cl"].result_count == 2
    assert client.get(day["breakdown"][1]["link"]).context["cl"].result_count == 1


def test_the_occupancy_days_add_up_to_the_range_figure(ann) -> None:  # noqa: ANN001
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(hour=22), ended_at=_at(DAY + timedelta(1), 2)
    )
    _handling(ann, _at(hour=21), _at(DAY + timedelta(days=1), 0, 15))  # away at first: staffed
    _handling(ann, _at(hour=23, minute=50), _at(DAY + timedelta(days=1), 1))
    row = next(k for k in contact_centre.queue_report(_filters())["kpis"] if k["code"] == OCCUPANCY)
    points = _points("contact_centre", OCCUPANCY)
    assert sum(p["numerator"] for p in points) == row["numerator"]
    assert sum(p["denominator"] for p in points) == row["denominator"]


# ------------------------------------------------------------------------ held back


@pytest.fixture
def campaigns() -> dict[str, Campaign]:
    """Inbox: two customers held for quiet hours on DAY (22:00), one first held just after
    midnight (DAY + 1, 00:30 local: still DAY in UTC), one suppressed (do-not-contact) on DAY;
    WeChat: one held on DAY. The Chinese-speaking customers are the inbox's first two."""
    segment = Segment.objects.create(code="all", name="all")
    inbox = Campaign.objects.create(code="inbox", name="Inbox", segment=segment)
    wechat = Campaign.objects.create(code="wx", name="WX", segment=segment, channel="wechat")
    people = list(Customer.objects.order_by("pk")[:5])
    for n, person in enumerate(people):
        person.preferred_language = "zh-hans" if n < 2 else "en"
        person.save(update_fields=["preferred_language"])
    for person, first_held in (
        (people[0], _at(hour=22)),
        (people[1], _at(hour=22)),
        (people[2], _at(DAY + timedelta(days=1), 0, 30)),
    ):
        ContactHold.objects.create(
            campaign=inbox,
            customer=person,
            reason="quiet_hours",
            first_held_at=first_held,
            last_held_at=first_held + timedelta(hours=1),
        )
    ContactAttempt.objects.create(
        campaign=inbox,
        customer=people[3],
        channel=inbox.channel,
        status="skipped",
        skip_reason="do_not_contact",
        created_at=_at(),
    )
    ContactHold.objects.create(
        campaign=wechat, customer=people[4], reason="quiet_hours", first_held_at=_at(hour=23)
    )
    return {"inbox": inbox, "wechat": wechat}


def _reasons(points: list[dict[str, Any]]) -> list[dict[str, int]]:
    return [{r["key"]: r["numerator"] for r in p["breakdown"]} for p in points]


def test_held_back_series_counts_each_reason_on_the_day_first_held(campaigns) -> None:  # noqa: ANN001
    points = _points("outbound", HELD_BACK)
    assert _reasons(points) == [{"quiet_hours": 3, "do_not_contact": 1}, {"quiet_hours": 1}]
    assert [p["value"] for p in points] == [4.0, 1.0]


def test_held_back_series_applies_the_campaign_channel_and_language_filters(
    campaigns,  # noqa: ANN001
) -> None:
    assert _reasons(_points("outbound", HELD_BACK, campaign="wx")) == [{"quiet_hours": 1}, {}]
    assert _reasons(_points("outbound", HELD_BACK, channel="wechat")) == [{"quiet_hours": 1}, {}]
    assert _reasons(_points("outbound", HELD_BACK, language="zh-hans")) == [{"quiet_hours": 2}, {}]


def test_a_held_back_day_links_to_that_days_holds(campaigns) -> None:  # noqa: ANN001
    client = Client()
    client.force_login(get_user_model().objects.get(username="ops"))
    points = _points("outbound", HELD_BACK, campaign="inbox")
    quiet = [next(r for r in p["breakdown"] if r["key"] == "quiet_hours") for p in points]
    assert [client.get(r["link"]).context["cl"].result_count for r in quiet] == [2, 1]


def test_the_series_api_answers_occupancy_and_held_back(ann, campaigns) -> None:  # noqa: ANN001
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(), ended_at=_at(hour=12)
    )
    _handling(ann, _at(), _at(hour=11))
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username="ops"))
    base = "/api/analytics/pages/{}/series/?" + QUERY + "&kpi={}"
    occupancy = client.get(base.format("contact_centre", OCCUPANCY))
    assert occupancy.status_code == 200
    assert [p["value"] for p in occupancy.json()["points"]] == [0.5, None]
    held = client.get(base.format("outbound", HELD_BACK))
    assert held.status_code == 200
    assert [p["numerator"] for p in held.json()["points"]] == [4, 1]


# ------------------------------------------------------------------------ cost


@pytest.mark.parametrize(("page", "code"), [("contact_centre", OCCUPANCY), ("outbound", HELD_BACK)])
def test_a_series_costs_the_same_few_queries_for_two_days_or_a_quarter(
    ann,  # noqa: ANN001
    campaigns,  # noqa: ANN001
    page: str,
    code: str,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for back in range(0, 60, 7):
        day = DAY - timedelta(days=back)
        PresencePeriod.objects.create(
            agent=ann, presence="online", started_at=_at(day), ended_at=_at(day, 12)
        )
        _handling(ann, _at(day), _at(day, 11))
    counts = []
    for since in (DAY, DAY - timedelta(days=90)):
        filters = selectors.Filters(since=since, until=DAY + timedelta(days=1))
        with CaptureQueriesContext(connection) as queries:
            contact_centre.record_series(page, code, filters)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 3


# ------------------------------------------------------------------------ the page's chart


def _page(page: str, chart: str) -> Any:
    client = Client()
    client.force_login(get_user_model().objects.get(username="ops"))
    return client.get(f"/admin/analytics/{page}/?{QUERY}&chart={chart}")


def test_the_page_chart_plots_the_occupancy_series_when_chosen(ann) -> None:  # noqa: ANN001
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(), ended_at=_at(hour=12)
    )
    _handling(ann, _at(), _at(hour=11))
    response = _page("contact_centre", OCCUPANCY)
    assert response.context["chart"]["values"] == [0.5, None]
    assert response.context["chart"]["stack"] == []
    assert 'data-chart="contact_centre.occupancy"' in response.content.decode()
    # A KPI without a daily figure leaves the page's own trend (the abandon rate).
    trend = _page("contact_centre", "contact_centre.waiting_now").context["chart"]
    assert trend["kpi"] == "contact_centre.abandon_rate"


def test_the_page_chart_stacks_the_held_back_reasons(campaigns) -> None:  # noqa: ANN001
    chart = _page("outbound", HELD_BACK).context["chart"]
    assert chart["values"] == [4.0, 1.0]
    assert chart["stack"] == [
        {"label": "quiet_hours", "values": [3, 1]},
        {"label": "do_not_contact", "values": [1, 0]},
    ]
