"""Sequenced session frames in PostgreSQL: what makes `session.resume` exact.

Every frame a session's client must not miss gets the session's next number here, in the same
transaction as the change it announces. The counter row (`SessionStream`) stays locked until
that transaction ends, so numbers become visible in order: a reader that sees frame n has
already been able to see frames 1..n-1. An answer still being generated holds a *pending*
number; readers stop in front of it until it is complete, so nothing overtakes it.

A pending number remembers the process generating it. If that process dies (devices.processes)
the answer is closed as `interrupted` at once, by the next reader (a resume, the next turn's
delivery) or by any live process's start-up and heartbeat sweep, so the session goes on;
without a known owner it is closed after `AVATAR_PENDING_TIMEOUT`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from devices.conf import pending_timeout_seconds
from devices.models import DeviceConnection, ServerProcess, SessionFrame, SessionStream
from devices.processes import current_process_id, dead_processes, owner_is_dead

REPLAY_BATCH = 500


def _allocate(session_id: Any) -> int:
    table = SessionStream._meta.db_table
    with connection.cursor() as cursor:
        # One statement that creates the counter on first use and bumps it otherwise; the row
        # lock it takes is what orders concurrent writers to one session.
        cursor.execute(
            f"INSERT INTO {table} (session_id, last_seq) VALUES (%s, 1) "  # noqa: S608 - our table
            f"ON CONFLICT (session_id) DO UPDATE SET last_seq = {table}.last_seq + 1 "
            "RETURNING last_seq",
            [session_id],
        )
        return int(cursor.fetchone()[0])


def _stamp(session_id: Any, seq: int, frame: dict[str, Any]) -> dict[str, Any]:
    return {**frame, "session_id": str(session_id), "seq": seq}


@transaction.atomic
def session_frame_append(*, session_id: Any, frame: dict[str, Any]) -> dict[str, Any]:
    """Store `frame` as the session's next frame; returns it with `session_id` and `seq`."""
    if not isinstance(frame.get("type"), str):
        raise ValueError("a session frame needs a string 'type'")
    seq = _allocate(session_id)
    payload = _stamp(session_id, seq, frame)
    SessionFrame.objects.create(
        session_id=session_id,
        seq=seq,
        type=frame["type"],
        payload=payload,
        ready_at=timezone.now(),
    )
    return payload


@transaction.atomic
def session_frame_reserve(*, session_id: Any, type: str = "answer.done") -> int:  # noqa: A002
    """Reserve the next number for a frame that is still being produced (a streamed answer)."""
    seq = _allocate(session_id)
    SessionFrame.objects.create(
        session_id=session_id,
        seq=seq,
        type=type,
        state=SessionFrame.State.PENDING,
        payload=_stamp(session_id, seq, {"type": type}),
        owner=current_process_id(),
    )
    return seq


@transaction.atomic
def session_frame_complete(*, session_id: Any, seq: int, frame: dict[str, Any]) -> dict[str, Any]:
    """Fill a reserved number. If a reader already closed it as stale, that version stands."""
    payload = _stamp(session_id, seq, frame)
    updated = SessionFrame.objects.filter(
        session_id=session_id, seq=seq, state=SessionFrame.State.PENDING
    ).update(
        type=frame["type"],
        payload=payload,
        state=SessionFrame.State.READY,
        ready_at=timezone.now(),
    )
    if updated:
        return payload
    return SessionFrame.objects.get(session_id=session_id, seq=seq).payload


def session_last_seq(*, session_id: Any) -> int:
    row = SessionStream.objects.filter(session_id=session_id).values_list("last_seq", flat=True)
    return row.first() or 0


def _close_stale(row: SessionFrame, language: str) -> dict[str, Any] | None:
    with translation.override(language):
        text = gettext("Sorry, that answer was interrupted. Please ask again.")
    frame = {
        "type": "answer.done",
        "text": text,
        "sources": [],
        "actions": [],
        "interrupted": True,
        "in_reply_to": None,
    }
    payload = _stamp(row.session_id, row.seq, frame)
    updated = SessionFrame.objects.filter(pk=row.pk, state=SessionFrame.State.PENDING).update(
        payload=payload, state=SessionFrame.State.READY, ready_at=timezone.now()
    )
    if updated:
        return payload
    row.refresh_from_db()
    return row.payload if row.state == SessionFrame.State.READY else None


def session_frames_after(
    *, session_id: Any, after_seq: int, language: str = "zh-hans", limit: int = REPLAY_BATCH
) -> list[dict[str, Any]]:
    """The ready frames numbered after `after_seq`, in order, up to the first pending one."""
    rows = SessionFrame.objects.filter(session_id=session_id, seq__gt=after_seq).order_by("seq")
    stale_before = timezone.now() - timedelta(seconds=pending_timeout_seconds())
    frames: list[dict[str, Any]] = []
    expected = after_seq + 1
    for row in rows[:limit]:
        if row.seq != expected:
            break  # numbers are allocated without holes; a hole is a writer still committing
        if row.state == SessionFrame.State.PENDING:
            abandoned = row.created_at < stale_before or owner_is_dead(row.owner)
            payload = _close_stale(row, language) if abandoned else None
            if payload is None:
                break
            frames.append(payload)
        else:
            frames.append(row.payload)
        expected += 1
    return frames


def session_frames_recover() -> int:
    """Close the pending answers of dead server processes and forget those processes.

    Run when a process starts and with each of its heartbeats. Each closed answer is also sent
    to the session's sockets (on commit), so a screen already waiting gets it without asking.
    Returns how many answers were closed.
    """
    from devices.push import announce_session_frame

    closed = 0
    for process in dead_processes():
        with transaction.atomic():
            rows = SessionFrame.objects.filter(
                owner=process.pk, state=SessionFrame.State.PENDING
            ).select_related("session")
            for row in rows:
                payload = _close_stale(row, row.session.language)
                if payload is not None and payload.get("interrupted"):
                    announce_session_frame(row.session_id, payload)
                    closed += 1
            # Its sockets went with it: they must not keep their devices looking online.
            DeviceConnection.objects.filter(server=process.server_name).delete()
            ServerProcess.objects.filter(pk=process.pk).delete()
    return closed
