"""What one turn costs the database, and the per-process copies of flows that make it cheap.

A turn is read, worked out and stored in one transaction: one statement reads and locks the
session, and the session, its turns and its funnel events are written with one statement per
table. These tests pin that budget (query counts, not timings: speed is measured by
`manage.py bench_dialogue`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scenarios import definitions, dialogue
from scenarios.dialogue import engine
from scenarios.models import DialogueSession, FlowStep, FunnelEvent, Turn

# Statements the test's own transaction adds around the turn's one transaction.
TEST_TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def steady(settings: Any) -> None:
    """A process in its steady state: its copies checked recently, not on this very turn."""
    settings.DEFINITIONS_CHECK_SECONDS = 3600
    settings.CONSOLE_PRESENCE_CHECK_SECONDS = 3600


def _start(language: str = "zh-hans") -> DialogueSession:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language=language)
    return session


@pytest.mark.django_db
def test_an_ordinary_turn_costs_at_most_six_queries(
    steady: None, django_assert_max_num_queries: Any
) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")  # warms the copies
    # Four statements of its own, and the test transaction's savepoint around them.
    with django_assert_max_num_queries(6):
        result = dialogue.session_turn(session_id=session.pk, text="年收入30万")
    assert result.step == "ask_fee"


@pytest.mark.django_db
def test_a_turn_writes_each_table_once(steady: None) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    with CaptureQueriesContext(connection) as captured:
        dialogue.session_turn(session_id=session.pk, text="年收入30万")
    statements = [
        query["sql"] for query in captured if not query["sql"].startswith(TEST_TRANSACTION)
    ]
    assert [sql.split(" ", 3)[:3] for sql in statements] == [
        ["SELECT", '"scenarios_dialoguesession"."id",', '"scenarios_dialoguesession"."flow_id",'],
        ["UPDATE", '"scenarios_dialoguesession"', "SET"],
        ["INSERT", "INTO", '"scenarios_turn"'],
        ["INSERT", "INTO", '"scenarios_funnelevent"'],
    ]
    assert "pg_advisory_xact_lock" in statements[0]
    assert "FOR UPDATE" in statements[0]
    turns = list(session.turns.order_by("seq").values_list("seq", "role", "step"))
    assert turns[-2:] == [(4, "customer", "ask_income"), (5, "assistant", "ask_fee")]


@pytest.fixture
def committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    """Real commits (autocommit, no test transaction); the sessions listed are deleted after."""
    created: list[str] = []
    with django_db_blocker.unblock():
        try:
            yield created
        finally:
            DialogueSession.objects.filter(pk__in=created).delete()
            connection.close()


def test_a_turn_commits_once(committed: list[str], steady: None) -> None:
    session = _start()
    committed.append(str(session.pk))
    with CaptureQueriesContext(connection) as captured:
        dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    assert [q["sql"] for q in captured].count("COMMIT") == 1
    assert session.turns.filter(role=Turn.Role.CUSTOMER).count() == 1


def test_a_reply_that_fails_rolls_back_its_work_and_keeps_the_customers_turn(
    committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _start()
    committed.append(str(session.pk))
    funnel_before = FunnelEvent.objects.filter(session=session).count()
    advance = engine._advance

    def failing(session: DialogueSession, text: str, on_delta: Any) -> Any:
        advance(session, text, on_delta)  # does all its work, then fails
        raise RuntimeError("the reply failed")

    monkeypatch.setattr(engine, "_advance", failing)
    with pytest.raises(RuntimeError, match="the reply failed"):
        dialogue.session_turn(session_id=session.pk, text="我经常出国旅游 4111 1111 1111 1111")
    session.refresh_from_db()
    assert session.current_step == "ask_needs"  # the reply's move is rolled back
    assert session.turn_count == 1
    assert FunnelEvent.objects.filter(session=session).count() == funnel_before
    customer = session.turns.get(role=Turn.Role.CUSTOMER)
    assert customer.step == "ask_needs"
    assert "4111 1111 1111 1111" not in customer.text  # masked before storage


def test_a_stream_stopped_by_the_client_keeps_the_customers_turn(committed: list[str]) -> None:
    session = _start()
    committed.append(str(session.pk))

    def gone(chunk: str) -> None:
        raise ConnectionError("the socket closed")

    with pytest.raises(ConnectionError):
        dialogue.session_turn(session_id=session.pk, text="信用卡年费怎么免？", on_delta=gone)
    texts = list(session.turns.order_by("seq").values_list("role", "text"))
    assert texts[-1] == ("customer", "信用卡年费怎么免？")


# ----------------------------------------------------------------------------- per-process copies


@pytest.mark.django_db
def test_flows_are_read_once_per_process_not_per_turn(steady: None) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    with CaptureQueriesContext(connection) as captured:
        dialogue.session_turn(session_id=session.pk, text="年收入30万")
    assert not [q for q in captured if "scenarios_flow" in q["sql"]]


@pytest.mark.django_db
def test_an_edited_step_is_used_by_the_next_turn_of_the_same_process(steady: None) -> None:
    session = _start("en")
    dialogue.session_turn(session_id=session.pk, text="I travel a lot")
    step = FlowStep.objects.get(flow__code="credit_card", code="ask_fee")
    step.prompt_en = "Edited: does an annual fee matter to you?"
    step.save()
    result = dialogue.session_turn(session_id=session.pk, text="I earn about 300k a year")
    assert result.step == "ask_fee"
    assert "Edited: does an annual fee matter to you?" in result.reply


def _edit_elsewhere(step: str, prompt_en: str) -> None:
    """Another process's edit: the row changes, this process hears nothing of it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE scenarios_flowstep SET prompt_en = %s WHERE code = %s AND flow_id = "
            "(SELECT id FROM scenarios_flow WHERE code = 'credit_card')",
            [prompt_en, step],
        )


