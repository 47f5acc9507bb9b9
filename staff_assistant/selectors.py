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
