"""The staff assistant's web UI at /staff/: sign-in, chat with streamed answers, feedback.

Answers stream as server-sent events over a POST (read with fetch, not EventSource, so the
question travels in the body with the CSRF token). Under daphne the stream is an async
iterator that pulls the engine's events from Django's sync thread, so each delta reaches the
browser as it is produced.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from functools import wraps
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.handlers.asgi import ASGIRequest
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from bank_ai import json_limits
from bank_ai.ai.engine import AnswerDelta
from staff_assistant.models import QuickFilter
from staff_assistant.selectors import (
    conversation_for_user,
    conversation_messages,
    conversations_for_user,
    user_may_ask,
)
from staff_assistant.services import (
    AssistantError,
    StaffAnswer,
    feedback_submit,
    staff_answer_language,
    staff_answer_stream,
    staff_question_record,
)

LOGIN_URL = reverse_lazy("staff_assistant:login")
logger = logging.getLogger(__name__)


def staff_required(view):  # noqa: ANN001, ANN201 - a view decorator
    """Signed in (else the staff sign-in page) and allowed to ask (else 403)."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not user_may_ask(request.user):
            if request.headers.get("accept", "").startswith("text/html"):
                return render(request, "staff_assistant/forbidden.html", status=403)
            raise PermissionDenied("You are not allowed to use the staff assistant.")
        return view(request, *args, **kwargs)

    return wrapper


class StaffLoginView(auth_views.LoginView):
    template_name = "staff_assistant/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("staff_assistant:chat")


class StaffLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("staff_assistant:login")


@require_GET
@staff_required
def chat(request: HttpRequest, conversation_id: int | None = None) -> HttpResponse:
    conversation = None
    messages: list = []
    if conversation_id is not None:
        conversation = conversation_for_user(request.user, conversation_id)
        if conversation is None:
            raise Http404
        messages = conversation_messages(conversation, request.user)
    return render(
        request,
        "staff_assistant/chat.html",
        {
            "conversation": conversation,
            "chat_messages": messages,
            "conversations": conversations_for_user(request.user),
            "filters": QuickFilter.choices,
            "answer_language": conversation.language if conversation else "auto",
        },
    )


def _payload(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json_limits.loads(request.body or b"{}")
        except json_limits.JSONTooDeep as exc:
            raise AssistantError("bad_json", str(exc)) from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise AssistantError("bad_json", "The request body is not valid JSON.") from exc
        if not isinstance(data, dict):
            raise AssistantError("bad_json", "The request body must be a JSON object.")
        return data
    return request.POST.dict()


def _conversation_id(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise AssistantError("unknown_conversation", "No such conversation.") from exc


def _error(error: AssistantError, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": error.code, "detail": error.message}, status=status)


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def answer_payload(result: StaffAnswer) -> dict[str, Any]:
    answer = result.answer
    return {
        "conversation_id": result.conversation.pk,
        "question_id": result.question.pk,
        "message_id": result.reply.pk,
        "answer": answer.text,
        "kind": answer.kind,
        "language": answer.language,
        "sources": answer.sources,
        "related_questions": answer.related_questions,
        "escalate": answer.escalate,
        "audit_id": answer.audit_id,
    }


def _events(stream: Iterator[Any], started: dict[str, Any]) -> Iterator[bytes]:
    yield _sse("start", started)
    try:
        for event in stream:
            if isinstance(event, AnswerDelta):
                yield _sse("delta", {"text": event.text})
            elif isinstance(event, StaffAnswer):
                yield _sse("done", answer_payload(event))
    except Exception:  # noqa: BLE001 - the browser gets an error event, the log the trace
        logger.exception("staff answer stream failed")
        yield _sse(
            "error",
            {"error": "answer_failed", "detail": "The answer could not be completed."},
        )


async def _async_events(events: Iterator[bytes]) -> AsyncIterator[bytes]:
    sentinel = object()
    pull = sync_to_async(next, thread_sensitive=True)
    while True:
        chunk = await pull(events, sentinel)
        if chunk is sentinel:
            return
        yield chunk


@require_POST
@staff_required
def ask_stream(request: HttpRequest) -> HttpResponse:
    """Record the question, then stream `start`, `delta`…, and `done` (or `error`) events."""
    try:
        data = _payload(request)
        question = data.get("question", "")
        language = staff_answer_language(requested=data.get("language"), question=question)
        conversation, message = staff_question_record(
            user=request.user,
            question=question,
            language=language,
            quick_filter=data.get("filter") or "",
            conversation_id=_conversation_id(data.get("conversation")),
        )
    except AssistantError as error:
        return _error(error, 404 if error.code == "unknown_conversation" else 400)
    stream = staff_answer_stream(
        user=request.user,
        conversation=conversation,
        question=message,
        text=question.strip(),
        language=language,
    )
    started = {"conversation_id": conversation.pk, "question_id": message.pk}
    events = _events(stream, started)
    body = _async_events(events) if isinstance(request, ASGIRequest) else events
    response = StreamingHttpResponse(body, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@require_POST
@staff_required
def feedback(request: HttpRequest, message_id: int) -> JsonResponse:
    try:
        data = _payload(request)
        try:
            rating = int(data.get("rating"))
        except (TypeError, ValueError) as exc:
            raise AssistantError("bad_rating", "The rating must be 1 or -1.") from exc
        result = feedback_submit(
            user=request.user,
            message_id=message_id,
            rating=rating,
            correction=data.get("correction") or "",
        )
    except AssistantError as error:
        return _error(error, 404 if error.code == "unknown_message" else 400)
    return JsonResponse(
        {"id": result.pk, "rating": result.rating, "status": result.status}, status=201
    )
