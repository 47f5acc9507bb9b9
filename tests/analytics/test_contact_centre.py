"""The contact-centre and outbound dashboard pages, pinned on hand-built routing events and
contact attempts (docs/kpis.md), and their admin page, export, drill-down and API."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone, translation
from rest_framework.test import APIClient

from scenarios.agentrouting.models import QueueEntry, RoutingEvent, RoutingQueue
from scenarios.analytics import contact_centre, selectors
from scenarios.models import Customer, DialogueSession, Flow, Takeover
from scenarios.outbound.models import Campaign, ContactAttempt, Segment

pytestmark = pytest.mark.django_db

DAY = date(2026, 10, 5)
QUERY = f"since={DAY}&until={DAY + timedelta(days=1)}"


def _at(day: date = DAY, hour: int = 10, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone()) + timedelta(
        seconds=second
    )


def _filters(**fields: Any) -> selectors.Filters:
    return selectors.Filters(since=DAY, until=DAY + timedelta(days=1), **fields)


def _queue(code: str, sla: int = 60) -> RoutingQueue:
    return RoutingQueue.objects.create(code=code, name=code.title(), sla_seconds=sla)


def _entry(queue: RoutingQueue, *, channel: str = "app", state: str = "done") -> QueueEntry:
    session = DialogueSession.objects.create(
        flow=Flow.objects.get(code="after_sales"),
        channel=channel,
        language="zh-hans",
        status="handed_over",
        created_at=_at(),
    )
    takeover = Takeover.objects.create(session=session, reason="asked_for_person")
    return QueueEntry.objects.create(
        takeover=takeover, session=session, queue=queue, state=state, entered_at=_at()
    )


def _event(
    entry: QueueEntry,
    kind: str,
    *,
    queue: RoutingQueue | None = None,
    waited: int | None = None,
    day: date = DAY,
    agent: Any = None,
    **detail: Any,
) -> RoutingEvent:
    return RoutingEvent.objects.create(
        entry=entry,
        queue=queue or entry.queue,
        kind=kind,
        agent=agent,
        waited_seconds=waited,
        detail=detail,
        at=_at(day, second=waited or 0),
    )


def _answered(queue: RoutingQueue, waited: int, agent: Any = None, **kw: Any) -> QueueEntry:
    entry = _entry(queue, **kw)
    _event(entry, "queued", waited=0)
    _event(entry, "answered", waited=waited, agent=agent)
    return entry


@pytest.fixture
def routing() -> dict[str, Any]:
    """General (SLA 60 s): answers after 10, 30, 50 and 90 s, one abandoned, one waiting now,
    one overflowed to VIP (answered there after 20 s), one transfer; VIP (SLA 30 s)."""
    general, vip = _queue("general"), _queue("vip", sla=30)
    agents = get_user_model().objects.filter(username__in=["agent", "ops"]).order_by("username")
    agent, ops = agents
    for waited in (10, 30, 50):
        _answered(general, waited, agent)
    late = _answered(general, 90, ops, channel="web")
    _event(late, "transferred", agent=agent)
    gone = _entry(general, state="abandoned")
    _event(gone, "queued", waited=0)
    _event(gone, "abandoned", waited=40)
    waiting = _entry(general, state="waiting")
    _event(waiting, "queued", waited=0)
    moved = _entry(vip)
    _event(moved, "queued", queue=general, waited=0)
    _event(moved, "overflowed", queue=general, waited=45, to="vip")
    _event(moved, "answered", queue=vip, waited=20, agent=agent)
    # Outside the range: counts nowhere.
    old = _entry(general)
    _event(old, "answered", waited=5, day=DAY - timedelta(days=3), agent=agent)
    return {"general": general, "vip": vip}


def _kpi(report: dict[str, Any], code: str) -> dict[str, Any]:
    return next(k for k in report["kpis"] if k["code"] == code)


def _per(report: dict[str, Any], code: str) -> dict[str, Any]:
    return {row["key"]: row for row in _kpi(report, code)["breakdown"]}


def test_offered_counts_queued_and_overflowed_in_hand_overs(routing) -> None:  # noqa: ANN001
    report = contact_centre.queue_report(_filters())
    per = _per(report, "contact_centre.offered")
    assert (per["general"]["numerator"], per["vip"]["numerator"]) == (7, 1)
    assert _kpi(report, "contact_centre.offered")["numerator"] == 8


def test_answered_abandoned_and_abandon_rate_per_queue(routing) -> None:  # noqa: ANN001
    report = contact_centre.queue_report(_filters())
    assert _per(report, "contact_centre.answered")["general"]["numerator"] == 4
    assert _kpi(report, "contact_centre.answered")["numerator"] == 5
    assert _kpi(report, "contact_centre.abandoned")["numerator"] == 1
    rate = _per(report, "contact_centre.abandon_rate")["general"]
    assert (rate["numerator"], rate["denominator"], rate["value"]) == (1, 5, 0.2)


def test_waiting_now_counts_entries_waiting_whatever_the_dates(routing) -> None:  # noqa: ANN001
    far = selectors.Filters(since=date(2020, 1, 1), until=date(2020, 1, 2))
    per = _per(contact_centre.queue_report(far), "contact_centre.waiting_now")
    assert (per["general"]["numerator"], per["vip"]["numerator"]) == (1, 0)


def test_time_to_answer_mean_p90_and_sla_met(routing) -> None:  # noqa: ANN001
    report = contact_centre.queue_report(_filters())
    general = {code: _per(report, code)["general"] for code in contact_centre.QUEUE_EVENT_KINDS}
    assert general["contact_centre.answer_seconds_avg"]["value"] == 45.0  # (10+30+50+90)/4
    assert general["contact_centre.answer_seconds_p90"]["value"] == 90.0
    sla = general["contact_centre.sla_met"]
    assert (sla["numerator"], sla["denominator"]) == (3, 4)  # 90 s > 60 s
    vip = _per(report, "contact_centre.sla_met")["vip"]
    assert (vip["numerator"], vip["denominator"]) == (1, 1)  # 20 s <= 30 s
    assert _kpi(report, "contact_centre.answer_seconds_avg")["value"] == 40.0  # 200 s / 5


def test_transfers_overflows_and_answers_per_agent(routing) -> None:  # noqa: ANN001
    report = contact_centre.queue_report(_filters())
    assert _per(report, "contact_centre.transfers")["general"]["numerator"] == 1
    assert _per(report, "contact_centre.overflows")["general"]["numerator"] == 1
    assert _per(report, "contact_centre.overflows")["vip"]["numerator"] == 0
    agents = _per(report, "contact_centre.answered_per_agent")
    assert (agents["agent"]["numerator"], agents["agent"]["denominator"]) == (4, 5)
    assert agents["ops"]["numerator"] == 1


def test_the_queue_and_channel_filters_narrow_the_figures(routing) -> None:  # noqa: ANN001
    vip_only = contact_centre.queue_report(_filters(queue="vip"))
    assert _kpi(vip_only, "contact_centre.answered")["numerator"] == 1
    assert set(_per(vip_only, "contact_centre.answered")) == {"vip"}
    web = contact_centre.queue_report(_filters(channel="web"))
    assert _kpi(web, "contact_centre.answered")["numerator"] == 1
    assert _kpi(web, "contact_centre.answer_seconds_avg")["value"] == 90.0


def test_the_queue_trend_is_the_abandon_rate_day_by_day(routing) -> None:  # noqa: ANN001
    trend = contact_centre.queue_report(_filters())["trend"]
    assert [(p["numerator"], p["denominator"]) for p in trend["points"]] == [(1, 6), (0, 0)]


def test_the_page_agrees_with_the_routing_apps_own_queue_figures(routing) -> None:  # noqa: ANN001
    from scenarios.agentrouting.selectors import queue_figures

    report = contact_centre.queue_report(_filters())
    mine = {k["code"]: k for k in report["kpis"]}
    for own in queue_figures(DAY, DAY + timedelta(days=1)):

        def of(code: str, queue: str = own["queue"]) -> dict[str, Any]:
            return next(r for r in mine[code]["breakdown"] if r["key"] == queue)

        assert of("contact_centre.offered")["numerator"] == own["entered"]
        assert of("contact_centre.answered")["numerator"] == own["answered"]
        assert of("contact_centre.abandoned")["numerator"] == own["abandoned"]
        assert of("contact_centre.overflows")["numerator"] == own["overflowed_out"]
        assert of("contact_centre.transfers")["numerator"] == own["transferred"]
        assert of("contact_centre.waiting_now")["numerator"] == own["waiting_now"]
        assert of("contact_centre.answer_seconds_p90")["value"] == own["answer_seconds_p90"]
        sla = of("contact_centre.sla_met")["value"]
        assert (round(sla, 4) if sla is not None else None) == own["sla_met_rate"]


def test_occupancy_is_handling_time_over_staffed_time_per_agent_and_overall() -> None:
    from scenarios.agentrouting.models import HandlingPeriod, PresencePeriod

    queue = _queue("general")
    ann, ben = (
        get_user_model().objects.create_user(username=name, password="x") for name in ("ann", "ben")
    )
    # Ann: online 10:00-12:00 with two conversations at once for a while (10:00-10:30 and
    # 10:15-11:00: 60 min handling). Online since the day before too: clipped to the range.
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(DAY - timedelta(days=1), 23), ended_at=_at()
    )
    PresencePeriod.objects.create(
        agent=ann, presence="online", started_at=_at(), ended_at=_at(hour=12)
    )
    for begin, end in ((0, 1800), (900, 3600)):
        HandlingPeriod.objects.create(
            agent=ann,
            entry=_entry(queue),
            started_at=_at(second=begin),
            ended_at=_at(second=end),
        )
    # Ben: away 10:00-11:00 finishing a conversation (10:30-10:45, staffed while he has it),
    # then online 11:00-12:00 without one: 15 of 75 minutes.
    PresencePeriod.objects.create(
        agent=ben, presence="away", started_at=_at(), ended_at=_at(hour=11)
    )
    PresencePeriod.objects.create(
        agent=ben, presence="online", started_at=_at(hour=11), ended_at=_at(hour=12)
    )
    HandlingPeriod.objects.create(
        agent=ben, entry=_entry(queue), started_at=_at(second=1800), ended_at=_at(second=2700)
    )
    with translation.override("en"):
        row = _kpi(contact_centre.queue_report(_filters()), "contact_centre.occupancy")
    ann_staffed = 10 * 60 + 120  # minutes: the day before is outside the range (from 00:00)
    assert [(r["key"], r["numerator"], r["denominator"]) for r in row["breakdown"]] == [
        ("ben", 15 * 60, 75 * 60),
        ("ann", 60 * 60, ann_staffed * 60),
    ]
    assert (row["numerator"], row["denominator"]) == (75 * 60, (ann_staffed + 75) * 60)
    assert row["value"] == pytest.approx(75 / (ann_staffed + 75))
    assert "staffed" in row["definition"]
    periods = _client("ops").get(row["breakdown"][1]["link"])
    assert periods.status_code == 200
    assert periods.context["cl"].result_count == 2


# ------------------------------------------------------------------------ campaigns


@pytest.fixture
def attempts() -> dict[str, Campaign]:
    """Inbox campaign: 6 sent (reached, interested, 2 converted, opted out, no answer),
    1 failed, 2 suppressed (DNC, cap); WeChat campaign: 2 sent (1 converted)."""
    segment = Segment.objects.create(code="all", name="all")
    inbox = Campaign.objects.create(code="inbox", name="Inbox", segment=segment)
    wechat = Campaign.objects.create(code="wx", name="WX", segment=segment, channel="wechat")
    customers = iter(Customer.objects.order_by("pk"))
    rows = [
        (inbox, "sent", "reached", ""),
        (inbox, "sent", "interested", ""),
        (inbox, "sent", "converted", ""),
        (inbox, "sent", "converted", ""),
        (inbox, "sent", "opted_out", ""),
        (inbox, "sent", "", ""),
        (inbox, "failed", "", ""),
        (inbox, "skipped", "", "do_not_contact"),
        (inbox, "skipped", "", "frequency_cap"),
        (wechat, "sent", "converted", ""),
        (wechat, "sent", "", ""),
    ]
    for campaign, status, outcome, reason in rows:
        ContactAttempt.objects.create(
            campaign=campaign,
            customer=next(customers),
            channel=campaign.channel,
            status=status,
            outcome=outcome,
            skip_reason=reason,
            created_at=_at(),
        )
    ContactAttempt.objects.create(
        campaign=wechat,
        customer=next(customers),
        channel="wechat",
        status="sent",
        outcome="converted",
        created_at=_at(DAY - timedelta(days=5)),
    )
    return {"inbox": inbox, "wechat": wechat}


def test_campaign_funnel_counts_each_outcome_and_what_it_implies(attempts) -> None:  # noqa: ANN001
    report = contact_centre.campaign_report(_filters())
    inbox = {
        code: _per(report, code)["inbox"]["numerator"]
        for code in (
            "outbound.targeted",
            "outbound.attempted",
            "outbound.delivered",
            "outbound.reached",
            "outbound.interested",
            "outbound.converted",
            "outbound.opted_out",
        )
    }
    assert inbox == {
        "outbound.targeted": 9,
        "outbound.attempted": 7,
        "outbound.delivered": 6,
        "outbound.reached": 5,
        "outbound.interested": 3,
        "outbound.converted": 2,
        "outbound.opted_out": 1,
    }


def test_campaign_rates_are_over_delivered_contacts(attempts) -> None:  # noqa: ANN001
    report = contact_centre.campaign_report(_filters())
    conversion = _kpi(report, "outbound.conversion_rate")
    assert (conversion["numerator"], conversion["denominator"]) == (3, 8)
    assert _per(report, "outbound.reach_rate")["inbox"]["value"] == 5 / 6
    assert _per(report, "outbound.opt_out_rate")["inbox"]["value"] == 1 / 6
    delivery = _kpi(report, "outbound.delivery_rate")
    assert (delivery["numerator"], delivery["denominator"]) == (8, 9)


def test_a_contact_waiting_in_the_wechat_outbox_is_attempted_but_not_delivered(attempts) -> None:  # noqa: ANN001, E501
    customer = Customer.objects.exclude(contact_attempts__isnull=False).order_by("pk").first()
    ContactAttempt.objects.create(
        campaign=attempts["wechat"],
        customer=customer,
        channel="wechat",
        status="queued",
        delivery_ref="wechat-outbox:1",
        created_at=_at(),
    )
    report = contact_centre.campaign_report(_filters())
    wechat = {
        code: _per(report, code)["wx"]["numerator"]
        for code in (
            "outbound.targeted",
            "outbound.attempted",
            "outbound.delivered",
            "outbound.waiting",
        )
    }
    assert wechat == {
        "outbound.targeted": 3,
        "outbound.attempted": 3,
        "outbound.delivered": 2,
        "outbound.waiting": 1,
    }
    assert _kpi(report, "outbound.waiting")["numerator"] == 1
    delivery = _kpi(report, "outbound.delivery_rate")
    assert (delivery["numerator"], delivery["denominator"]) == (8, 10)
    listed = _client("ops").get(_kpi(report, "outbound.waiting")["link"])
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 1
    with translation.override("zh-hans"):
        zh = _kpi(contact_centre.campaign_report(_filters()), "outbound.waiting")
    assert str(zh["name"]) == "等待送达"
    assert "微信发件箱" in str(zh["definition"])


def test_suppressed_contacts_are_broken_down_by_reason(attempts) -> None:  # noqa: ANN001
    suppressed = _kpi(contact_centre.campaign_report(_filters()), "outbound.suppressed")
    assert (suppressed["numerator"], suppressed["denominator"]) == (2, 11)
    assert {r["key"]: r["numerator"] for r in suppressed["breakdown"]} == {
        "do_not_contact": 1,
        "frequency_cap": 1,
    }


def test_held_back_contacts_are_counted_per_reason_with_quiet_hours_and_drill_down(
    attempts,  # noqa: ANN001
) -> None:
    from scenarios.outbound.models import ContactHold

    held = list(Customer.objects.order_by("-pk")[:3])
    for customer in held:
        ContactHold.objects.create(
            campaign=attempts["inbox"],
            customer=customer,
            reason="quiet_hours",
            first_held_at=_at(hour=22),
            last_held_at=_at(hour=23),
        )
    ContactHold.objects.create(  # first held before the range: not counted
        campaign=attempts["wechat"],
        customer=held[0],
        reason="quiet_hours",
        first_held_at=_at(DAY - timedelta(days=3), hour=22),
    )
    with translation.override("en"):
        row = _kpi(contact_centre.campaign_report(_filters()), "outbound.held_back")
    assert row["value"] == row["numerator"] == 5
    assert [(r["key"], r["numerator"]) for r in row["breakdown"]] == [
        ("quiet_hours", 3),
        ("do_not_contact", 1),
        ("frequency_cap", 1),
    ]
    assert "quiet hours" in row["definition"]
    quiet = _client("ops").get(row["breakdown"][0]["link"])
    assert quiet.status_code == 200
    assert quiet.context["cl"].result_count == 3
    capped = _client("ops").get(row["breakdown"][2]["link"])
    assert capped.context["cl"].result_count == 1
    # The other campaign's filter sees none of them.
    wechat = contact_centre.campaign_report(_filters(campaign="wx"))
    assert _kpi(wechat, "outbound.held_back")["numerator"] == 0


def test_with_a_campaign_filter_every_figure_links_to_that_campaigns_records_only(
    attempts,  # noqa: ANN001
) -> None:
    report = contact_centre.campaign_report(_filters(campaign="inbox"))
    client = _client("ops")
    for code, expected in (
        ("outbound.targeted", 9),
        ("outbound.delivered", 6),
        ("outbound.suppressed", 2),
    ):
        row = _kpi(report, code)
        page = client.get(row["link"])
        assert page.status_code == 200
        # The WeChat campaign's contacts (same days, same statuses) are not behind the figure.
        assert page.context["cl"].result_count == expected, code
    capped = client.get(_kpi(report, "outbound.held_back")["breakdown"][-1]["link"])
    assert capped.context["cl"].result_count == 1


def test_conversion_per_channel_and_the_channel_filter(attempts) -> None:  # noqa: ANN001
    report = contact_centre.campaign_report(_filters())
    channels = _per(report, "outbound.conversion_per_channel")
    assert (channels["app_inbox"]["numerator"], channels["app_inbox"]["denominator"]) == (2, 6)
    assert (channels["wechat"]["numerator"], channels["wechat"]["denominator"]) == (1, 2)
    wechat = contact_centre.campaign_report(_filters(channel="wechat"))
    assert _kpi(wechat, "outbound.targeted")["numerator"] == 2


# ------------------------------------------------------------------------ pages and API


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _api(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_the_contact_centre_page_shows_figures_definitions_and_a_queue_filter(
    routing,  # noqa: ANN001
) -> None:
    body = _client("ops").get(f"/admin/analytics/contact_centre/?{QUERY}").content.decode()
    assert 'data-kpi="contact_centre.abandon_rate"' in body
    assert 'name="queue"' in body
    assert "20%" in body  # general's abandon rate
    assert "analytics-chart-data" in body


def test_a_queue_number_links_to_the_routing_events_behind_it(routing) -> None:  # noqa: ANN001
    client = _client("ops")
    report = client.get(f"/api/analytics/pages/contact_centre/?{QUERY}")
    link = _per(report.json(), "contact_centre.answered")["general"]["link"]
    listed = client.get(link)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 4


def test_a_campaign_number_links_to_the_attempts_behind_it(attempts) -> None:  # noqa: ANN001
    client = _client("ops")
    body = _api("ops").get(f"/api/analytics/pages/outbound/?{QUERY}").json()
    for code, expected in (("outbound.reached", 5), ("outbound.converted", 2)):
        listed = client.get(_per(body, code)["inbox"]["link"])
        assert listed.status_code == 200
        assert listed.context["cl"].result_count == expected


def test_the_outbound_page_exports_csv_and_xlsx(attempts) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    client = _client("ops")
    text = client.get(f"/admin/analytics/outbound/export.csv?{QUERY}").content.decode("utf-8-sig")
    row = next(line for line in text.splitlines() if line.startswith("outbound.conversion_rate,"))
    assert ",0.375,3,8," in row
    xlsx = client.get(f"/admin/analytics/outbound/export.xlsx?{QUERY}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = {(row[0], row[2]): row for row in sheet.iter_rows(values_only=True)}
    assert rows[("outbound.converted", "inbox")][4] == 2


def test_the_api_gives_the_new_pages_and_their_series(routing, attempts) -> None:  # noqa: ANN001
    client = _api("ops")
    codes = {page["code"] for page in client.get("/api/analytics/pages/").json()}
    assert {"contact_centre", "outbound"} <= codes
    series = client.get(
        f"/api/analytics/pages/outbound/series/?{QUERY}&kpi=outbound.converted"
    ).json()
    assert [p["numerator"] for p in series["points"]] == [3, 0]
    offered = client.get(
        f"/api/analytics/pages/contact_centre/series/?{QUERY}&kpi=contact_centre.offered"
    ).json()
    assert [p["numerator"] for p in offered["points"]] == [8, 0]  # overflowed in included
    sla = client.get(
        f"/api/analytics/pages/contact_centre/series/?{QUERY}&kpi=contact_centre.sla_met&queue=vip"
    ).json()
    assert [(p["numerator"], p["denominator"]) for p in sla["points"]] == [(1, 1), (0, 0)]
    for kpi in ("nope", "contact_centre.waiting_now", "contact_centre.answer_seconds_p90"):
        missing = client.get(f"/api/analytics/pages/contact_centre/series/?{QUERY}&kpi={kpi}")
        assert missing.status_code == 404


@pytest.mark.parametrize("page", ["contact_centre", "outbound"])
def test_the_new_pages_refuse_people_without_the_analytics_permission(page: str) -> None:
    assert _api("employee").get(f"/api/analytics/pages/{page}/").status_code == 403
    assert _client("employee").get(f"/admin/analytics/{page}/").status_code in (302, 403)
