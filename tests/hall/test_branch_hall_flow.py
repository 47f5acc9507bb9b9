"""The hall avatar: what the customer came for, the ticket, and what to prepare."""

from __future__ import annotations

import pytest

from devices.models import Device
from scenarios import dialogue
from scenarios.branches.models import ServiceType, Ticket
from scenarios.models import DialogueSession, FunnelEvent

pytestmark = pytest.mark.django_db


def _start(language: str = "zh-hans", device: str | None = "demo-kiosk") -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="branch_hall",
        channel="kiosk" if device else "app",
        language=language,
        device=Device.objects.get(name=device) if device else None,
    )
    return session


def _say(session: DialogueSession, text: str):  # noqa: ANN202 - TurnResult
    return dialogue.session_turn(session_id=session.pk, text=text)


def _action(result, kind: str) -> dict:  # noqa: ANN001
    return next(action for action in result.actions if action["type"] == kind)


def test_the_avatar_issues_a_ticket_for_what_the_customer_came_for() -> None:
    session = _start()
    confirm = _say(session, "我要取钱")
    assert confirm.step == "confirm_service"
    assert "现金存取" in confirm.reply
    issued = _say(session, "好的")
    ticket = _action(issued, "show_ticket")
    stored = Ticket.objects.get(pk=ticket["ticket"])
    assert ticket["number"] == stored.display
    assert stored.display.startswith("A")
    assert stored.session_id == session.pk
    assert ticket["service"] == "现金存取"
    assert ticket["materials"][0] == "本人银行卡或存折"
    assert {"waiting_ahead", "estimated_minutes"} <= set(ticket)
    assert stored.display in issued.reply
    assert f"{ticket['estimated_minutes']}分钟" in issued.reply


def test_english_works_the_same_way() -> None:
    session = _start("en")
    _say(session, "I want to exchange some euros")
    issued = _say(session, "yes please")
    ticket = _action(issued, "show_ticket")
    assert ticket["number"].startswith("F")
    assert ticket["service"] == ServiceType.objects.get(code="foreign_exchange").name_en


def test_when_unsure_it_says_so_and_offers_the_top_options() -> None:
    session = _start("en")
    unsure = _say(session, "I need to deposit")
    assert unsure.step == "ask_service"
    assert "not quite sure" in unsure.reply
    options = _action(unsure, "show_options")["options"]
    assert 2 <= len(options) <= 3
    picked = _say(session, "the second one")
    assert picked.step == "confirm_service"
    session.refresh_from_db()
    assert session.slots["service"] == options[1]["service"]
    assert FunnelEvent.objects.filter(session=session, outcome="unsure").exists()


def test_a_tap_on_an_offered_option_chooses_it() -> None:
    session = _start()
    options = _action(_say(session, "办业务"), "show_options")["options"]
    tapped = dialogue.session_event(
        session_id=session.pk,
        name="choose_service",
        step="ask_service",
        data={"service": options[0]["service"]},
    )
    assert tapped.step == "confirm_service"


def test_no_goes_back_and_a_correction_names_the_right_service() -> None:
    session = _start()
    _say(session, "我要取钱")
    corrected = _say(session, "不是，我要换外币")
    assert corrected.step == "confirm_service"
    assert ServiceType.objects.get(code="foreign_exchange").name_zh in corrected.reply
    back = _say(session, "不对")
    assert back.step == "ask_service"


def test_what_to_bring_after_the_ticket_is_answered_from_knowledge() -> None:
    session = _start()
    _say(session, "我想开户")
    _say(session, "好的")
    answer = _say(session, "需要带什么材料？")
    assert answer.step == "issue_ticket"
    assert answer.sources, "the answer cites the knowledge base"
    assert "身份证" in answer.reply
    done = _say(session, "没有了，谢谢")
    assert done.status == DialogueSession.Status.COMPLETED


def test_a_process_question_first_is_answered_then_the_ticket_is_offered() -> None:
    session = _start()
    answer = _say(session, "开户需要带什么？")
    assert answer.sources
    assert answer.step == "confirm_service"
    assert "开户与账户服务" in answer.reply.split("\n")[-1]
    assert _say(session, "好的").step == "issue_ticket"


def test_without_a_branch_it_tells_what_to_bring_instead_of_a_ticket() -> None:
    session = _start("en", device=None)
    _say(session, "I lost my credit card")
    result = _say(session, "yes")
    assert not [a for a in result.actions if a["type"] == "show_ticket"]
    materials = _action(result, "show_materials")
    assert materials["materials"]
    assert "kiosk" in result.reply
    assert not Ticket.objects.filter(session_id=session.pk).exists()
