"""Listeners told about every audited answer (e.g. the knowledge base counting page hits).

Apps register in their AppConfig.ready(). A listener runs after the audit row exists - inside
its own savepoint when the caller has a transaction open, otherwise in autocommit (a listener
writing more than one statement wraps them in its own transaction); its failure is logged and
never reaches the person who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnsweredQuestion:
    audit_id: int
    channel: str
    language: str
    masked_question: str
    answer_kind: str
    # The answer's cited sources: dicts with n, title, url, page_id, revision_id.
    sources: tuple[dict[str, Any], ...] = field(default_factory=tuple)


AnswerListener = Callable[[AnsweredQuestion], None]
_listeners: list[AnswerListener] = []


def register_answer_listener(listener: AnswerListener) -> AnswerListener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def answer_recorded(event: AnsweredQuestion) -> None:
    for listener in list(_listeners):
        try:
            if connection.in_atomic_block:
                # A savepoint: a failing listener must not break the caller's transaction.
                with transaction.atomic():
                    listener(event)
            else:
                # Autocommit: each statement commits on its own and a failed one leaves nothing
                # behind, so a one-statement listener needs no transaction of its own (a
                # BEGIN and a COMMIT on every answer); one that writes more wraps them itself.
                listener(event)
        except Exception:  # noqa: BLE001 - bookkeeping must never break an answer
            logger.exception("answer listener %r failed", listener)
