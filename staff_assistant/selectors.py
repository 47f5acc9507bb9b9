"""Reads for the staff assistant: an employee's conversations and the editors' queue."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from staff_assistant.models import Conversation, Feedback, Message

ASK_PERMISSION = "content.ask_staff_assistant"


def user_may_ask(user: Any) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and getattr(user, "pk", None)
        and user.has_perm(ASK_PERMISSION)
    )


def conversations_for_user(user: Any, *, limit: int | None = 30) -> QuerySet[Conversation]:
    conversations = (
        Conversation.objects.filter(user=user)
        .annotate(message_count=Count("messages"))
        .order_by("-updated_at")
    )
    return conversations[:limit] if limit else conversations


def conversation_for_user(user: Any, conversation_id: int) -> Conversation | None:
    return Conversation.objects.filter(pk=conversation_id, user=user).first()


def conversation_messages(conversation: Conversation, user: Any) -> list[Message]:
    """The conversation in order, each answer carrying this employee's feedback (if any)."""
    # One feedback per employee and answer (a unique constraint), so a dict by answer is exact.
    mine = {
        feedback.message_id: feedback
        for feedback in Feedback.objects.filter(user=user, message__conversation=conversation)
    }
    messages = list(conversation.messages.order_by("created_at", "id"))
    for message in messages:
        message.my_feedback = mine.get(message.pk)
    return messages


def feedback_queue(*, status: str = Feedback.Status.OPEN) -> QuerySet[Feedback]:
    """Feedback for the editors, oldest first so nothing waits forever."""
    return (
        Feedback.objects.filter(status=status)
        .select_related("message__conversation", "user", "resolved_by")
        .order_by("created_at" if status == Feedback.Status.OPEN else "-resolved_at")
    )


def feedback_question(feedback: Feedback) -> Message | None:
    """The employee's question the answer under review replied to."""
    return (
        Message.objects.filter(
            conversation_id=feedback.message.conversation_id,
            role=Message.Role.USER,
            pk__lt=feedback.message_id,
        )
        .order_by("-id")
        .first()
    )


def matcher_correction_pairs() -> list[Any]:
    """Employees' verdicts on curated answers as labelled question pairs for the AI core's
    question matcher: a thumbs down says the question did not ask what the matched FAQ
    answers (a negative with each of the FAQ's questions), a thumbs up that it did."""
    from bank_ai.ai.matcher_training import LabelledPair
    from bank_ai.ai.models import CuratedQuestion

    pairs: list[Any] = []
    verdicts = Feedback.objects.filter(message__kind="curated").select_related(
        "message__conversation"
    )
    for feedback in verdicts:
        question = feedback_question(feedback)
        page_ids = [s.get("page_id") for s in feedback.message.sources if s.get("page_id")]
        if question is None or not page_ids or not question.text.strip():
            continue
        language = feedback.message.conversation.language
        label = 1 if feedback.rating == Feedback.Rating.UP else 0
        faq_questions = CuratedQuestion.objects.filter(
            page_id=page_ids[0], language=language
        ).values_list("question", flat=True)
        pairs.extend(
            LabelledPair(question.text, faq, label, language, "correction", str(page_ids[0]))
            for faq in faq_questions
        )
    return pairs
