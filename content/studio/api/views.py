"""The studio's REST API (session or `Authorization: Token <key>`), for staff only.

Errors: 400 {"error": code, "detail": reason} for bad input or a wrong state, 403 without the
permission, 404 for unknown ids.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import (
    Publication,
    PublishTarget,
    RenderBatch,
    RenderItem,
    ScriptTemplate,
    Topic,
    VideoScript,
    WealthManager,
)
from content.studio import publishing, services
from content.studio.api import serializers as s
from content.studio.scripts import ScriptInvalid
from content.studio.selectors import batch_progress, studio_kpis, topic_pool


class HasModelPermission(permissions.BasePermission):
    """The view's `required_permission` for reads, `write_permission` for POSTs."""

    message = "You are not allowed to use the video studio."

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = view.required_permission
        if request.method == "POST":
            needed = getattr(view, "write_permission", needed)
        return bool(request.user and request.user.has_perm(needed))


class StudioView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, HasModelPermission]
    required_permission = "content.view_videoscript"
    write_permission = "content.change_videoscript"


def _refused(exc: Exception) -> Response:
    code = "invalid_script" if isinstance(exc, ScriptInvalid) else "not_allowed_now"
    return Response({"error": code, "detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _unknown_ids(**missing: list[int]) -> Response:
    return Response({"error": "unknown_ids", "detail": missing}, status=status.HTTP_400_BAD_REQUEST)


def _script_payload(script: VideoScript) -> dict[str, Any]:
    script = VideoScript.objects.select_related("template", "approved_version").get(pk=script.pk)
    return s.ScriptSerializer(script).data


class KpiView(StudioView):
    # A date that does not parse (see ProjectAutoSchema's error_statuses).
    error_statuses = (400,)

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO date-time, inclusive"),
            OpenApiParameter("until", str, description="ISO date-time, exclusive"),
        ],
        responses={200: s.KpiSerializer},
        description=studio_kpis.__doc__,
    )
    def get(self, request: Request) -> Response:
        bounds = {}
        for name in ("since", "until"):
            raw = request.query_params.get(name)
            if raw:
                parsed = parse_datetime(raw)
                if parsed is None:
                    return Response(
                        {"error": "bad_date", "detail": f"{name}: {raw!r}"},
                        status=status.HTTP_400_BAD_REQUEST,
                    )
                bounds[name] = parsed
        return Response(studio_kpis(**bounds))


class TopicPoolView(StudioView):
    required_permission = "content.view_topic"

    @extend_schema(
        responses={200: s.TopicSerializer(many=True)},
        parameters=[OpenApiParameter("language", str)],
    )
    def get(self, request: Request) -> Response:
        topics = topic_pool(language=request.query_params.get("language") or None)
        return Response(s.TopicSerializer(topics, many=True).data)


