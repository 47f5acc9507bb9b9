"""What one turn costs the database, and the per-process copies of flows that make it cheap.

A turn is read, worked out and stored in one transaction: one statement reads and locks the
session, and one statement writes the session, its turns and its funnel events. Steps that
work on other rows (the card application, a knowledge answer) add their own statements, each
row read once per turn. These tests pin that budget (query counts, not timings: speed is
measured by `manage.py bench_dialogue`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bank_ai.ai import intents
from bank_ai.ai.models import AnswerAudit
from content.models import QuestionHit
from scenarios import definitions, dialogue, events
from scenarios.calendar import calendar_exceptions
from scenarios.dialogue import engine
from scenarios.dialogue.base import behaviour_for
from scenarios.management.commands import bench_dialogue
from scenarios.models import CardApplication, DialogueSession, FlowStep, FunnelEvent, Turn

# Statements the test's own transaction adds around the turn's one transaction.
TEST_TRANSACTION = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@pytest.fixture
def steady(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process in its steady state: its copies checked recently, not on this very turn."""
    settings.DEFINITIONS_CHECK_SECONDS = 3600
    settings.CONSOLE_PRESENCE_CHECK_SECONDS = 3600
    monkeypatch.setattr(intents._cache, "CHECK_EVERY_SECONDS", 3600.0)


def _start(language: str = "zh-hans") -> DialogueSession:
    session, _ = dialogue.session_start(scenario="credit_card", channel="app", language=language)
    return session


def _own_statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured if not query["sql"].startswith(TEST_TRANSACTION)]


@pytest.mark.django_db
def test_an_ordinary_turn_costs_two_statements(
    steady: None, django_assert_max_num_queries: Any
) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")  # warms the copies
    # Two statements of its own, and the test transaction's savepoint around them.
    with django_assert_max_num_queries(4):
        result = dialogue.session_turn(session_id=session.pk, text="年收入30万")
    assert result.step == "ask_fee"


@pytest.mark.django_db
def test_a_turn_writes_each_table_once(steady: None) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    with CaptureQueriesContext(connection) as captured:
        dialogue.session_turn(session_id=session.pk, text="年收入30万")
    read, write = _own_statements(captured)
    assert read.startswith('SELECT "scenarios_dialoguesession"."id",')
    assert "pg_advisory_xact_lock" in read
    assert "FOR UPDATE" in read
    assert write.startswith("WITH ")
    assert write.count('UPDATE "scenarios_dialoguesession" SET') == 1
    assert write.count('INSERT INTO "scenarios_funnelevent"') == 1
    assert write.count('INSERT INTO "scenarios_turn"') == 1
    turns = list(session.turns.order_by("seq").values_list("seq", "role", "step", "text"))
    assert turns[-2:] == [
        (4, "customer", "ask_income", "年收入30万"),
        (5, "assistant", "ask_fee", turns[-1][3]),
    ]
    assert turns[-1][3]  # the reply's text
    session.refresh_from_db()
    assert (session.current_step, session.turn_count) == ("ask_fee", 2)
    assert session.slots.get("annual_income") or session.slots.get("income")
    steps = list(
        FunnelEvent.objects.filter(session=session, turn_number=2).values_list("step", "outcome")
    )
    assert ("ask_fee", "entered") in steps


@pytest.mark.django_db
def test_the_turns_written_together_are_announced_with_their_stored_ids(steady: None) -> None:
    session = _start()
    announced: list[int] = []

    def heard(event: events.TurnRecorded) -> None:
        announced.append(event.turn_id)

    events.subscribe(events.TurnRecorded, heard)
    try:
        dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    finally:
        events.unsubscribe(events.TurnRecorded, heard)
    stored = list(session.turns.order_by("seq").values_list("pk", "role"))
    assert [role for _, role in stored] == ["assistant", "customer", "assistant"]
    assert announced == [pk for pk, _ in stored[1:]]


@pytest.mark.django_db
def test_a_knowledge_question_in_a_flow_is_answered_audited_and_counted_within_its_budget(
    steady: None, django_assert_max_num_queries: Any
) -> None:
    session = _start()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    dialogue.session_turn(session_id=session.pk, text="年收入30万")
    # The turn's transaction (a savepoint in the test's) and its two statements; the history;
    # the AI core's reads (the intent's name, retrieval's settings, vector and lexical
    # candidates, BM25 statistics and passages in a savepoint, the curated questions); the
    # audit row; the hits (one INSERT of the cited pages that exist) in their own savepoint.
    with django_assert_max_num_queries(18):
        result = dialogue.session_turn(session_id=session.pk, text="信用卡年费怎么免？")
    assert result.step == "ask_fee"
    assert result.sources
    audit = AnswerAudit.objects.get(session_ref=str(session.pk))
    assert audit.masked_question == "信用卡年费怎么免？"
    assert QuestionHit.objects.filter(audit_id=audit.pk).exists()


