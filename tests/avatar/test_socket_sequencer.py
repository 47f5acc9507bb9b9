"""The socket's sequencing and turn rules (devices.socket_sequencer), without a socket."""

from __future__ import annotations

from typing import Any

import pytest

from devices.avatar import SessionInfo
from devices.protocol import ProtocolError
from devices.socket_sequencer import PushAction, SocketSequencer


def _info(session_id: str = "s1", last_seq: int = 0) -> SessionInfo:
    return SessionInfo(
        id=session_id,
        scenario="credit_card",
        language="zh-hans",
        status="active",
        step="welcome",
        last_seq=last_seq,
    )


def _frame(seq: int, session_id: str = "s1", kind: str = "avatar.say") -> dict[str, Any]:
    return {"type": kind, "session_id": session_id, "seq": seq}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def stream(clock: Clock) -> SocketSequencer:
    stream = SocketSequencer(catch_up_seconds=25, clock=clock)
    stream.bind(_info(), last_seq=2)
    return stream


def test_the_next_numbered_push_is_sent_and_counted(stream: SocketSequencer) -> None:
    assert stream.on_push(_frame(3)) is PushAction.SEND
    assert stream.sent_seq == 3


def test_a_push_already_sent_is_dropped(stream: SocketSequencer) -> None:
    assert stream.on_push(_frame(2)) is PushAction.DROP
    assert stream.sent_seq == 2


def test_a_push_after_a_gap_asks_for_the_backlog(stream: SocketSequencer) -> None:
    assert stream.on_push(_frame(5)) is PushAction.REFILL
    assert stream.sent_seq == 2


def test_a_push_for_another_session_is_dropped(stream: SocketSequencer) -> None:
    assert stream.on_push(_frame(3, session_id="other")) is PushAction.DROP


def test_an_unnumbered_push_is_sent_even_without_a_session() -> None:
    stream = SocketSequencer(catch_up_seconds=25)
    assert stream.on_push({"type": "playlist"}) is PushAction.SEND


def test_a_numbered_push_without_a_session_is_dropped() -> None:
    stream = SocketSequencer(catch_up_seconds=25)
    assert stream.on_push(_frame(1)) is PushAction.DROP


def test_the_backlog_is_taken_in_order_up_to_the_first_hole(stream: SocketSequencer) -> None:
    taken = stream.take([_frame(2), _frame(3), _frame(4), _frame(6)])
    assert [f["seq"] for f in taken] == [3, 4]
    assert stream.sent_seq == 4


def test_pushes_behind_a_streaming_answer_wait_for_the_backlog(stream: SocketSequencer) -> None:
    stream.turn_begin()
    stream.turn_acked(3, frame_id="t", extra={})
    assert stream.on_push(_frame(4)) is PushAction.DROP
    stream.turn_end()
    assert [f["seq"] for f in stream.take([_frame(3, kind="answer.done"), _frame(4)])] == [3, 4]


def test_a_push_numbered_before_the_streaming_answer_still_goes_out(
    stream: SocketSequencer,
) -> None:
    stream.turn_begin()
    stream.turn_acked(4, frame_id="t", extra={})
    assert stream.on_push(_frame(3)) is PushAction.SEND


def test_a_second_turn_while_one_runs_is_refused_as_busy(stream: SocketSequencer) -> None:
    stream.turn_begin()
    with pytest.raises(ProtocolError) as busy:
        stream.turn_begin()
    assert busy.value.code == "busy"


def test_a_turn_may_start_again_once_the_previous_one_ended(stream: SocketSequencer) -> None:
    stream.turn_begin()
    stream.turn_end()
    assert stream.turn_begin().id == "s1"


def test_a_turn_needs_a_session() -> None:
    stream = SocketSequencer(catch_up_seconds=25)
    with pytest.raises(ProtocolError) as no_session:
        stream.turn_begin()
    assert no_session.value.code == "no_session"


def test_the_ack_names_the_frame_session_and_answer_number(stream: SocketSequencer) -> None:
    stream.turn_begin()
    ack = stream.turn_acked(3, frame_id="t1", extra={"source": "typed"})
    assert ack == {"type": "turn.ack", "id": "t1", "session_id": "s1", "seq": 3, "source": "typed"}


def test_deltas_are_numbered_from_zero_each_turn(stream: SocketSequencer) -> None:
    stream.turn_begin()
    first = [stream.delta(3, text, {}) for text in ("a", "b")]
    stream.turn_end()
    stream.turn_begin()
    second = stream.delta(5, "c", {})
    assert [f["index"] for f in first] == [0, 1]
    assert (second["index"], second["seq"], second["type"]) == (0, 5, "answer.delta")


def test_binding_another_session_names_the_one_left(stream: SocketSequencer) -> None:
    assert stream.bind(_info("s2"), last_seq=0) == "s1"
    assert stream.sent_seq == 0


def test_rebinding_the_same_session_leaves_nothing(stream: SocketSequencer) -> None:
    assert stream.bind(_info("s1"), last_seq=1) is None
    assert stream.sent_seq == 1


def test_an_idle_socket_catches_up_at_most_once_a_heartbeat(
    stream: SocketSequencer, clock: Clock
) -> None:
    clock.now = 10
    assert stream.catch_up_due() is False
    clock.now = 26
    assert stream.catch_up_due() is True
    clock.now = 30
    assert stream.catch_up_due() is False


def test_no_catch_up_while_an_answer_streams(stream: SocketSequencer, clock: Clock) -> None:
    stream.turn_begin()
    stream.turn_acked(3, frame_id=None, extra={})
    clock.now = 100
    assert stream.catch_up_due() is False
