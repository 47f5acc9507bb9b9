"""A turn's words reach the customer only once the turn is stored.

The avatar socket acknowledges a turn (`turn.ack`) with the reply's first word, so a word sent
before the customer's turn is committed would acknowledge a turn a crash could still lose. A reply
worked out at once is held until the turn's one commit; a reply a remote model writes for seconds
is streamed after the customer's turn has been committed on its own.
"""

from __future__ import annotations

from typing import Any

import pytest

from bank_ai.ai import engine as ai_engine
from scenarios import dialogue
from scenarios.dialogue import engine
from scenarios.models import Turn

pytestmark = pytest.mark.django_db

KNOWLEDGE_QUESTION = "信用卡怎么挂失？"  # answered by the AI core at the card journey's first step


def _start() -> Any:
    session, _greeting = dialogue.session_start(
        scenario="credit_card", channel="kiosk", language="zh-hans"
    )
    return session


def _stored_when_words_arrive(session: Any, text: str) -> tuple[list[str], list[bool]]:
    """The words sent, and for each whether the customer's turn was stored when it was sent."""
    words: list[str] = []
    stored: list[bool] = []

    def sink(word: str) -> None:
        words.append(word)
        stored.append(Turn.objects.filter(session=session, role="customer", text=text).exists())

    dialogue.session_turn(session_id=session.pk, text=text, on_delta=sink)
    return words, stored


def test_a_reply_worked_out_at_once_is_sent_after_its_turn_is_stored() -> None:
    session = _start()
    words, stored = _stored_when_words_arrive(session, KNOWLEDGE_QUESTION)
    assert words
    assert all(stored)
    # One transaction: the customer's turn and the reply were written together.
    assert list(session.turns.order_by("seq").values_list("role", flat=True)) == [
        "assistant",
        "customer",
        "assistant",
    ]


def test_a_reply_a_remote_model_writes_streams_after_the_turn_is_committed_on_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "generation_is_remote", lambda: True)
    generations: list[str] = []
    real_stream = ai_engine.stream_answer

    def counted(question: str, context: ai_engine.AskContext) -> Any:
        for event in real_stream(question, context):
            if isinstance(event, ai_engine.Answer):
                generations.append(event.kind)
            yield event

    monkeypatch.setattr(ai_engine, "stream_answer", counted)
    session = _start()
    words, stored = _stored_when_words_arrive(session, KNOWLEDGE_QUESTION)
    assert len(words) > 2
    assert all(stored)
    # The first attempt stopped before the model was asked; the model wrote the answer once.
    assert generations == ["generated"]
    turns = list(session.turns.order_by("seq").values_list("role", "text"))
    assert [role for role, _ in turns] == ["assistant", "customer", "assistant"]
    assert turns[1][1] == KNOWLEDGE_QUESTION
    customer = session.turns.get(role="customer")
    assert customer.sentiment  # filled in once the reply was worked out


@pytest.mark.parametrize("remote", [False, True], ids=["at_once", "streamed"])
def test_the_model_is_given_the_conversation_up_to_the_question_and_not_the_question_again(
    monkeypatch: pytest.MonkeyPatch, remote: bool
) -> None:
    monkeypatch.setattr(engine, "generation_is_remote", lambda: remote)
    histories: list[tuple[tuple[str, str], ...]] = []
    real_stream = ai_engine.stream_answer

    def recorded(question: str, context: ai_engine.AskContext) -> Any:
        histories.append(context.history)
        yield from real_stream(question, context)

    monkeypatch.setattr(ai_engine, "stream_answer", recorded)
    session = _start()
    greeting = session.turns.get(role="assistant").text
    dialogue.session_turn(session_id=session.pk, text=KNOWLEDGE_QUESTION, on_delta=lambda _: None)
    # The greeting is the step's question the customer is answering.
    assert histories[-1] == (("assistant", greeting),)


def test_a_reply_whose_sink_fails_after_the_commit_is_still_returned_and_stored() -> None:
    session = _start()

    def gone(word: str) -> None:
        raise ConnectionError("the screen went away")

    result = dialogue.session_turn(session_id=session.pk, text=KNOWLEDGE_QUESTION, on_delta=gone)
    assert result.reply
    assert session.turns.filter(role="assistant").last().text == result.reply


def test_an_event_whose_reply_a_remote_model_writes_streams_after_the_event_is_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine, "generation_is_remote", lambda: True)
    # The confirmed problem's FAQ would be answered word for word: have the model write it.
    monkeypatch.setattr(ai_engine, "_curated_is_trustworthy", lambda curated, passages: False)
    session, _greeting = dialogue.session_start(
        scenario="after_sales", channel="app", language="zh-hans"
    )
    located = dialogue.session_turn(session_id=session.pk, text="App登录不上去")
    assert located.step == "confirm_problem"
    answered_before = session.turns.filter(role="assistant").count()
    words: list[str] = []
    stored: list[bool] = []
    replied: list[bool] = []

    def sink(word: str) -> None:
        words.append(word)
        stored.append(session.turns.filter(role="customer", text="[confirm]").exists())
        replied.append(session.turns.filter(role="assistant").count() > answered_before)

    result = dialogue.session_event(
        session_id=session.pk, name="confirm", step="confirm_problem", data={}, on_delta=sink
    )
    assert result.step == "answer"
    assert len(words) > 2
    assert all(stored)
    assert not any(replied)  # streamed as written, not held until the reply was stored
    assert session.turns.filter(text="[confirm]").count() == 1
    assert list(session.turns.order_by("-seq").values_list("role", flat=True)[:2]) == [
        "assistant",
        "customer",
    ]
