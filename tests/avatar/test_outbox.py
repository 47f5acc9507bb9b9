"""The sequenced outbox: numbers per session, pending answers, stale answers closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import SessionFrame
from devices.outbox import (
    session_frame_append,
    session_frame_complete,
    session_frame_reserve,
    session_frames_after,
    session_last_seq,
)
from devices.push import push_to_session
from scenarios.dialogue import session_start

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_id() -> str:
    session, _ = session_start(scenario="credit_card", channel="kiosk", language="zh-hans")
    return str(session.pk)


def test_numbers_are_per_session_and_without_holes(session_id: str) -> None:
    other, _ = session_start(scenario="credit_card", channel="kiosk", language="en")
    seqs = [
        session_frame_append(session_id=session_id, frame={"type": "x"})["seq"] for _ in range(3)
    ]
    assert seqs == [1, 2, 3]
    assert session_frame_append(session_id=other.pk, frame={"type": "x"})["seq"] == 1
    assert session_last_seq(session_id=session_id) == 3


def test_a_pending_answer_holds_back_the_frames_after_it(session_id: str) -> None:
    session_frame_append(session_id=session_id, frame={"type": "answer.done", "text": "1"})
    seq = session_frame_reserve(session_id=session_id)
    push_to_session(session_id, {"type": "avatar.say", "text": "3"})
    assert [f["seq"] for f in session_frames_after(session_id=session_id, after_seq=0)] == [1]
    session_frame_complete(
        session_id=session_id, seq=seq, frame={"type": "answer.done", "text": "2"}
    )
    frames = session_frames_after(session_id=session_id, after_seq=1)
    assert [(f["seq"], f["text"]) for f in frames] == [(2, "2"), (3, "3")]


def test_a_pending_answer_of_a_dead_process_is_closed_as_interrupted(session_id: str) -> None:
    seq = session_frame_reserve(session_id=session_id)
    SessionFrame.objects.filter(session_id=session_id, seq=seq).update(
        created_at=timezone.now() - timedelta(hours=1)
    )
    (frame,) = session_frames_after(session_id=session_id, after_seq=0, language="en")
    assert frame["interrupted"] is True
    assert "interrupted" in frame["text"]
    # The late writer does not overwrite what clients may already have received.
    late = session_frame_complete(
        session_id=session_id, seq=seq, frame={"type": "answer.done", "text": "late"}
    )
    assert late["interrupted"] is True


def test_push_to_session_returns_the_stored_frame_with_its_number(session_id: str) -> None:
    stored = push_to_session(session_id, {"type": "ticket.called", "number": "A012"})
    assert stored == {"type": "ticket.called", "number": "A012", "session_id": session_id, "seq": 1}
    assert SessionFrame.objects.get(session_id=session_id, seq=1).payload == stored
