"""Queue a conversation for scoring when it ends or a person hands it back (domain events)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from scenarios import events


def _enqueue_after_commit(session_id: Any, reason: str) -> None:
    if not getattr(settings, "QUALITY_INSPECT_ON_END", True):
        return
    from scenarios.quality.tasks import inspection_enqueue

    # After commit: the task reads the finished transcript, and a rolled-back end queues nothing.
    transaction.on_commit(lambda: inspection_enqueue(session_id=session_id, reason=reason))


def on_session_ended(event: events.SessionEnded) -> None:
    _enqueue_after_commit(event.session_id, event.status)


def on_handoff_ended(event: events.HandoffEnded) -> None:
    _enqueue_after_commit(event.session_id, "handed back")


def subscribe_to_session_events() -> None:
    events.subscribe(events.SessionEnded, on_session_ended)
    events.subscribe(events.HandoffEnded, on_handoff_ended)
