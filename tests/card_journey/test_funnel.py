"""The seed scenario's KPIs from funnel events, and the funnel_report command."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from scenarios.dialogue.credit_card.kpis import funnel_kpis
from scenarios.models import DialogueSession, Flow, FunnelEvent

pytestmark = pytest.mark.django_db

FULL = [
    ("recommend", "recommended", 5),
    ("choose_card", "card_chosen", 6),
    ("documents", "entered", 7),
    ("documents", "precheck_passed", 9),
    ("value_added_services", "entered", 9),
    ("value_added_services", "services_skipped", 10),
    ("risk_disclosure", "entered", 10),
    ("risk_disclosure", "disclosure_acknowledged", 11),
    ("submit_application", "application_submitted", 12),
    ("journey_end", "rated", 13, {"score": 5}),
]
DROPPED_AT_DOCUMENTS = [
    ("recommend", "recommended", 7),
    ("choose_card", "card_chosen", 8),
    ("documents", "entered", 9),
    ("documents", "precheck_failed", 10),
]
DROPPED_AT_DISCLOSURE = [
    ("recommend", "recommended", 6),
    ("choose_card", "card_chosen", 7),
    ("documents", "entered", 8),
    ("documents", "precheck_passed", 9),
    ("value_added_services", "entered", 9),
    ("value_added_services", "services_chosen", 10),
    ("risk_disclosure", "entered", 10),
    ("risk_disclosure", "disclosure_declined", 11),
    ("risk_disclosure", "rated", 12, {"score": 3}),
]
NO_MATCH = [("recommend", "no_match", 4)]
JUST_STARTED = [("ask_needs", "entered", 0)]


def _session(channel: str, events: list[tuple], days_ago: int = 0) -> DialogueSession:
    created = timezone.now() - timedelta(days=days_ago)
    session = DialogueSession.objects.create(
        flow=Flow.objects.get(code="credit_card"),
        channel=channel,
        language="zh-hans",
        current_step="ask_needs",
        created_at=created,
    )
    for step, outcome, turn, *detail in events:
        FunnelEvent.objects.create(
            session=session,
            scenario="credit_card",
            step=step,
            outcome=outcome,
            turn_number=turn,
            channel=channel,
            detail=detail[0] if detail else {},
            created_at=created,
        )
    return session


@pytest.fixture
def cohort() -> None:
    _session("app", FULL)
    _session("app", DROPPED_AT_DOCUMENTS)
    _session("web", DROPPED_AT_DISCLOSURE)
    _session("app", NO_MATCH)
    _session("app", JUST_STARTED, days_ago=10)


def test_the_kpis_of_all_channels(cohort: None) -> None:
    kpis = funnel_kpis(scenario="credit_card")
    assert kpis.sessions == 5
    assert kpis.turns_to_recommendation_mean == Decimal("6.00")
    assert kpis.turns_to_recommendation_median == Decimal("6.00")
    assert (kpis.recommendation_success.part, kpis.recommendation_success.whole) == (3, 4)
    assert kpis.selection.value == Decimal("1.0000")
    assert kpis.drop_off["documents"].value == Decimal("0.3333")
    assert kpis.drop_off["value_added_services"].value == Decimal("0.0000")
    assert kpis.drop_off["risk_disclosure"].value == Decimal("0.5000")
    assert kpis.completion.value == Decimal("0.2000")
    assert kpis.satisfaction_mean == Decimal("4.00")
    assert kpis.ratings == 2


def test_the_kpis_of_one_channel_and_a_date_range(cohort: None) -> None:
    since = timezone.localdate() - timedelta(days=3)
    kpis = funnel_kpis(scenario="credit_card", channel="app", since=since)
    assert kpis.sessions == 3  # the web session and the one from 10 days ago are out
    assert kpis.turns_to_recommendation_mean == Decimal("6.00")  # (5 + 7) / 2
    assert (kpis.recommendation_success.part, kpis.recommendation_success.whole) == (2, 3)
    assert kpis.drop_off["documents"].value == Decimal("0.5000")
    assert kpis.drop_off["risk_disclosure"].value == Decimal("0.0000")
    assert kpis.completion.value == Decimal("0.3333")
    assert kpis.satisfaction_mean == Decimal("5.00")


def test_no_sessions_gives_no_rates() -> None:
    kpis = funnel_kpis(scenario="credit_card", channel="vtm")
    assert kpis.sessions == 0
    assert kpis.completion.value is None
    assert kpis.turns_to_recommendation_mean is None


def test_the_report_prints_a_table(cohort: None) -> None:
    out = StringIO()
    with translation.override("en"):
        call_command("funnel_report", "--scenario", "credit_card", stdout=out)
    text = out.getvalue()
    for expected in (
        "turns to recommendation (mean / median)",
        "6.00 / 6.00",
        "75.0%",
        "drop-off at document upload",
        "33.3%",
        "1 / 3",
        "drop-off at risk disclosure",
        "50.0%",
        "overall completion",
        "20.0%",
        "2 ratings",
    ):
        assert expected in text, expected


def test_the_report_filters_by_channel_and_dates(cohort: None) -> None:
    out = StringIO()
    today = timezone.localdate()
    with translation.override("en"):
        call_command(
            "funnel_report",
            "--channel",
            "web",
            "--since",
            str(today),
            "--until",
            str(today),
            stdout=out,
        )
    assert "web" in out.getvalue()
    assert "sessions" in out.getvalue()
    assert "100.0%" in out.getvalue()  # the web session dropped at the disclosure


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since must be a date"),
        (["--until", "2026-13-01"], "--until must be a date"),
        (["--since", "2026-11-30", "--until", "2026-11-01"], "after"),
        (["--scenario", "teleport"], "unknown scenario"),
        (["--channel", "fax"], "unknown channel"),
    ],
)
def test_the_report_refuses_bad_arguments(args: list[str], message: str) -> None:
    with translation.override("en"), pytest.raises(CommandError, match=message):
        call_command("funnel_report", *args, stdout=StringIO())


def test_the_report_speaks_chinese_too(cohort: None) -> None:
    out = StringIO()
    with translation.override("zh-hans"):
        call_command("funnel_report", stdout=out)
    assert "资料上传环节流失率" in out.getvalue()


def test_a_real_conversation_feeds_the_report() -> None:
    from tests.card_journey.conftest import Channel

    app = Channel()
    session_id = app.start("zh-hans")["id"]
    for text in ("我经常出国旅游", "年收入30万", "年费无所谓", "对", "第一张", "好的"):
        app.say(session_id, text)
    app.client.post(f"/api/sessions/{session_id}/rating/", {"score": 4}, format="json")
    kpis = funnel_kpis(scenario="credit_card", channel="app")
    assert kpis.sessions == 1
    assert kpis.turns_to_recommendation_mean == Decimal("4.00")
    assert kpis.selection.value == Decimal("1.0000")
    assert kpis.drop_off["documents"].value == Decimal("1.0000")  # entered, not passed (yet)
    assert kpis.satisfaction_mean == Decimal("4.00")