class ScriptListView(StudioView):
    write_permission = "content.add_videoscript"

    @extend_schema(request=s.ScriptCreateSerializer, responses={201: s.ScriptSerializer})
    def post(self, request: Request) -> Response:
        data = s.ScriptCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        topic = None
        if values.get("topic"):
            topic = Topic.objects.filter(pk=values["topic"]).first()
            if topic is None:
                return _unknown_ids(topic=[values["topic"]])
        template = ScriptTemplate.objects.filter(key=values["template"], is_active=True).first()
        if template is None:
            return Response(
                {"error": "unknown_template", "detail": values["template"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            script = services.script_generate(
                topic=topic,
                template=template,
                language=values["language"],
                target_seconds=values["target_seconds"],
                user=request.user,
                title=values["title"],
            )
        except ScriptInvalid as exc:
            return _refused(exc)
        return Response(_script_payload(script), status=status.HTTP_201_CREATED)


class ScriptDetailView(StudioView):
    @extend_schema(responses={200: s.ScriptSerializer})
    def get(self, request: Request, script_id: int) -> Response:
        return Response(_script_payload(get_object_or_404(VideoScript, pk=script_id)))


class ScriptActionView(StudioView):
    """POST-only actions on one script; subclasses name the action."""

    def act(self, request: Request, script: VideoScript) -> None:
        raise NotImplementedError

    def post(self, request: Request, script_id: int) -> Response:
        script = get_object_or_404(VideoScript, pk=script_id)
        try:
            self.act(request, script)
        except (ScriptInvalid, services.StudioError) as exc:
            return _refused(exc)
        except PermissionDenied as exc:
            return Response(
                {"error": "forbidden", "detail": str(exc)}, status=status.HTTP_403_FORBIDDEN
            )
        return Response(_script_payload(script))


class ScriptEditView(ScriptActionView):
    @extend_schema(request=s.ScriptEditSerializer, responses={200: s.ScriptSerializer})
    def post(self, request: Request, script_id: int) -> Response:
        return super().post(request, script_id)

    def act(self, request: Request, script: VideoScript) -> None:
        data = s.ScriptEditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.script_edit(
            script=script,
            scenes=[dict(x) for x in data.validated_data["scenes"]],
            user=request.user,
            title=data.validated_data.get("title"),
        )


class ScriptResizeView(ScriptActionView):
    @extend_schema(request=s.ScriptResizeSerializer, responses={200: s.ScriptSerializer})
    def post(self, request: Request, script_id: int) -> Response:
        return super().post(request, script_id)

    def act(self, request: Request, script: VideoScript) -> None:
        data = s.ScriptResizeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.script_resize(
            script=script, target_seconds=data.validated_data["target_seconds"], user=request.user
        )


class ScriptSubmitView(ScriptActionView):
    @extend_schema(request=s.ReviewSerializer, responses={200: s.ScriptSerializer})
    def post(self, request: Request, script_id: int) -> Response:
        return super().post(request, script_id)

    def act(self, request: Request, script: VideoScript) -> None:
        services.script_submit(
            script=script, user=request.user, comment=str(request.data.get("comment") or "")
        )


class ScriptApproveView(ScriptActionView):
    write_permission = services.REVIEW_PERMISSION

    @extend_schema(request=s.ReviewSerializer, responses={200: s.ScriptSerializer})
    def post(self, request: Request, script_id: int) -> Response:
        return super().post(request, script_id)

    def act(self, request: Request, script: VideoScript) -> None:
        services.script_approve(
            script=script, user=request.user, comment=str(request.data.get("comment") or "")
        )


class ScriptSendBackView(ScriptActionView):
    write_permission = services.REVIEW_PERMISSION

    @extend_schema(request=s.ReviewSerializer, responses={200: s.ScriptSerializer})
    def post(self, request: Request, script_id: int) -> Response:
        return super().post(request, script_id)

    def act(self, request: Request, script: VideoScript) -> None:
        services.script_send_back(
            script=script, user=request.user, comment=str(request.data.get("comment") or "")
        )


class RenderBatchListView(StudioView):
    required_permission = "content.view_renderbatch"
    write_permission = "content.add_renderbatch"

    @extend_schema(request=s.RenderBatchCreateSerializer, responses={201: None})
    def post(self, request: Request) -> Response:
        data = s.RenderBatchCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        scripts = list(VideoScript.objects.filter(pk__in=values["scripts"]))
        managers = list(WealthManager.objects.filter(pk__in=values["managers"], is_active=True))
        missing = set(values["scripts"]) - {x.pk for x in scripts}
        missing_managers = set(values["managers"]) - {m.pk for m in managers}
        if missing or missing_managers:
            return Response(
                {
                    "error": "unknown_ids",
                    "detail": {"scripts": sorted(missing), "managers": sorted(missing_managers)},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            batch = services.render_batch_create(
                scripts=scripts, managers=managers, user=request.user, name=values["name"]
            )
        except services.StudioError as exc:
            return _refused(exc)
        return Response(_batch_payload(batch), status=status.HTTP_201_CREATED)


def _batch_payload(batch: RenderBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "name": batch.name,
        "kind": batch.kind,
        **batch_progress(batch),
        "videos": s.RenderItemSerializer(batch.items.order_by("pk"), many=True).data,
    }


class RenderBatchDetailView(StudioView):
    required_permission = "content.view_renderbatch"

    @extend_schema(responses={200: None})
    def get(self, request: Request, batch_id: int) -> Response:
        return Response(_batch_payload(get_object_or_404(RenderBatch, pk=batch_id)))


class PublicationListView(StudioView):
    required_permission = "content.view_publication"
    write_permission = "content.add_publication"

    @extend_schema(request=s.PublicationCreateSerializer, responses={202: s.PublicationSerializer})
    def post(self, request: Request) -> Response:
        data = s.PublicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = RenderItem.objects.filter(pk=data.validated_data["item"]).first()
        target = PublishTarget.objects.filter(pk=data.validated_data["target"]).first()
        if item is None or target is None:
            # An id in the body that names nothing is a bad request, not a missing resource.
            return _unknown_ids(
                item=[] if item else [data.validated_data["item"]],
                target=[] if target else [data.validated_data["target"]],
            )
        try:
            publication = publishing.publication_create(item=item, target=target, user=request.user)
        except (services.StudioError, publishing.PublishError) as exc:
            return _refused(exc)
        return Response(s.PublicationSerializer(publication).data, status=status.HTTP_202_ACCEPTED)


class PublicationDetailView(StudioView):
    required_permission = "content.view_publication"

    @extend_schema(responses={200: s.PublicationSerializer})
    def get(self, request: Request, publication_id: int) -> Response:
        publication = get_object_or_404(Publication, pk=publication_id)
        return Response(s.PublicationSerializer(publication).data)
