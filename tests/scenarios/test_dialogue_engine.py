"""The engine's contract with scenario modules: events, streaming and the behaviour registry."""

from __future__ import annotations

import pytest

from scenarios import dialogue
from scenarios.models import DialogueSession, FlowStep

pytestmark = pytest.mark.django_db


def _at_card_choice(language: str = "zh-hans") -> DialogueSession:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language=language)
    for text in ("我经常出国旅游", "年收入30万", "年费无所谓", "对"):
        dialogue.session_turn(session_id=session.pk, text=text)
    session.refresh_from_db()
    assert session.current_step == "choose_card"
    return session


def test_a_device_event_chooses_a_recommended_card() -> None:
    session = _at_card_choice()
    card = session.memory["recommended"][0]
    result = dialogue.session_event(
        session_id=session.pk, name="choose_card", step="choose_card", data={"card": card}
    )
    session.refresh_from_db()
    assert result.step == "card_details"
    assert session.memory["chosen_card"] == card


def test_an_event_for_another_step_is_refused_and_moves_nothing() -> None:
    session = _at_card_choice()
    with pytest.raises(dialogue.DialogueError, match="choose_card"):
        dialogue.session_event(session_id=session.pk, name="confirm", step="confirm_needs")
    session.refresh_from_db()
    assert session.current_step == "choose_card"


def test_an_event_the_step_does_not_take_is_refused_and_not_stored() -> None:
    session = _at_card_choice()
    turns = session.turns.count()
    with pytest.raises(dialogue.EventRefused, match="does not take"):
        dialogue.session_event(session_id=session.pk, name="choose_card", data={"card": "nope"})
    assert session.turns.count() == turns


def test_a_side_question_streams_its_answer_through_on_delta() -> None:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language="zh-hans")
    chunks: list[str] = []
    result = dialogue.session_turn(
        session_id=session.pk, text="信用卡年费怎么免？", on_delta=chunks.append
    )
    assert len(chunks) > 1
    assert "".join(chunks) == result.reply


def test_a_step_naming_an_unregistered_behaviour_fails_clearly() -> None:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language="en")
    FlowStep.objects.filter(flow=session.flow, code="ask_income").update(behaviour="no_such")
    with pytest.raises(dialogue.DialogueError, match="no_such"):
        dialogue.session_turn(session_id=session.pk, text="I travel abroad a lot")


def test_every_behaviour_the_shipped_flows_name_is_registered() -> None:
    named = set(FlowStep.objects.exclude(behaviour="").values_list("behaviour", flat=True))
    assert named <= set(dialogue.BEHAVIOURS)


def test_the_events_endpoint_refuses_a_stale_step_with_409() -> None:
    from rest_framework.test import APIClient

    from devices.models import Device
    from devices.services import device_token_issue

    token = device_token_issue(device=Device.objects.get(name="demo-app"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    started = client.post(
        "/api/sessions/", {"channel": "app", "scenario": "credit_card"}, format="json"
    ).json()
    response = client.post(
        f"/api/sessions/{started['id']}/events/",
        {"name": "confirm", "step": "confirm_needs"},
        format="json",
    )
    assert response.status_code == 409
    assert "ask_needs" in response.json()["detail"]