@pytest.mark.django_db
def test_a_bulk_update_is_seen_by_the_next_turn(steady: None) -> None:
    session = _start("en")
    dialogue.session_turn(session_id=session.pk, text="I travel a lot")
    FlowStep.objects.filter(flow__code="credit_card", code="ask_fee").update(
        prompt_en="Bulk-edited: annual fee?"
    )
    result = dialogue.session_turn(session_id=session.pk, text="I earn about 300k a year")
    assert "Bulk-edited: annual fee?" in result.reply


@pytest.mark.django_db
def test_a_change_made_by_another_process_is_seen_once_the_check_is_due(settings: Any) -> None:
    settings.DEFINITIONS_CHECK_SECONDS = 3600
    session = _start("en")
    dialogue.session_turn(session_id=session.pk, text="I travel a lot")
    # Another process edits the step (no signal here) and publishes a new token.
    _edit_elsewhere("ask_fee", "Changed elsewhere: annual fee?")
    cache.set(definitions.VERSION_KEY, "another-process-token", timeout=None)
    definitions._local.checked_at -= 7200  # the check is due
    result = dialogue.session_turn(session_id=session.pk, text="I earn about 300k a year")
    assert "Changed elsewhere: annual fee?" in result.reply


@pytest.mark.django_db
def test_a_change_is_not_read_before_the_check_is_due(settings: Any) -> None:
    settings.DEFINITIONS_CHECK_SECONDS = 3600
    session = _start("en")
    dialogue.session_turn(session_id=session.pk, text="I travel a lot")
    _edit_elsewhere("ask_fee", "Changed elsewhere: annual fee?")
    cache.set(definitions.VERSION_KEY, "another-process-token", timeout=None)
    result = dialogue.session_turn(session_id=session.pk, text="I earn about 300k a year")
    assert "Changed elsewhere" not in result.reply  # the process's copy, until its next check
