"""Employees' verdicts on curated answers become labelled pairs for the question matcher."""

from __future__ import annotations

import pytest

from bank_ai.ai.matcher_training import correction_pairs
from bank_ai.ai.models import CuratedQuestion
from staff_assistant.models import Conversation, Feedback, Message

pytestmark = pytest.mark.django_db


def _curated_answer(employee, question: str, rating: int) -> CuratedQuestion:  # noqa: ANN001
    faq = CuratedQuestion.objects.filter(language="zh-hans").order_by("id").first()
    conversation = Conversation.objects.create(user=employee, title="t", language="zh-hans")
    Message.objects.create(conversation=conversation, role=Message.Role.USER, text=question)
    answer = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text=faq.answer,
        kind="curated",
        sources=[{"n": 1, "title": faq.title, "page_id": faq.page_id}],
    )
    Feedback.objects.create(
        message=answer, user=employee, rating=rating, status=Feedback.Status.OPEN
    )
    return faq


def test_a_thumbs_down_on_a_curated_answer_is_a_negative_pair(employee) -> None:  # noqa: ANN001
    faq = _curated_answer(employee, "外币兑换的汇率在哪里查", Feedback.Rating.DOWN)
    pairs = [p for p in correction_pairs() if p.question1 == "外币兑换的汇率在哪里查"]
    assert pairs
    assert {p.label for p in pairs} == {0}
    assert faq.question in {p.question2 for p in pairs}


def test_a_thumbs_up_on_a_curated_answer_is_a_positive_pair(employee) -> None:  # noqa: ANN001
    _curated_answer(employee, "年费能不能免掉", Feedback.Rating.UP)
    pairs = [p for p in correction_pairs() if p.question1 == "年费能不能免掉"]
    assert pairs
    assert {p.label for p in pairs} == {1}
