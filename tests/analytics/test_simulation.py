"""simulate_traffic: every scenario through the real engine, dated back, once per day."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from bank_ai.demo.traffic import MARK, simulate_traffic
from scenarios.analytics.models import RollupDay
from scenarios.branches.models import TicketSequence
from scenarios.models import DialogueSession, FunnelEvent, Takeover, Turn

pytestmark = pytest.mark.django_db

END = date(2026, 10, 20)  # simulates 2026-10-19


def test_a_day_of_traffic_runs_every_scenario_through_the_engine_once() -> None:
    today_sequences = list(
        TicketSequence.objects.filter(day=timezone.localdate()).values_list("pk", "last_number")
    )
    report = simulate_traffic(days=1, per_day=6, end=END, log=lambda line: None)
    assert report.days == [date(2026, 10, 19)]
    sessions = DialogueSession.objects.filter(**{f"memory__{MARK}": True})
    assert report.sessions == sessions.count() >= 6
    # Every scenario ran (a session may end in another flow, e.g. the activation guide).
    scenarios = set(
        FunnelEvent.objects.filter(session__in=sessions).values_list("scenario", flat=True)
    )
    assert scenarios >= {"credit_card", "branch_hall", "super_teller", "pre_sales", "after_sales"}
    assert FunnelEvent.objects.filter(session__in=sessions, step__startswith="quiz_").exists()
    # Dated back: the sessions, their turns and their funnel events are on the simulated day.
    days = {timezone.localtime(t).date() for t in sessions.values_list("created_at", flat=True)}
    assert days == {date(2026, 10, 19)}
    event_days = {
        timezone.localtime(t).date()
        for t in FunnelEvent.objects.filter(session__in=sessions).values_list(
            "created_at", flat=True
        )
    }
    assert event_days <= {date(2026, 10, 19), date(2026, 10, 20)}
    assert Turn.objects.filter(session__in=sessions, role="customer").exists()
    # The engine's own records: a hall session recognised a service, a card session recommended.
    outcomes = set(
        FunnelEvent.objects.filter(session__in=sessions).values_list("outcome", flat=True)
    )
    assert {"entered", "service_matched"} <= outcomes
    assert RollupDay.objects.filter(day=date(2026, 10, 19)).exists()
    # Today's queue numbers are as they were: simulated tickets moved to their own day.
    assert (
        list(
            TicketSequence.objects.filter(day=timezone.localdate()).values_list("pk", "last_number")
        )
        == today_sequences
    )

    again = simulate_traffic(days=1, per_day=6, end=END, log=lambda line: None)
    assert again.sessions == 0
    assert again.skipped == [date(2026, 10, 19)]
    assert sessions.count() == report.sessions


def test_a_simulated_day_routes_hand_overs_and_runs_campaigns_dated_to_that_day() -> None:
    from scenarios.agentrouting.models import QueueEntry, RoutingEvent
    from scenarios.analytics import contact_centre, selectors
    from scenarios.outbound.models import ContactAttempt

    day = date(2026, 10, 19)
    simulate_traffic(days=1, per_day=3, end=END, log=lambda line: None)
    events = RoutingEvent.objects.all()
    assert events.filter(kind="answered").exists()
    assert {timezone.localtime(at).date() for at in events.values_list("at", flat=True)} <= {
        day,
        date(2026, 10, 20),
    }
    # Nobody is left waiting (a customer who left closed the request too, so it does not
    # hold one of the app's places in the agents' queue), and the answers waited as long as
    # the simulation let them.
    assert not QueueEntry.objects.filter(state__in=["waiting", "assigned"]).exists()
    assert not Takeover.objects.filter(state="requested").exists()
    assert max(events.filter(kind="answered").values_list("waited_seconds", flat=True)) > 2
    attempts = ContactAttempt.objects.all()
    assert attempts.filter(status="sent").exists()
    assert {
        timezone.localtime(a).date() for a in attempts.values_list("created_at", flat=True)
    } == {day}
    report = contact_centre.queue_report(selectors.Filters(since=day, until=day))
    answered = next(k for k in report["kpis"] if k["code"] == "contact_centre.answered")
    assert answered["numerator"] == events.filter(kind="answered").count()
    outbound = contact_centre.campaign_report(selectors.Filters(since=day, until=day))
    targeted = next(k for k in outbound["kpis"] if k["code"] == "outbound.targeted")
    assert targeted["numerator"] == attempts.count()
    # Occupancy on that day: agents online for the 12-hour shift, busy a few minutes a call.
    occupancy = next(k for k in report["kpis"] if k["code"] == "contact_centre.occupancy")
    assert occupancy["breakdown"]
    for agent in occupancy["breakdown"]:
        assert agent["denominator"] >= 12 * 3600
        assert 0 <= agent["value"] < 0.5
    assert 0 < occupancy["value"] < 0.5
