"""What one avatar socket has sent of its session's numbered frames, and its turn in progress.

The sequencing rules of docs/avatar-protocol.md (sections 3 and 7) as a plain synchronous object
(the `devices.SessionStream` model is the session's counter row in PostgreSQL; this is one
socket's position in that stream):
the consumer parses a frame, asks the stream what to do and sends what it returns. Nothing
here awaits, reads the database or touches a socket, so every rule is tested without one.

- Numbered session frames reach the client once each, in `seq` order, without holes.
  `sent_seq` is the highest number the client has; a push with a higher number than the next
  one means the channel layer dropped something, and the gap is filled from the database.
- While an answer streams (from its `turn.ack` to its end) frames numbered from the answer's
  own `seq` on wait in the database: the stored answer goes first, then what was pushed
  meanwhile.
- One turn at a time: a second turn, start or resume while one runs is refused as `busy`.
- At most once a heartbeat, a socket that is idle reads what is new (a dropped push with no
  later push to reveal the gap).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterable
from typing import Any

from devices.avatar import SessionInfo
from devices.protocol import ProtocolError


class PushAction(enum.Enum):
    SEND = "send"  # send the pushed frame now (already counted as sent)
    DROP = "drop"  # already sent, for another session, or waiting behind a streaming answer
    REFILL = "refill"  # a gap before it: read the backlog and send what `take` returns


class SocketSequencer:
    def __init__(
        self, *, catch_up_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._catch_up_seconds = catch_up_seconds
        self._clock = clock
        self._last_catch_up = clock()
        self.session: SessionInfo | None = None
        self.sent_seq = 0
        self.turn_running = False
        self.turn_seq: int | None = None  # the streaming answer's number, once acknowledged
        self._delta_index = 0

    # ------------------------------------------------------------------ binding

    def require_session(self) -> SessionInfo:
        if self.session is None:
            raise ProtocolError("no_session", "Start or resume a session first.")
        return self.session

    def bind(self, info: SessionInfo, *, last_seq: int) -> str | None:
        """Follow `info` from after `last_seq`; returns the id of a session no longer followed."""
        previous = self.session.id if self.session is not None else None
        self.session = info
        self.sent_seq = last_seq
        return previous if previous is not None and previous != info.id else None

    def backlog_after(self) -> int | None:
        """The number to read stored frames after, or None without a session."""
        return self.sent_seq if self.session is not None else None

    # ------------------------------------------------------------------ turns

    def refuse_while_busy(self) -> None:
        if self.turn_running:
            raise ProtocolError("busy", "The previous turn is still being answered; send it again.")

    def turn_begin(self) -> SessionInfo:
        """A `user.text` or `ui.event` starts a turn of the bound session."""
        session = self.require_session()
        self.refuse_while_busy()
        self.turn_running = True
        self.turn_seq = None
        self._delta_index = 0
        return session

    def turn_acked(self, seq: int, *, frame_id: Any, extra: dict[str, Any]) -> dict[str, Any]:
        """The turn is stored and its answer will be `seq`: the `turn.ack` frame."""
        session = self.require_session()
        self.turn_seq = seq
        return {"type": "turn.ack", "id": frame_id, "session_id": session.id, "seq": seq, **extra}

    def delta(self, seq: int, text: str, cue: dict[str, Any]) -> dict[str, Any]:
        """The next `answer.delta` of the streaming answer (numbered from 0 per turn)."""
        session = self.require_session()
        frame = {
            "type": "answer.delta",
            "session_id": session.id,
            "seq": seq,
            "index": self._delta_index,
            "text": text,
            "cue": cue,
        }
        self._delta_index += 1
        return frame

    def turn_end(self) -> None:
        """The turn finished, failed or was cancelled: frames flow again (read the backlog)."""
        self.turn_running = False
        self.turn_seq = None

    # ------------------------------------------------------------------ outbound

    def on_push(self, frame: dict[str, Any]) -> PushAction:
        """What to do with a frame pushed to one of the socket's groups."""
        seq = frame.get("seq")
        if seq is None:
            return PushAction.SEND  # a live device or group push: not numbered
        if self.session is None or frame.get("session_id") != self.session.id:
            return PushAction.DROP
        if seq <= self.sent_seq:
            return PushAction.DROP  # replayed already, or delivered from the backlog
        if self.turn_seq is not None and seq >= self.turn_seq:
            return PushAction.DROP  # behind the streaming answer: sent from the backlog after it
        if seq == self.sent_seq + 1:
            self.sent_seq = seq
            return PushAction.SEND
        return PushAction.REFILL

    def take(self, backlog: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The frames of `backlog` (stored frames in order) the client is to get now.

        Stops at a hole (a reserved answer still streaming elsewhere): what follows waits.
        """
        out = []
        for frame in backlog:
            if frame["seq"] == self.sent_seq + 1:
                out.append(frame)
                self.sent_seq = frame["seq"]
        return out

    def catch_up_due(self) -> bool:
        """Whether an idle socket should read the backlog now (at most once a heartbeat)."""
        if self.session is None or self.turn_seq is not None:
            return False
        now = self._clock()
        if now - self._last_catch_up < self._catch_up_seconds:
            return False
        self._last_catch_up = now
        return True
