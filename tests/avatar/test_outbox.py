"""The sequenced outbox: numbers per session, pending answers, stale answers closed."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from devices.models import Device, DeviceConnection, ServerProcess, SessionFrame
from devices.outbox import (
    session_frame_append,
    session_frame_complete,
    session_frame_reserve,
    session_frames_after,
    session_frames_recover,
    session_last_seq,
)
from devices.processes import current_process_id
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


def _dead_process(pid: int = 2**22 + 1) -> ServerProcess:
    """A process of this host that no longer runs (pids above pid_max never do)."""
    return ServerProcess.objects.create(
        id=uuid.uuid4(), host=socket.gethostname(), pid=pid, beat_at=timezone.now()
    )


def test_a_pending_answer_of_a_killed_process_is_closed_at_once_by_the_next_reader(
    session_id: str,
) -> None:
    seq = session_frame_reserve(session_id=session_id)
    SessionFrame.objects.filter(session_id=session_id, seq=seq).update(owner=_dead_process().pk)
    push_to_session(session_id, {"type": "avatar.say", "text": "after"})
    frames = session_frames_after(session_id=session_id, after_seq=0, language="en")
    assert [(f["seq"], f["type"]) for f in frames] == [(1, "answer.done"), (2, "avatar.say")]
    assert frames[0]["interrupted"] is True


def test_a_pending_answer_of_a_live_process_keeps_waiting(session_id: str) -> None:
    alive = ServerProcess.objects.create(
        id=uuid.uuid4(), host=socket.gethostname(), pid=os.getpid(), beat_at=timezone.now()
    )
    seq = session_frame_reserve(session_id=session_id)
    SessionFrame.objects.filter(session_id=session_id, seq=seq).update(owner=alive.pk)
    assert session_frames_after(session_id=session_id, after_seq=0) == []


def test_a_process_whose_beat_stopped_counts_as_dead_on_any_host(session_id: str) -> None:
    silent = ServerProcess.objects.create(
        id=uuid.uuid4(),
        host="another-host",
        pid=os.getpid(),
        beat_at=timezone.now() - timedelta(minutes=5),
    )
    seq = session_frame_reserve(session_id=session_id)
    SessionFrame.objects.filter(session_id=session_id, seq=seq).update(owner=silent.pk)
    (frame,) = session_frames_after(session_id=session_id, after_seq=0)
    assert frame["interrupted"] is True


def test_recovery_closes_a_dead_processes_answers_and_drops_its_connections(
    session_id: str,
) -> None:
    dead = _dead_process()
    seq = session_frame_reserve(session_id=session_id)
    SessionFrame.objects.filter(session_id=session_id, seq=seq).update(owner=dead.pk)
    DeviceConnection.objects.create(
        device=Device.objects.get(name="demo-kiosk"),
        channel_name="gone.process!1",
        server=dead.server_name,
    )
    assert session_frames_recover() == 1
    row = SessionFrame.objects.get(session_id=session_id, seq=seq)
    assert row.state == SessionFrame.State.READY
    assert row.payload["interrupted"] is True
    assert "中断" in row.payload["text"]  # in the session's language
    assert not DeviceConnection.objects.filter(channel_name="gone.process!1").exists()
    assert not ServerProcess.objects.filter(pk=dead.pk).exists()


def test_a_reserved_answer_records_the_process_generating_it(session_id: str) -> None:
    seq = session_frame_reserve(session_id=session_id)
    owner = SessionFrame.objects.get(session_id=session_id, seq=seq).owner
    assert owner == current_process_id()
