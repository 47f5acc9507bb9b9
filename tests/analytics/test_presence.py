"""The avatar protocol's `presence` frame: stored as the session's event, counted by the
person-recognition KPI; refused without a session or with bad fields."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.utils import timezone

from scenarios.analytics.selectors import Filters, page_report
from scenarios.models import FunnelEvent
from tests.avatar.conftest import Client, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def kiosk() -> str:
    return token_for("demo-kiosk")


def test_a_presence_report_is_stored_and_counted(kiosk: str) -> None:
    async def scenario() -> tuple[dict, dict]:
        client = Client(f"/ws/avatar/?token={kiosk}")
        await client.connect()
        await client.start("branch_hall")
        await client.send({"type": "presence", "recognised": True, "confidence": 0.91, "id": "p"})
        ack = await client.recv()
        await client.send({"type": "presence", "recognised": "maybe"})
        refused = await client.recv()
        await client.close()
        return ack, refused

    ack, refused = async_to_sync(scenario)()
    assert ack["type"] == "presence.ack"
    assert ack["id"] == "p"
    event = FunnelEvent.objects.get(session_id=ack["session_id"], outcome="presence")
    assert event.detail == {"recognised": True, "confidence": 0.91}
    assert (refused["type"], refused["code"]) == ("error", "invalid")
    assert FunnelEvent.objects.filter(outcome="presence").count() == 1
    today = timezone.localdate()
    report = page_report("branch_hall", Filters(since=today, until=today))
    kpi = next(k for k in report["kpis"] if k["code"] == "branch_hall.person_recognised")
    assert (kpi["numerator"], kpi["denominator"]) == (1, 1)


def test_presence_before_a_session_is_refused(kiosk: str) -> None:
    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={kiosk}")
        await client.connect()
        await client.send({"type": "presence", "recognised": False})
        refused = await client.recv()
        await client.close()
        return refused

    refused = async_to_sync(scenario)()
    assert refused["code"] == "no_session"
    assert not FunnelEvent.objects.filter(outcome="presence").exists()
