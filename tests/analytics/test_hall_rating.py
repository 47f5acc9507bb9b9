"""The hall avatar's closing asks for a rating of its explanations; the rating is the hall's
explanation-satisfaction KPI."""

from __future__ import annotations

import pytest
from django.utils import timezone

from devices.models import Device
from scenarios import dialogue
from scenarios.analytics.selectors import Filters, page_report
from scenarios.models import DialogueSession
from scenarios.services import session_rate

pytestmark = pytest.mark.django_db


def test_the_hall_closing_asks_for_a_rating_that_the_kpi_counts() -> None:
    session, _ = dialogue.session_start(
        scenario="branch_hall",
        channel="kiosk",
        language="zh-hans",
        device=Device.objects.get(name="demo-kiosk"),
    )
    for text in ("我想开户", "好的", "没有了，谢谢"):
        done = dialogue.session_turn(session_id=session.pk, text=text)
    assert done.status == DialogueSession.Status.COMPLETED
    rating = next(a for a in done.actions if a["type"] == "rating")
    assert rating == {"type": "rating", "scale": [1, 5], "about": "service_explanation"}
    session_rate(session=session, score=4)
    today = timezone.localdate()
    report = page_report("branch_hall", Filters(since=today, until=today))
    kpi = next(k for k in report["kpis"] if k["code"] == "branch_hall.explanation_rating")
    assert kpi["value"] == 4.0
