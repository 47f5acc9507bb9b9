"""Staff API of the customer-need mining (session or `Authorization: Token <key>`).

The same clusters and actions as the Wagtail page "Customer needs", for a bank's own tools:
list open clusters, see what the FAQ pages drafted from clusters answered since, turn a
cluster into an unpublished FAQ draft, or dismiss it. Errors: 400 {"error", "detail"} for an
action the cluster's state refuses, 403 without the permission, 404 for an unknown cluster.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from content.needs import selectors, services
from content.needs.models import NeedCluster

VIEW_PERMISSION = "needs.view_needcluster"
CHANGE_PERMISSION = "needs.change_needcluster"
LANGUAGES = ("zh-hans", "en")


class ClusterSerializer(serializers.ModelSerializer):
    page_id = serializers.IntegerField(allow_null=True, read_only=True)
    edit_url = serializers.SerializerMethodField()

    class Meta:
        model = NeedCluster
        fields = [
            "id",
            "language",
            "label",
            "size",
            "distinct_questions",
            "examples",
            "first_asked",
            "last_asked",
            "status",
            "page_id",
            "edit_url",
            "drafted_at",
            "drafted_by",
        ]

    def get_edit_url(self, cluster: NeedCluster) -> str:
        return reverse("wagtailadmin_pages:edit", args=[cluster.page_id]) if cluster.page_id else ""


class ImpactSerializer(serializers.Serializer):
    cluster = ClusterSerializer()
    page_id = serializers.IntegerField(allow_null=True)
    page_title = serializers.CharField()
    live = serializers.BooleanField()
    answered = serializers.IntegerField(help_text="questions answered citing the page since")
    distinct_questions = serializers.IntegerField()


class ErrorSerializer(serializers.Serializer):
    error = serializers.CharField()
    detail = serializers.CharField()


class NeedsPermission(permissions.BasePermission):
    message = "You are not allowed to see or act on customer needs."

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = CHANGE_PERMISSION if request.method == "POST" else VIEW_PERMISSION
        return bool(request.user and request.user.has_perm(needed))


class NeedsView(APIView):
    authentication_classes = [TokenAuthentication, SessionAuthentication]
    permission_classes = [permissions.IsAuthenticated, NeedsPermission]


class ClusterListView(NeedsView):
    error_statuses = (400,)

    @extend_schema(
        parameters=[OpenApiParameter("language", str, enum=LANGUAGES, required=False)],
        responses={200: ClusterSerializer(many=True), 400: ErrorSerializer},
    )
    def get(self, request: Request) -> Response:
        """Open clusters, most asked first (at most 200)."""
        language = request.query_params.get("language", "")
        if language and language not in LANGUAGES:
            return Response(
                {"error": "invalid", "detail": f"language is one of {', '.join(LANGUAGES)}"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        clusters = selectors.open_clusters(language=language)[:200]
        return Response(ClusterSerializer(clusters, many=True).data)


class ImpactView(NeedsView):
    @extend_schema(responses={200: ImpactSerializer(many=True)})
    def get(self, request: Request) -> Response:
        """FAQ pages drafted from clusters, and how many questions each answered since."""
        return Response(ImpactSerializer(selectors.drafted_pages_impact(), many=True).data)


class ClusterDraftView(NeedsView):
    error_statuses = (400, 404)

    @extend_schema(request=None, responses={201: ClusterSerializer, 400: ErrorSerializer})
    def post(self, request: Request, cluster_id: int) -> Response:
        """An unpublished FAQ page with the cluster's questions as variants (`edit_url`)."""
        get_object_or_404(NeedCluster, pk=cluster_id)
        try:
            services.cluster_to_faq_draft(cluster_id=cluster_id, user=request.user)
        except services.NeedsError as exc:
            return Response(
                {"error": "not_allowed_now", "detail": str(exc)},
                status=status.HTTP_400_BAD_REQUEST,
            )
        cluster = NeedCluster.objects.get(pk=cluster_id)
        return Response(ClusterSerializer(cluster).data, status=status.HTTP_201_CREATED)


class ClusterDismissView(NeedsView):
    error_statuses = (404,)

    @extend_schema(request=None, responses={200: ClusterSerializer})
    def post(self, request: Request, cluster_id: int) -> Response:
        get_object_or_404(NeedCluster, pk=cluster_id)
        cluster = services.cluster_dismiss(cluster_id=cluster_id)
        return Response(ClusterSerializer(cluster).data)


urlpatterns = [
    path("knowledge/needs/", ClusterListView.as_view(), name="api-needs-clusters"),
    path("knowledge/needs/impact/", ImpactView.as_view(), name="api-needs-impact"),
    path(
        "knowledge/needs/<int:cluster_id>/draft/",
        ClusterDraftView.as_view(),
        name="api-needs-draft",
    ),
    path(
        "knowledge/needs/<int:cluster_id>/dismiss/",
        ClusterDismissView.as_view(),
        name="api-needs-dismiss",
    ),
]
