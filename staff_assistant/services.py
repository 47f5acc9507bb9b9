"""Asking the staff assistant, recording the conversation, and the feedback editors review.

Answers come from the AI core (engine.stream_answer), scoped to what the employee may read:
public and internal pages, plus the restricted collections django-guardian grants their groups.
The engine audits every answer (who, masked question, sources, guard decisions).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from bank_ai.ai.engine import Answer, AnswerDelta, AskContext, stream_answer
from bank_ai.ai.masking import mask_pii
from bank_ai.i18n import normalise_language
from content.selectors import knowledge_scope_for_user
from staff_assistant.models import Conversation, Feedback, Message, QuickFilter

MAX_QUESTION_CHARS = 2000
MAX_CORRECTION_CHARS = 4000
HISTORY_MESSAGES = 6
# Which knowledge page types each quick filter answers from.
FILTER_TYPES: dict[str, tuple[str, ...]] = {
    QuickFilter.PRODUCTS: ("product",),
    QuickFilter.PROCESSES: ("guide",),
    QuickFilter.CAMPAIGNS: ("campaign",),
    QuickFilter.REGULATIONS: ("regulation",),
}
CHANNEL = "staff"


class AssistantError(Exception):
    """A request the assistant refuses, with a stable code for the API and the UI."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class StaffAnswer:
    conversation: Conversation
    question: Message
    reply: Message
    answer: Answer


def _clean_question(question: Any) -> str:
    text = (question if isinstance(question, str) else "").strip()
    if not text:
        raise AssistantError("empty_question", "The question is empty.")
    if len(text) > MAX_QUESTION_CHARS:
        raise AssistantError(
            "question_too_long", f"A question is limited to {MAX_QUESTION_CHARS} characters."
        )
    return text


def staff_answer_language(*, requested: Any, question: Any) -> str:
    """The language the employee chose, or (none, or "auto") the question's own language.

    The web UI and the API share this, so an English question is answered in English
    wherever it is asked unless another language is asked for.
    """
    if requested in ("zh-hans", "en"):
        return requested
    from bank_ai.ai.text import detect_language

    return detect_language(question if isinstance(question, str) else "")


def _clean_filter(quick_filter: Any) -> str:
    value = quick_filter or ""
    if value and value not in FILTER_TYPES:
        raise AssistantError(
            "unknown_filter",
            f"Unknown quick filter {value!r}; use one of {', '.join(FILTER_TYPES)}.",
        )
    return value


@transaction.atomic
def staff_question_record(
    *,
    user: Any,
    question: str,
    language: str,
    quick_filter: str = "",
    conversation_id: int | None = None,
) -> tuple[Conversation, Message]:
    """Store the employee's (masked) question, in a new or one of their own conversations."""
    text = _clean_question(question)
    quick_filter = _clean_filter(quick_filter)
    language = normalise_language(language)
    masked = mask_pii(text).text
    if conversation_id is not None:
        conversation = (
            Conversation.objects.select_for_update().filter(pk=conversation_id, user=user).first()
        )
        if conversation is None:
            raise AssistantError("unknown_conversation", "No such conversation.")
    else:
        conversation = Conversation.objects.create(user=user, title=masked[:200], language=language)
    message = Message.objects.create(
        conversation=conversation,
        role=Message.Role.USER,
        text=masked,
        quick_filter=quick_filter,
    )
    conversation.updated_at = message.created_at
    conversation.save(update_fields=["updated_at"])
    return conversation, message


def _context(user: Any, conversation: Conversation, question: Message, language: str) -> AskContext:
    scope = knowledge_scope_for_user(user)
    earlier = list(
        conversation.messages.exclude(pk=question.pk)
        .filter(created_at__lte=question.created_at)
        .order_by("-created_at", "-id")
        .values_list("role", "text")[:HISTORY_MESSAGES]
    )
    return AskContext(
        language=language,
        # Already the employee's choice, or the question's own language when none was chosen.
        language_is_chosen=True,
        channel=CHANNEL,
        audiences=scope.audiences,
        extra_collections=scope.extra_collections,
        user=user,
        session_ref=f"staff-{conversation.pk}",
        history=tuple(reversed(earlier)),
        page_types=FILTER_TYPES.get(question.quick_filter) or None,
    )


