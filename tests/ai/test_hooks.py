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
