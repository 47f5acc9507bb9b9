"""The super teller: locate the need, then guide step by step, waiting for the device."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios import dialogue
from scenarios.models import DialogueSession, Flow, FunnelEvent, Takeover

pytestmark = pytest.mark.django_db

GUIDES = {
    "vtm_card_loss": ["scan_id", "face_verify", "select_option", "confirm", "print"],
    "vtm_balance_statement": ["insert_card", "enter_pin", "select_option", "print"],
    "vtm_transfer": ["insert_card", "enter_pin", "enter_payee", "confirm_amount", "print"],
    "vtm_password_reset": ["insert_card", "scan_id", "face_verify", "enter_pin"],
    "vtm_contact_update": ["scan_id", "face_verify", "enter_text", "enter_code", "confirm"],
}
ASKS = {
    "vtm_card_loss": "我的银行卡丢了",
    "vtm_balance_statement": "I'd like to print my account statement",
    "vtm_transfer": "我要给朋友转账",
    "vtm_password_reset": "I forgot my PIN",
    "vtm_contact_update": "预留手机号换了，想改一下",
}


def _start(language: str = "zh-hans") -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="super_teller",
        channel="vtm",
        language=language,
        device=Device.objects.get(name="demo-vtm"),
    )
    return session


def _guide_action(result) -> dict:  # noqa: ANN001
    return next(a for a in result.actions if a["type"] == "guide_step")


@pytest.mark.parametrize("guide", list(GUIDES))
def test_each_shipped_guide_runs_step_by_step_on_device_confirmations(guide: str) -> None:
    language = "en" if ASKS[guide].isascii() else "zh-hans"
    session = _start(language)
    located = dialogue.session_turn(session_id=session.pk, text=ASKS[guide])
    assert located.step == "confirm_guide", located.reply
    result = dialogue.session_turn(
        session_id=session.pk, text="yes" if language == "en" else "好的"
    )
    seen = []
    while result.status == DialogueSession.Status.ACTIVE:
        action = _guide_action(result)
        assert action["guide"] == guide
        assert action["index"] == len(seen) + 1
        assert action["total"] == len(GUIDES[guide])
        assert action["title"]
        assert action["instruction"] == result.reply
        seen.append(action["device_action"])
        result = dialogue.session_event(
            session_id=session.pk, name="step.confirmed", step=action["step"]
        )
    assert seen == GUIDES[guide]
    assert result.status == DialogueSession.Status.COMPLETED
    assert next(a for a in result.actions if a["type"] == "guide_done")["guide"] == guide


def test_a_step_waits_for_the_device_not_for_words() -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我要打印流水")
    first = dialogue.session_turn(session_id=session.pk, text="好的")
    step = _guide_action(first)["step"]
    answer = dialogue.session_turn(session_id=session.pk, text="流水能打印多长时间的？")
    session.refresh_from_db()
    assert session.current_step == step
    assert answer.sources
    assert answer.reply.endswith(first.reply)  # the step is asked again after the answer


def test_a_late_confirmation_for_another_step_changes_nothing() -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我要打印流水")
    dialogue.session_turn(session_id=session.pk, text="好的")
    dialogue.session_event(session_id=session.pk, name="step.confirmed", step="insert_card")
    with pytest.raises(dialogue.DialogueError):
        dialogue.session_event(session_id=session.pk, name="step.confirmed", step="insert_card")
    session.refresh_from_db()
    assert session.current_step == "enter_pin"


def test_one_failure_retries_and_the_second_hands_over_to_a_person() -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我的卡丢了")
    dialogue.session_turn(session_id=session.pk, text="好的")
    retry = dialogue.session_event(
        session_id=session.pk, name="step.failed", step="scan_id", data={"reason": "unreadable"}
    )
    assert retry.status == DialogueSession.Status.ACTIVE
    assert _guide_action(retry)["attempt"] == 2
    assert "再试一次" in retry.reply
    handed = dialogue.session_event(session_id=session.pk, name="step.failed", step="scan_id")
    assert handed.status == DialogueSession.Status.HANDED_OVER
    takeover = Takeover.objects.get(session=session)
    assert (takeover.reason, takeover.state, takeover.step) == (
        "repeated_failure",
        "requested",
        "scan_id",
    )
    assert FunnelEvent.objects.filter(session=session, outcome="step_failed").count() == 2


def test_an_unclear_need_offers_the_closest_guides() -> None:
    session = _start("en")
    unsure = dialogue.session_turn(session_id=session.pk, text="something with my card")
    assert unsure.step == "locate"
    options = next(a for a in unsure.actions if a["type"] == "show_options")["options"]
    assert len(options) >= 2
    chosen = dialogue.session_event(
        session_id=session.pk,
        name="choose_guide",
        step="locate",
        data={"guide": options[0]["guide"]},
    )
    assert chosen.step == "confirm_guide"


def test_the_events_api_takes_the_vtm_confirmation() -> None:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-vtm"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    session = client.post(
        "/api/sessions/",
        {"channel": "vtm", "scenario": "super_teller", "language": "en"},
        format="json",
    ).json()
    client.post(f"/api/sessions/{session['id']}/turns/", {"text": "I forgot my PIN"}, format="json")
    first = client.post(f"/api/sessions/{session['id']}/turns/", {"text": "yes"}, format="json")
    step = next(a for a in first.json()["actions"] if a["type"] == "guide_step")["step"]
    confirmed = client.post(
        f"/api/sessions/{session['id']}/events/",
        {"name": "step.confirmed", "step": step},
        format="json",
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["step"] != step
    bad = client.post(
        f"/api/sessions/{session['id']}/events/", {"name": "step confirmed"}, format="json"
    )
    assert bad.status_code == 400


def test_guides_are_flows_an_operator_can_edit() -> None:
    flows = set(Flow.objects.filter(scenario="super_teller").values_list("code", flat=True))
    assert set(GUIDES) | {"super_teller"} <= flows
