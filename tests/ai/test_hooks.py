"""Answer listeners: bookkeeping that never breaks an answer."""

from __future__ import annotations

import pytest
from django.db import connection

from bank_ai.ai import hooks
from bank_ai.ai.hooks import AnsweredQuestion, answer_recorded
from bank_ai.ai.models import LLMCall

pytestmark = pytest.mark.django_db

EVENT = AnsweredQuestion(
    audit_id=1, channel="app", language="en", masked_question="q", answer_kind="generated"
)


@pytest.fixture
def listeners(monkeypatch: pytest.MonkeyPatch) -> list:
    registered: list = []
    monkeypatch.setattr(hooks, "_listeners", registered)
    return registered


def test_a_failing_listener_inside_a_transaction_loses_only_its_own_writes(listeners: list) -> None:
    heard: list[AnsweredQuestion] = []

    def breaks(event: AnsweredQuestion) -> None:
        LLMCall.objects.create(provider="listener", task="t", outcome="ok")
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    listeners.extend([breaks, heard.append])
    assert connection.in_atomic_block  # the test's transaction, as in a dialogue turn
    answer_recorded(EVENT)
    assert heard == [EVENT]
    # The savepoint took the failed listener's row back; the caller's transaction goes on.
    assert not LLMCall.objects.filter(provider="listener").exists()


def test_outside_a_transaction_listeners_run_in_autocommit_and_a_failure_stops_nothing(
    listeners: list, caplog: pytest.LogCaptureFixture
) -> None:
    """On a connection of its own (autocommit, as in the staff assistant or `manage.py ask`):
    the test's own connection is always inside its transaction. Its rows are committed for
    real, so it deletes them."""
    import threading

    from django.test.utils import CaptureQueriesContext

    def breaks(event: AnsweredQuestion) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    def writes(event: AnsweredQuestion) -> None:
        LLMCall.objects.create(provider="listener-autocommit", task="t", outcome="ok")

    listeners.extend([breaks, writes])
    seen: dict[str, object] = {}

    def on_own_connection() -> None:
        try:
            seen["atomic"] = connection.in_atomic_block
            with CaptureQueriesContext(connection) as captured:
                answer_recorded(EVENT)
            seen["statements"] = [q["sql"].split()[0].upper() for q in captured.captured_queries]
            seen["rows"] = LLMCall.objects.filter(provider="listener-autocommit").count()
            with connection.cursor() as cursor:  # not left in an aborted transaction
                cursor.execute("SELECT 1")
                seen["usable"] = cursor.fetchone() == (1,)
        finally:
            LLMCall.objects.filter(provider="listener-autocommit").delete()
            connection.close()

    worker = threading.Thread(target=on_own_connection)
    worker.start()
    worker.join(60)
    assert seen["atomic"] is False
    # No transaction or savepoint of its own: each listener's statement commits by itself.
    statements = seen["statements"]
    assert isinstance(statements, list)
    assert "SAVEPOINT" not in statements
    assert "BEGIN" not in statements
    # The failure was logged, the next listener still ran and its row was committed.
    assert "answer listener" in caplog.text
    assert seen["rows"] == 1
    assert seen["usable"] is True
