"""Roll-ups equal the live figures; the admin pages, exports, drill-down and REST API."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from devices.models import Device
from scenarios.analytics import selectors
from scenarios.analytics.models import DailyRollup, RollupDay
from scenarios.analytics.services import rollup_day
from scenarios.models import DialogueSession, Flow, FunnelEvent, Takeover

pytestmark = pytest.mark.django_db

DAY = date(2026, 10, 5)


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def _session(
    outcomes: list[tuple[str, str]],
    *,
    day: date = DAY,
    flow: str = "credit_card",
    channel: str = "app",
    device: str | None = "demo-app",
    status: str = "active",
) -> DialogueSession:
    session = DialogueSession.objects.create(
        flow=Flow.objects.get(code=flow),
        channel=channel,
        language="zh-hans",
        device=Device.objects.get(name=device) if device else None,
        current_step=outcomes[-1][0] if outcomes else "",
        status=status,
        created_at=_at(day),
    )
    for turn, (step, outcome) in enumerate(outcomes, start=1):
        FunnelEvent.objects.create(
            session=session,
            scenario=session.flow.scenario,
            step=step,
            outcome=outcome,
            turn_number=turn,
            channel=channel,
            detail={"score": 4} if outcome == "rated" else {},
            created_at=_at(day, 11),
        )
    return session


@pytest.fixture
def card_sessions() -> list[DialogueSession]:
    return [
        _session([("recommend", "recommended"), ("choose_card", "card_chosen")]),
        _session(
            [
                ("recommend", "recommended"),
                ("choose_card", "card_chosen"),
                ("documents", "entered"),
                ("documents", "precheck_passed"),
                ("submit_application", "application_submitted"),
                ("application_status", "rated"),
            ],
            status="completed",
        ),
        _session([("recommend", "no_match")], channel="web", device="demo-web"),
        _session(
            [("recommend", "recommended")], day=DAY + timedelta(days=1), channel="web", device=None
        ),
    ]


def _filters(**extra: object) -> selectors.Filters:
    bounds: dict[str, object] = {"since": DAY, "until": DAY + timedelta(days=1), **extra}
    return selectors.Filters(**bounds)  # type: ignore[arg-type]


def _values(report: dict) -> dict[str, tuple]:
    return {
        k["code"]: (k["value"], k["numerator"], k["denominator"], k["breakdown"])
        for k in report["kpis"]
    }


def test_the_roll_up_gives_the_same_figures_as_the_live_events(card_sessions) -> None:  # noqa: ANN001
    live = _values(selectors.page_report("credit_card", _filters()))
    rollup_day(DAY)
    rollup_day(DAY + timedelta(days=1))
    assert RollupDay.objects.filter(day=DAY).get().sessions == 3
    rolled = _values(selectors.page_report("credit_card", _filters()))
    assert rolled == live
    assert live["credit_card.recommendation_success"][:3] == (0.75, 3, 4)
    assert live["credit_card.selection"][:3] == (2 / 3, 2, 3)
    assert live["credit_card.completion"][:3] == (0.25, 1, 4)
    # A filter is a dimension of the roll-up too.
    web = _values(selectors.page_report("credit_card", _filters(channel="web")))
    assert web["credit_card.recommendation_success"][:3] == (0.5, 1, 2)


def test_rolling_a_day_up_twice_stores_it_once(card_sessions) -> None:  # noqa: ANN001
    first = rollup_day(DAY)
    assert rollup_day(DAY) == first
    assert DailyRollup.objects.filter(day=DAY).count() == first


def test_a_rolled_up_day_is_read_from_the_roll_up_not_the_events(card_sessions) -> None:  # noqa: ANN001
    rollup_day(DAY)
    # Events deleted after the roll-up no longer change that day's figures: the page reads the
    # stored sums (what keeps a year fast).
    FunnelEvent.objects.filter(session__created_at__date=DAY).delete()
    report = _values(selectors.page_report("credit_card", _filters(until=DAY)))
    assert report["credit_card.completion"][:3] == (1 / 3, 1, 3)


def test_handover_reasons_come_from_takeovers(card_sessions) -> None:  # noqa: ANN001
    Takeover.objects.create(session=card_sessions[0], reason="asked_for_person", state="ended")
    report = _values(selectors.page_report("across", _filters()))
    assert report["across.handover"][:3] == (0.25, 1, 4)
    [reason] = report["across.handover_reasons"][3]
    assert (reason["key"], reason["numerator"], reason["denominator"]) == ("asked_for_person", 1, 4)


# ------------------------------------------------------------------------ the pages


def test_the_channel_filter_offers_channels_sessions_recorded_besides_the_devices() -> None:
    _session([("recommend", "recommended")], channel="wechat", device=None)
    channels = [code for code, _label in selectors.filter_choices()["channel"]]
    assert {"app", "kiosk", "vtm", "hall_screen", "wechat"} <= set(channels)
    assert channels == sorted(channels)
    wechat = _values(selectors.page_report("credit_card", _filters(channel="wechat")))
    assert wechat["credit_card.selection"][2] == 1


def _client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


QUERY = f"since={DAY}&until={DAY + timedelta(days=1)}"


@pytest.mark.parametrize(
    "page", ["", "credit_card/", "branch_hall/", "super_teller/", "app_service/", "video_studio/"]
)
def test_operations_see_every_dashboard_page(page: str, card_sessions) -> None:  # noqa: ANN001
    response = _client("ops").get(f"/admin/analytics/{page}?{QUERY}")
    assert response.status_code == 200
    assert b"analytics-chart-data" in response.content


def test_record_pages_offer_only_the_filters_that_apply_to_them() -> None:
    def filters_form(page: str) -> str:
        html = _client("ops").get(f"/admin/analytics/{page}/?{QUERY}").content.decode()
        start = html.index('id="analytics-filters"')
        return html[start : html.index("</form>", start)]

    studio, card = filters_form("video_studio"), filters_form("credit_card")
    for name in ("channel", "branch", "device", "language", "turns"):
        assert f'name="{name}"' in card
        assert f'name="{name}"' not in studio
    assert 'name="since"' in studio
    # The contact-centre and outbound figures are records, not conversations' first N turns.
    for page in ("contact_centre", "outbound"):
        assert 'name="turns"' not in filters_form(page)


def test_the_card_page_shows_each_kpi_with_its_definition(card_sessions) -> None:  # noqa: ANN001
    body = _client("compliance").get(f"/admin/analytics/credit_card/?{QUERY}").content.decode()
    assert 'data-kpi="credit_card.selection"' in body
    assert "67%" in body  # 2 of 3 sessions shown cards chose one
    assert "docs/kpis.md" in body


def test_people_without_the_analytics_permission_are_refused() -> None:
    assert _client("employee").get("/admin/analytics/").status_code in (302, 403)
    assert _client("editor").get("/admin/analytics/credit_card/").status_code in (302, 403)
    assert Client().get("/admin/analytics/").status_code == 302  # to the login


def test_a_bad_filter_is_a_400_naming_it() -> None:
    response = _client("ops").get("/admin/analytics/credit_card/?since=2026-02-30")
    assert response.status_code == 400
    assert b"since" in response.content
    assert _client("ops").get("/admin/analytics/nope/").status_code == 404


def test_export_downloads_csv_and_xlsx(card_sessions) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    client = _client("ops")
    csv_response = client.get(f"/admin/analytics/credit_card/export.csv?{QUERY}")
    assert csv_response["Content-Disposition"].startswith("attachment;")
    text = csv_response.content.decode("utf-8-sig")
    assert "credit_card.completion" in text
    assert ",0.25,1,4," in text
    xlsx = client.get(f"/admin/analytics/credit_card/export.xlsx?{QUERY}")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["credit_card.completion"][3:6] == (0.25, 1, 4)


def test_drill_down_lists_the_sessions_behind_a_number(card_sessions) -> None:  # noqa: ANN001
    response = _client("ops").get(
        f"/admin/analytics/credit_card/sessions/?{QUERY}&kpi=credit_card.completion&part=numerator"
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/scenarios/dialoguesession/?id__in=")
    assert str(card_sessions[1].pk) in response["Location"]
    assert str(card_sessions[0].pk) not in response["Location"]
    listed = _client("ops").get(response["Location"])
    assert listed.status_code == 200
    assert str(card_sessions[1].pk) in listed.content.decode()


# ------------------------------------------------------------------------ the API


def _api(username: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(get_user_model().objects.get(username=username))
    return client


def test_the_api_gives_the_same_figures_as_the_page(card_sessions) -> None:  # noqa: ANN001
    body = _api("ops").get(f"/api/analytics/pages/credit_card/?{QUERY}").json()
    completion = next(k for k in body["kpis"] if k["code"] == "credit_card.completion")
    assert (completion["value"], completion["numerator"], completion["denominator"]) == (
        0.25,
        1,
        4,
    )
    assert completion["definition"]
    series = (
        _api("ops")
        .get(f"/api/analytics/pages/credit_card/series/?{QUERY}&kpi=credit_card.completion")
        .json()
    )
    assert [p["denominator"] for p in series["points"]] == [3, 1]


def test_the_api_refuses_bad_input_and_strangers() -> None:
    client = _api("ops")
    assert client.get("/api/analytics/pages/credit_card/?until=x").status_code == 400
    assert client.get("/api/analytics/pages/nope/").status_code == 404
    assert client.get("/api/analytics/pages/credit_card/series/?kpi=nope").status_code == 404
    assert _api("employee").get("/api/analytics/pages/").status_code == 403
    assert APIClient().get("/api/analytics/pages/").status_code in (401, 403)


def test_the_api_is_in_the_openapi_document() -> None:
    schema = _api("ops").get("/api/schema/?format=json").json()
    assert "/api/analytics/pages/{page}/" in schema["paths"]
    operation = schema["paths"]["/api/analytics/pages/{page}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"since", "until", "channel", "branch"}
    assert "400" in operation["responses"]
    assert "403" in operation["responses"]
