"""Session API: a channel adapter (scenarios.api.adapter) over the shared `converse`."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.api.adapter import SessionApiAdapter
from scenarios.api.serializers import (
    EventCreateSerializer,
    RatingSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    TurnCreateSerializer,
    TurnResultSerializer,
)
from scenarios.applications import (
    DocumentRejected,
    application_document_upload,
    application_precheck,
    application_state,
)
from scenarios.conversation import Inbound, adapter_for, converse
from scenarios.dialogue import DialogueError
from scenarios.models import ApplicationDocument, CardApplication, DialogueSession
from scenarios.periods import parse_date
from scenarios.principals import is_touchpoint, touchpoint_device
from scenarios.services import RatingError, session_rate


def _adapter() -> SessionApiAdapter:
    """The session API's adapter as registered (scenarios.apps), looked up per request."""
    return cast(SessionApiAdapter, adapter_for(SessionApiAdapter.channel))


def visible_sessions(request: Request) -> QuerySet[DialogueSession]:
    """A device or a person sees the sessions they started; staff see all."""
    sessions = DialogueSession.objects.select_related("flow")
    device = touchpoint_device(request.user)
    if device is not None:
        return sessions.filter(device=device)
    if request.user.is_staff:
        return sessions
    return sessions.filter(Q(user=request.user))


class SessionListView(APIView):
    @extend_schema(request=SessionCreateSerializer, responses={201: TurnResultSerializer})
    def post(self, request: Request) -> Response:
        api = _adapter()
        try:
            inbound = api.inbound(request, api.authenticate(request))
        except PermissionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        except LookupError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        try:
            session, result = converse(inbound)
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        assert session is not None  # noqa: S101 - a start always returns its session
        return Response(api.outbound(inbound, session.pk, result), status=status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    @extend_schema(responses=SessionSerializer)
    def get(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(
            visible_sessions(request).prefetch_related("turns"), pk=session_id
        )
        return Response(SessionSerializer(session).data)


class TurnListView(APIView):
    error_statuses = {409}  # the session's state refuses the turn (ended, taken over)

    @extend_schema(request=TurnCreateSerializer, responses=TurnResultSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        api = _adapter()
        inbound = api.inbound(request, api.authenticate(request))
        try:
            _started, result = converse(
                replace(inbound, session_id=session.pk, channel=session.channel)
            )
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(api.outbound(inbound, session.pk, result))


class EventListView(APIView):
    """A UI event from the device or app: a confirmed guide step, a submitted form, a tap.

    `step` is where the client believes the session is; a stale event gets 409 and changes
    nothing.
    """

    error_statuses = {409}  # a stale step

    @extend_schema(request=EventCreateSerializer, responses=TurnResultSerializer)
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        api = _adapter()
        inbound = api.inbound(request, api.authenticate(request))
        try:
            _started, result = converse(
                replace(inbound, session_id=session.pk, channel=session.channel)
            )
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(api.outbound(inbound, session.pk, result))


class DocumentUploadView(APIView):
    """Multipart upload of one application document (`kind`, `file`, optional `valid_until`).

    When the upload completes the pre-check while the session waits on its documents step, the
    conversation moves on at once; the reply is in `turn`. With `advance=false` the upload is
    only stored and pre-checked: a client on the avatar socket then sends the `ui.event`
    `documents_uploaded` itself, so the answer is sequenced (and replayed) on its socket.
    """

    parser_classes = [MultiPartParser]
    error_statuses = {409}  # the session is not collecting documents

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string"},
                    "file": {"type": "string", "format": "binary"},
                    "valid_until": {"type": "string", "format": "date"},
                    "advance": {"type": "boolean", "default": True},
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
        valid_until = None
        if request.data.get("valid_until"):
            valid_until = parse_date(str(request.data["valid_until"]))
            if valid_until is None:
                return Response(
                    {"detail": "valid_until must be a date like 2031-05-01"},
                    status=status.HTTP_400_BAD_REQUEST,
                )
        try:
            document = application_document_upload(
                session=session, kind=kind, upload=upload, valid_until=valid_until
            )
        except DocumentRejected as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        except DialogueError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        precheck = application_precheck(document.application, session.language)
        body: dict[str, object] = {
            "kind": document.kind,
            "content_type": document.content_type,
            "size": document.size,
            "valid_until": document.valid_until,
            "precheck": precheck,
            "turn": None,
        }
        session.refresh_from_db()
        step = session.flow.steps.filter(code=session.current_step).first()
        advance = str(request.data.get("advance", "true")).lower() not in {"false", "0", "no"}
        if (
            advance
            and precheck["complete"]
            and session.status == DialogueSession.Status.ACTIVE
            and step is not None
            and step.behaviour == "application_documents"
        ):
            inbound = Inbound(
                session.channel, session_id=session.pk, event="documents_uploaded", step=step.code
            )
            _started, result = converse(inbound)
            body["turn"] = _adapter().outbound(inbound, session.pk, result)
        return Response(body, status=status.HTTP_201_CREATED)


class RatingView(APIView):
    """The customer's satisfaction with a session (1–5), once; allowed after it ended."""

    error_statuses = {409}  # rated already

    @extend_schema(request=RatingSerializer, responses={201: dict})
    def post(self, request: Request, session_id: str) -> Response:
        session = get_object_or_404(visible_sessions(request), pk=session_id)
        data = RatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            session_rate(session=session, **data.validated_data)
        except RatingError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"score": data.validated_data["score"]}, status=status.HTTP_201_CREATED)


class ApplicationDetailView(APIView):
    """A card application with its documents, decisions, status history and timeline."""

    @extend_schema(responses=dict)
    def get(self, request: Request, application_id: str) -> Response:
        application = get_object_or_404(
            CardApplication.objects.select_related("card", "session"),
            pk=application_id,
            session__in=visible_sessions(request),
        )
        return Response(application_state(application, application.session.language))


class ApplicationDocumentDownloadView(APIView):
    """A stored application document, for bank staff allowed to view them; never for devices.

    Documents live in private storage; this is the only way to read one, and every read needs
    the `scenarios.view_applicationdocument` permission.
    """

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    def get(self, request: Request, name: str) -> FileResponse | Response:
        user = request.user
        if is_touchpoint(user) or not user.has_perm("scenarios.view_applicationdocument"):
            return Response(
                {"detail": "viewing application documents needs the document permission"},
                status=status.HTTP_403_FORBIDDEN,
            )
        document = get_object_or_404(ApplicationDocument, file=name)
        return FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=f"{document.kind}{_EXTENSIONS.get(document.content_type, '')}",
            content_type=document.content_type,
        )


_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
