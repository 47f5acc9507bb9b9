"""The whole credit-card journey through the public API, once in Chinese and once in English.

Needs → recommendation → choice → details → documents → value-added services → disclosure →
submission → activation guide, with a correction, a side question answered from knowledge, a
detour to another topic and back, and a drop-off after which a new client (a reconnect with a
fresh credential) continues where the session stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.utils import timezone

from scenarios.models import (
    ApplicationMilestone,
    CardApplication,
    DisclosureAcknowledgement,
    FunnelEvent,
)
from tests.card_journey.conftest import Channel, outcomes

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Script:
    language: str
    device: str
    needs: str
    income: str
    side_question: str
    fee: str
    correction: str
    corrected_summary: str
    yes: str
    first_card: str
    apply: str
    detour: str
    back: str
    uploaded: str
    expired_word: str
    services: str
    acknowledge: str
    submit: str
    activation: str
    step_done: str
    stuck: str


SCRIPTS = [
    Script(
        language="zh-hans",
        device="demo-app",
        needs="我经常出国旅游，也喜欢吃美食",
        income="年收入大概25万",
        side_question="信用卡年费怎么免？",
        fee="年费无所谓",
        correction="不对，年收入其实是60万",
        corrected_summary="年收入约60万元",
        yes="对",
        first_card="第一张",
        apply="好的",
        detour="卡片到手后怎么激活？",
        back="继续申请",
        uploaded="传好了",
        expired_word="已过期",
        services="第一个",
        acknowledge="我已阅读并同意",
        submit="确认提交",
        activation="好的",
        step_done="好了",
        stuck="找不到",
    ),
    Script(
        language="en",
        device="demo-web",
        needs="I travel a lot for business and eat out",
        income="I earn about 400k a year",
        side_question="How can the annual fee be waived?",
        fee="I don't mind the fee",
        correction="Actually I earn about 600k a year",
        corrected_summary="annual income about RMB 600,000",
        yes="yes",
        first_card="the first one",
        apply="great, let's apply",
        detour="How do I activate the card when it arrives?",
        back="back to my application",
        uploaded="done, uploaded",
        expired_word="expired",
        services="none, thanks",
        acknowledge="I have read and agree",
        submit="yes, submit it",
        activation="yes please",
        step_done="done",
        stuck="I can't find it",
    ),
]


@pytest.mark.parametrize("script", SCRIPTS, ids=[script.language for script in SCRIPTS])
def test_the_whole_journey_from_needs_to_activation(script: Script) -> None:
    app = Channel(script.device)
    session_id = app.start(script.language)["id"]

    # Needs, with a side question answered from knowledge on the way and a correction.
    assert app.say(session_id, script.needs)["step"] == "ask_income"
    assert app.say(session_id, script.income)["step"] == "ask_fee"
    side = app.say(session_id, script.side_question)
    assert side["step"] == "ask_fee"
    assert side["sources"]
    assert app.say(session_id, script.fee)["step"] == "confirm_needs"
    corrected = app.say(session_id, script.correction)
    assert script.corrected_summary in corrected["reply"]

    # Recommendation and choice.
    recommended = app.say(session_id, script.yes)
    assert recommended["step"] == "choose_card"
    cards = recommended["actions"][0]["cards"]
    assert 1 <= len(cards) <= 3

    # The customer drops off; later the app reconnects with a new credential and goes on.
    app = Channel(script.device)
    assert app.state(session_id)["current_step"] == "choose_card"
    details = app.say(session_id, script.first_card)
    assert details["step"] == "card_details"
    chosen = details["actions"][0]["code"]
    assert chosen == cards[0]["code"]

    documents = app.say(session_id, script.apply)
    assert documents["step"] == "documents"
    request = documents["actions"][0]
    assert request["type"] == "request_documents"
    required = [doc for doc in request["documents"] if doc["required"]]
    assert {doc["kind"] for doc in required} >= {"id_card"}

    # Another topic in the middle of the application, then back to the same step.
    detour = app.say(session_id, script.detour)
    assert detour["step"] == "app_open"
    paused = app.state(session_id)
    assert paused["scenario"] == "card_activation"
    assert paused["paused_flows"] == [{"flow": "credit_card", "step": "documents"}]
    back = app.say(session_id, script.back)
    assert back["step"] == "documents"
    assert back["actions"][0]["type"] == "request_documents"
    state = app.state(session_id)
    assert state["scenario"] == "credit_card"
    assert state["slots"]["annual_income"] == "600000"

    # Documents: an expired ID first, reported as expired; the valid one moves the dialogue on.
    yesterday = timezone.localdate() - timedelta(days=1)
    expired = app.upload(session_id, "id_card", valid_until=yesterday)
    assert expired.status_code == 201
    assert [doc["kind"] for doc in expired.json()["precheck"]["expired"]] == ["id_card"]
    for doc in required:
        if doc["kind"] != "id_card":
            assert (
                app.upload(session_id, doc["kind"], content=b"%PDF-1.7\n%%EOF\n").status_code == 201
            )
    still = app.say(session_id, script.uploaded)
    assert still["step"] == "documents"
    assert script.expired_word in still["reply"]
    valid = app.upload(session_id, "id_card", valid_until=date(2035, 6, 30))
    assert valid.status_code == 201
    assert valid.json()["precheck"]["complete"] is True
    services = valid.json()["turn"]
    assert services["step"] == "value_added_services"
    offered = services["actions"][0]["options"]

    # Value-added services, the disclosure, submission.
    disclosure = app.say(session_id, script.services)
    assert disclosure["step"] == "risk_disclosure"
    shown = disclosure["actions"][0]
    assert shown["type"] == "show_disclosure"
    assert shown["items"]
    confirm = app.say(session_id, script.acknowledge)
    assert confirm["step"] == "submit_application"
    submitted = app.say(session_id, script.submit)
    assert submitted["step"] == "application_status"
    application = CardApplication.objects.get(session_id=session_id)
    assert application.reference in submitted["reply"]

    # Activation guide in the app, with a hint when the customer is stuck.
    guide = app.say(session_id, script.activation)
    assert guide["step"] == "app_open"
    assert guide["actions"][0]["type"] == "guide_step"
    assert app.say(session_id, script.step_done)["step"] == "app_activate"
    hint = app.say(session_id, script.stuck)
    assert hint["step"] == "app_activate"
    for expected in ("app_verify", "app_pin"):
        assert app.say(session_id, script.step_done)["step"] == expected
    done = app.say(session_id, script.step_done)
    assert done["status"] == "completed"

    # The application record.
    application.refresh_from_db()
    assert application.status == CardApplication.Status.SUBMITTED
    assert application.card.code == chosen
    assert application.submitted_at is not None
    expected_services = [offered[0]["code"]] if script.language == "zh-hans" else []
    assert application.value_added_services == expected_services
    assert application.services_decided_at is not None
    acknowledgement = DisclosureAcknowledgement.objects.get(application=application)
    assert acknowledgement.version == shown["version"]
    assert acknowledgement.language == script.language
    assert acknowledgement.text == "\n".join(shown["items"])
    assert acknowledgement.device.name == script.device
    assert acknowledgement.evidence == script.acknowledge
    assert list(application.history.values_list("from_status", "to_status")) == [
        ("draft", "submitted")
    ]
    milestones = list(ApplicationMilestone.objects.filter(application=application))
    assert [m.code for m in milestones] == ["precheck", "review", "decision", "card_mailed"]
    assert milestones[0].completed_at is not None
    assert all(m.expected_on.weekday() < 5 for m in milestones[1:])
    assert [m.expected_on for m in milestones] == sorted(m.expected_on for m in milestones)
    record = app.client.get(f"/api/applications/{application.pk}/").json()
    assert record["status"] == "submitted"
    assert record["disclosure"]["version"] == shown["version"]
    assert [item["code"] for item in record["timeline"]] == [m.code for m in milestones]
    assert app.state(session_id)["application"]["reference"] == application.reference

    # The funnel, step by step.
    events = outcomes(session_id)
    for expected in [
        ("credit_card", "ask_fee", "side_question"),
        ("credit_card", "confirm_needs", "slot_corrected"),
        ("credit_card", "recommend", "recommended"),
        ("credit_card", "choose_card", "card_chosen"),
        ("credit_card", "documents", "entered"),
        ("credit_card", "documents", "paused"),
        ("card_activation", "app_open", "left"),
        ("credit_card", "documents", "resumed"),
        ("credit_card", "documents", "document_uploaded"),
        ("credit_card", "documents", "precheck_failed"),
        ("credit_card", "documents", "precheck_passed"),
        ("credit_card", "value_added_services", "entered"),
        (
            "credit_card",
            "value_added_services",
            "services_chosen" if expected_services else "services_skipped",
        ),
        ("credit_card", "risk_disclosure", "entered"),
        ("credit_card", "risk_disclosure", "disclosure_acknowledged"),
        ("credit_card", "submit_application", "application_submitted"),
        ("credit_card", "application_status", "activation_guide_accepted"),
        ("card_activation", "app_activate", "hint_shown"),
        ("card_activation", "activation_done", "completed"),
    ]:
        assert expected in events, expected
    # Each step is passed after it is entered, in the order of the journey.
    order = [
        events.index(("credit_card", "documents", "precheck_passed")),
        events.index(("credit_card", "risk_disclosure", "disclosure_acknowledged")),
        events.index(("credit_card", "submit_application", "application_submitted")),
    ]
    assert order == sorted(order)
    recommended_event = FunnelEvent.objects.get(session_id=session_id, outcome="recommended")
    assert recommended_event.turn_number == 6
    assert recommended_event.device.name == script.device
