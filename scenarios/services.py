"""Scenario actions that are not a dialogue turn."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from scenarios.dialogue import record_funnel
from scenarios.models import DialogueSession

MAX_COMMENT_CHARS = 500


class RatingError(ValueError):
    """A rating out of range or a second rating of the same session."""


@transaction.atomic
def session_rate(*, session: DialogueSession, score: int, comment: str = "") -> None:
    """The customer's satisfaction (1–5) with a session, once, finished or not.

    Stored as a `rated` funnel event so the satisfaction KPI comes from the same table as the
    others; the comment is masked like every customer text.
    """
    from bank_ai.ai.masking import mask_pii

    if not 1 <= score <= 5:
        raise RatingError("the score is 1 to 5")
    session = DialogueSession.objects.select_for_update().get(pk=session.pk)
    if session.funnel_events.filter(outcome="rated").exists():
        raise RatingError("this session has been rated already")
    record_funnel(
        session,
        session.current_step,
        "rated",
        {"score": score, "comment": mask_pii(comment[:MAX_COMMENT_CHARS]).text},
    )


@transaction.atomic
def session_presence(*, session_id: Any, recognised: bool, confidence: float | None = None) -> None:
    """A device reported the person in front of it (the avatar protocol's `presence` frame):
    stored as a `presence` funnel event of the session, for the person-recognition KPI. Only
    whether the device recognised the person is kept, never who."""
    session = DialogueSession.objects.select_related("flow").get(pk=session_id)
    detail: dict[str, object] = {"recognised": bool(recognised)}
    if confidence is not None:
        detail["confidence"] = round(float(confidence), 3)
    record_funnel(session, session.current_step, "presence", detail)