@transaction.atomic
def staff_answer_record(*, conversation: Conversation, answer: Answer) -> Message:
    reply = Message.objects.create(
        conversation=conversation,
        role=Message.Role.ASSISTANT,
        text=answer.text,
        kind=answer.kind,
        sources=answer.sources,
        related_questions=answer.related_questions,
        audit_id=answer.audit_id,
    )
    Conversation.objects.filter(pk=conversation.pk).update(updated_at=reply.created_at)
    return reply


def staff_answer_stream(
    *, user: Any, conversation: Conversation, question: Message, text: str, language: str
) -> Iterator[AnswerDelta | StaffAnswer]:
    """Stream the answer to a recorded question; the last event is the stored StaffAnswer.

    `text` is the question as typed: the engine masks it before anything leaves the process.
    """
    context = _context(user, conversation, question, normalise_language(language))
    for event in stream_answer(_clean_question(text), context):
        if isinstance(event, Answer):
            reply = staff_answer_record(conversation=conversation, answer=event)
            yield StaffAnswer(conversation, question, reply, event)
        else:
            yield event


def staff_ask(
    *,
    user: Any,
    question: str,
    language: str,
    quick_filter: str = "",
    conversation_id: int | None = None,
) -> StaffAnswer:
    """Ask and wait for the whole answer (the REST API)."""
    conversation, message = staff_question_record(
        user=user,
        question=question,
        language=language,
        quick_filter=quick_filter,
        conversation_id=conversation_id,
    )
    result = None
    for event in staff_answer_stream(
        user=user, conversation=conversation, question=message, text=question, language=language
    ):
        if isinstance(event, StaffAnswer):
            result = event
    assert result is not None
    return result


@transaction.atomic
def feedback_submit(*, user: Any, message_id: int, rating: int, correction: str = "") -> Feedback:
    """Thumbs up or down on one of the employee's own answers, with an optional correction.

    A thumbs down or any correction waits in the editors' queue in the CMS; a plain thumbs up
    is only noted. Sending feedback again on the same answer replaces the earlier one.
    """
    if rating not in (Feedback.Rating.UP, Feedback.Rating.DOWN):
        raise AssistantError("bad_rating", "The rating must be 1 (helpful) or -1 (not helpful).")
    correction = (correction if isinstance(correction, str) else "").strip()
    if len(correction) > MAX_CORRECTION_CHARS:
        raise AssistantError(
            "correction_too_long", f"A correction is limited to {MAX_CORRECTION_CHARS} characters."
        )
    message = (
        Message.objects.filter(pk=message_id, role=Message.Role.ASSISTANT, conversation__user=user)
        .select_related("conversation")
        .first()
    )
    if message is None:
        raise AssistantError("unknown_message", "No such answer in your conversations.")
    needs_review = rating == Feedback.Rating.DOWN or bool(correction)
    feedback, _created = Feedback.objects.update_or_create(
        message=message,
        user=user,
        defaults={
            "rating": rating,
            "correction": mask_pii(correction).text if correction else "",
            "status": Feedback.Status.OPEN if needs_review else Feedback.Status.NOTED,
            "editor_note": "",
            "resolved_by": None,
            "resolved_at": None,
            "created_at": timezone.now(),
        },
    )
    return feedback


@transaction.atomic
def feedback_resolve(*, feedback_id: int, editor: Any, status: str, note: str = "") -> Feedback:
    """An editor closes a queued item: resolved (the knowledge was fixed) or dismissed."""
    if status not in (Feedback.Status.RESOLVED, Feedback.Status.DISMISSED):
        raise AssistantError("bad_status", "Resolve or dismiss the feedback.")
    feedback = Feedback.objects.select_for_update().filter(pk=feedback_id).first()
    if feedback is None:
        raise AssistantError("unknown_feedback", "No such feedback.")
    if feedback.status != Feedback.Status.OPEN:
        raise AssistantError("not_open", "This feedback is not waiting for an editor.")
    feedback.status = status
    feedback.editor_note = (note or "").strip()[:2000]
    feedback.resolved_by = editor
    feedback.resolved_at = timezone.now()
    feedback.save(update_fields=["status", "editor_note", "resolved_by", "resolved_at"])
    return feedback