def _journey_until(session: DialogueSession, last: str) -> None:
    for item in bench_dialogue.SCRIPTS["zh-hans"]:
        if item is bench_dialogue.UPLOAD:
            bench_dialogue._upload_all(session.pk)
        elif item == last:
            return
        else:
            dialogue.session_turn(session_id=session.pk, text=str(item))
    raise AssertionError(f"the script has no turn {last!r}")


@pytest.mark.django_db
def test_submitting_reads_the_application_once_and_takes_no_savepoint(steady: None) -> None:
    session, _ = dialogue.session_start(scenario="credit_card", channel="web", language="zh-hans")
    _journey_until(session, "确认提交")
    today = timezone.localdate()
    calendar_exceptions(today, today)  # the process's copy of the calendar
    with CaptureQueriesContext(connection) as captured:
        result = dialogue.session_turn(session_id=session.pk, text="确认提交")
    assert result.step == "application_status"
    statements = _own_statements(captured)
    # The session; the application (locked), its documents and its acknowledgement; the
    # application's UPDATE, its status change and its milestones; the turn's write.
    assert len(statements) == 8, statements
    assert sum('FROM "scenarios_cardapplication"' in sql for sql in statements) == 1
    # One savepoint: the turn's own transaction inside the test's.
    assert sum(query["sql"].startswith("SAVEPOINT") for query in captured) == 1
    # The timeline shown next is read from the milestones just written, not queried again.
    assert not [sql for sql in statements if sql.startswith('SELECT "scenarios_applicationmile')]
    application = CardApplication.objects.get(session=session)
    assert application.status == CardApplication.Status.SUBMITTED
    assert application.milestones.count() == len(application.card.timeline["milestones"])
    assert application.history.filter(to_status="submitted").count() == 1


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


def test_a_stream_stopped_by_the_client_keeps_the_customers_turn(
    committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A reply a remote model writes is streamed as it is written, and the client leaving stops
    # it (a reply worked out at once is sent after its commit: see test_turn_storage).
    monkeypatch.setattr(engine, "generation_is_remote", lambda: True)
    session = _start()
    committed.append(str(session.pk))

    def gone(chunk: str) -> None:
        raise ConnectionError("the socket closed")

    with pytest.raises(ConnectionError):
        dialogue.session_turn(session_id=session.pk, text="信用卡怎么挂失？", on_delta=gone)
    texts = list(session.turns.order_by("seq").values_list("role", "text"))
    assert texts[-1] == ("customer", "信用卡怎么挂失？")


def _at_card_choice(session: DialogueSession) -> None:
    for text in ("我经常出国旅游", "年收入30万", "年费无所谓", "对"):
        dialogue.session_turn(session_id=session.pk, text=text)


def test_a_device_event_commits_once_and_is_written_in_one_statement(
    committed: list[str], steady: None
) -> None:
    session = _start()
    committed.append(str(session.pk))
    _at_card_choice(session)
    session.refresh_from_db()
    card = session.memory["recommended"][0]
    with CaptureQueriesContext(connection) as captured:
        result = dialogue.session_event(
            session_id=session.pk, name="choose_card", step="choose_card", data={"card": card}
        )
    statements = [q["sql"] for q in captured]
    assert result.step == "card_details"
    assert statements.count("COMMIT") == 1
    assert sum(sql.startswith("WITH ") for sql in statements) == 1
    assert not [sql for sql in statements if sql.startswith('INSERT INTO "scenarios_turn"')]
    assert not [sql for sql in statements if "pg_advisory_lock(" in sql]  # no session-level lock
    turns = list(session.turns.order_by("-seq").values_list("role", "text")[:2])
    assert turns[1] == ("customer", "[choose_card]")
    assert turns[0][0] == "assistant"


def test_a_device_event_whose_step_fails_is_stored_and_its_work_rolled_back(
    committed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    session = _start()
    committed.append(str(session.pk))
    _at_card_choice(session)
    session.refresh_from_db()
    card = session.memory["recommended"][0]
    funnel_before = FunnelEvent.objects.filter(session=session).count()
    behaviour = type(behaviour_for(FlowStep.objects.get(flow=session.flow, code="choose_card")))
    on_event = behaviour.on_event

    def failing(self: Any, ctx: Any, name: str, data: dict[str, Any]) -> Any:
        on_event(self, ctx, name, data)  # does all its work, then fails
        raise RuntimeError("the step failed")

    monkeypatch.setattr(behaviour, "on_event", failing)
    with pytest.raises(RuntimeError, match="the step failed"):
        dialogue.session_event(
            session_id=session.pk, name="choose_card", step="choose_card", data={"card": card}
        )
    session.refresh_from_db()
    assert session.current_step == "choose_card"
    assert "chosen_card" not in session.memory
    assert FunnelEvent.objects.filter(session=session).count() == funnel_before
    last = session.turns.order_by("-seq").first()
    assert (last.role, last.text, last.step) == ("customer", "[choose_card]", "choose_card")
    assert session.turn_count == 5


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
