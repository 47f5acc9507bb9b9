"""Staff API of the contact centre: permissions, bad input, and the figures it serves."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from scenarios.agentrouting.models import RoutingQueue
from scenarios.outbound.models import Campaign, ContactAttempt, ContactConsent, Segment
from scenarios.outbound.services import segment_customers

pytestmark = pytest.mark.django_db

SCRIPT = {"start": "open", "steps": {"open": {"text": {"zh-hans": "您好"}, "replies": {}}}}


def _client(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_queue_figures_are_for_operations_not_for_agents() -> None:
    RoutingQueue.objects.create(code="general", name="General")
    assert _client("agent").get("/api/contact/queue-figures/").status_code == 403
    response = _client("ops").get(
        "/api/contact/queue-figures/", {"from": "2026-12-01", "to": "2026-12-04"}
    )
    assert response.status_code == 200
    assert [row["queue"] for row in response.json()["queues"]] == ["general"]


@pytest.mark.parametrize(
    "params",
    [
        {"from": "yesterday"},
        {"from": "2026-12-04", "to": "2026-12-01"},
        {"from": "2020-01-01", "to": "2026-01-01"},
    ],
)
def test_bad_periods_get_400_with_a_message(params: dict) -> None:
    response = _client("ops").get("/api/contact/queue-figures/", params)
    assert response.status_code == 400
    assert response.json()["detail"]


def test_an_agent_sets_their_presence_through_the_api() -> None:
    client = _client("agent")
    response = client.post(
        "/api/contact/presence/", {"presence": "online", "capacity": 3}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["presence"] == "online"
    assert (
        client.post("/api/contact/presence/", {"presence": "busy"}, format="json").status_code
        == 400
    )
    assert client.post("/api/contact/presence/", [1], format="json").status_code == 400
    assert _client("ops").get("/api/contact/presence/").status_code == 403


def test_running_a_draft_campaign_is_a_conflict_and_outcomes_are_recorded() -> None:
    segment = Segment.objects.create(code="t", name="t", rules={"personas": ["traveller"]})
    campaign = Campaign.objects.create(
        code="c",
        name="c",
        segment=segment,
        script=SCRIPT,
        purpose="service",
        quiet_from="00:00",
        quiet_until="00:00",
    )
    ops = _client("ops")
    assert ops.post("/api/outbound/campaigns/c/run/").status_code == 409
    Campaign.objects.filter(pk=campaign.pk).update(status="running")
    run = ops.post("/api/outbound/campaigns/c/run/")
    assert run.status_code == 200
    assert run.json()["sent"] == segment_customers(segment).count()
    attempt = ContactAttempt.objects.filter(campaign=campaign).first()
    recorded = ops.post(
        f"/api/outbound/attempts/{attempt.pk}/outcome/", {"outcome": "interested"}, format="json"
    )
    assert recorded.json() == {"outcome": "interested"}
    bad = ops.post(
        f"/api/outbound/attempts/{attempt.pk}/outcome/", {"outcome": "maybe"}, format="json"
    )
    assert bad.status_code == 400
    figures = ops.get("/api/outbound/figures/").json()["campaigns"]
    assert figures[0]["interested"] == 1
    assert _client("agent").get("/api/outbound/figures/").status_code == 403
    assert ContactConsent.objects.count() == 0  # a service campaign needed none
