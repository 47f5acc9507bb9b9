"""The "which card suits you" quiz reuses the credit-card matching behaviours as data."""

from __future__ import annotations

import pytest

from scenarios import dialogue
from scenarios.models import FlowStep

pytestmark = pytest.mark.django_db


def test_the_quiz_is_data_naming_the_card_behaviours() -> None:
    behaviours = set(
        FlowStep.objects.filter(flow__code="card_quiz").values_list("behaviour", flat=True)
    )
    assert {"needs_summary", "card_recommendation", "card_choice", "card_details"} <= behaviours


def test_three_answers_and_a_yes_recommend_cards() -> None:
    session, first = dialogue.session_start(
        scenario="card_quiz", channel="kiosk", language="zh-hans"
    )
    assert "第1题" in first.reply
    for text in ("我经常出国旅游", "年收入30万"):
        dialogue.session_turn(session_id=session.pk, text=text)
    summary = dialogue.session_turn(session_id=session.pk, text="年费无所谓")
    assert summary.step == "quiz_result"
    assert "出行旅游" in summary.reply
    result = dialogue.session_turn(session_id=session.pk, text="对")
    cards = next(a for a in result.actions if a["type"] == "show_cards")["cards"]
    assert 1 <= len(cards) <= 3
    assert result.step == "quiz_choose"
    details = dialogue.session_turn(session_id=session.pk, text="第一张")
    assert details.step == "quiz_details"
    assert next(a for a in details.actions if a["type"] == "show_card")["code"] == cards[0]["code"]


def test_a_student_gets_a_student_card_in_english() -> None:
    session, _ = dialogue.session_start(scenario="card_quiz", channel="app", language="en")
    for text in ("mostly online shopping and study", "I'm a student", "no annual fee please"):
        dialogue.session_turn(session_id=session.pk, text=text)
    result = dialogue.session_turn(session_id=session.pk, text="yes")
    codes = [
        c["code"] for c in next(a for a in result.actions if a["type"] == "show_cards")["cards"]
    ]
    assert any("student" in code or "campus" in code or "youth" in code for code in codes), codes
