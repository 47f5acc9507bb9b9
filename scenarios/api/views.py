"""Session API: the same dialogue engine every channel uses (websockets come next)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.authentication import DevicePrincipal
from scenarios.api.serializers import (
    EventCreateSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    TurnCreateSerializer,
    TurnResultSerializer,
)
from scenarios.applications import (
    DocumentRejected,
    application_document_upload,
    application_precheck,
)
from scenarios.dialogue import (
    DialogueError,
    TurnResult,
    session_event,
    session_start,
    session_turn,
)
from scenarios.models import DialogueSession


def _caller(request: Request) -> dict[str, object]:
    if isinstance(request.user, DevicePrincipal):
        return {"device": request.user.device, "user": None}
    return {"device": None, "user": request.user}


def visible_sessions(request: Request) -> QuerySet[DialogueSession]:
    """A device or a person sees the sessions they started; staff see all."""
    sessions = DialogueSession.objects.select_related("flow")
    if isinstance(request.user, DevicePrincipal):
        return sessions.filter(device=request.user.device)
    if request.user.is_staff:
        return sessions
    return sessions.filter(Q(user=request.user))


def _result(session_id: object, result: TurnResult) -> dict[str, object]:
    return {
        "session": session_id,
        "reply": result.reply,
        "step": result.step,
        "status": result.status,
        "intent": result.intent,
        "actions": result.actions,
        "sources": result.sources,
    }


class SessionListView(APIView):
    @extend_schema(request=SessionCreateSerializer, responses={201: TurnResultSerializer})
    def post(self, request: Request) -> Response:
        data = SessionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session, result = session_start(**data.validated_data, **_caller(request))
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        body = _result(session.pk, result)
        body["id"] = str(session.pk)
        return Response(body, status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    @extend_schema(responses=SessionSerializer)
    def get(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(
            visible_sessions(request).prefetch_related("turns"), pk=session_id
        )
        return Response(SessionSerializer(session).data)


class TurnListView(APIView):
    @extend_schema(request=TurnCreateSerializer, responses=TurnResultSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        data = TurnCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = session_turn(session_id=session.pk, text=data.validated_data["text"])
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(_result(session.pk, result))


class EventListView(APIView):
    """A UI event from the device or app: a confirmed guide step, a submitted form, a tap.

    `step` is where the client believes the session is; a stale event gets 409 and changes
    nothing.
    """

    @extend_schema(request=EventCreateSerializer, responses=TurnResultSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        data = EventCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            result = session_event(session_id=session.pk, **data.validated_data)
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(_result(session.pk, result))


class DocumentUploadView(APIView):
    """Multipart upload of one application document (`kind` + `file`)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "file": {"type": "string", "format": "binary"},
                },
            }
        },
        responses={201: dict},
    )
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        kind = request.data.get("kind")
        upload = request.FILES.get("file")
        if not kind or upload is None:
            return Response(
                {"detail": "send 'kind' and 'file' as multipart/form-data"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            document = application_document_upload(session=session, kind=kind, upload=upload)
        except DocumentRejected as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        precheck = application_precheck(document.application, session.language)
        return Response(
            {
                "kind": document.kind,
                "content_type": document.content_type,
                "size": document.size,
                "precheck": precheck,
            },
            status=status.HTTP_201_CREATED,
        )
