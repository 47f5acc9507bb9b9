"""Quality API (/api/quality/): scores, one conversation's findings, reviews, agent scorecards.

Supervisors, operations and compliance (`quality.view_inspection`) read every score; anyone
else reads only the conversations they handled as an agent, and may appeal those scores. An
override or confirmation needs `quality.review_inspection`; scorecards need the view permission.
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.quality import selectors, services
from scenarios.quality.api.serializers import (
    InspectionDetailSerializer,
    InspectionSerializer,
    ReviewRequestSerializer,
    ScorecardSerializer,
    ScoreReviewSerializer,
)
from scenarios.quality.models import Inspection


def _since(request: Request) -> datetime | None:
    value = request.query_params.get("since")
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"since": "a date as YYYY-MM-DD"}) from None
    return timezone.make_aware(datetime.combine(day, time.min))


class MayViewInspections(permissions.BasePermission):
    message = "viewing quality scores needs the quality.view_inspection permission"

    def has_permission(self, request: Request, view: object) -> bool:
        return bool(request.user and request.user.has_perm("quality.view_inspection"))


def _visible(request: Request, inspections: QuerySet[Inspection]) -> QuerySet[Inspection]:
    if request.user.has_perm("quality.view_inspection"):
        return inspections
    return inspections.filter(agent_id=request.user.pk)


class InspectionListView(generics.ListAPIView):
    """The review queue, lowest scores first (an agent sees their own conversations)."""

    serializer_class = InspectionSerializer
    permission_classes = [permissions.IsAuthenticated]
    error_statuses = (400,)  # a bad agent id or date

    @extend_schema(
        parameters=[
            OpenApiParameter("agent", int, description="user id of the agent"),
            OpenApiParameter("scenario", str),
            OpenApiParameter("since", str, description="YYYY-MM-DD"),
            OpenApiParameter("failed_only", bool),
        ]
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # noqa: ANN201 - a QuerySet of Inspection
        params = self.request.query_params
        agent = params.get("agent")
        if agent is not None and not agent.isdigit():
            raise ValidationError({"agent": "a user id"})
        since = _since(self.request)
        queue = selectors.review_queue(
            agent_id=int(agent) if agent else None,
            scenario=params.get("scenario", ""),
            since=since,
            failed_only=params.get("failed_only") in {"1", "true"},
        )
        return _visible(self.request, queue)[:500]


class InspectionDetailView(generics.RetrieveAPIView):
    serializer_class = InspectionDetailSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):  # noqa: ANN201 - a QuerySet of Inspection
        inspections = Inspection.objects.select_related("agent").prefetch_related(
            "findings", "reviews"
        )
        return _visible(self.request, inspections)


class InspectionReviewView(APIView):
    """Override, confirm or appeal a score, with a reason; appended to the audit trail."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=ReviewRequestSerializer, responses={201: ScoreReviewSerializer})
    def post(self, request: Request, pk: int) -> Response:
        inspection = get_object_or_404(_visible(request, Inspection.objects.all()), pk=pk)
        serializer = ReviewRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            if data["action"] == "appeal":
                review = services.score_appeal(
                    inspection_id=inspection.pk, actor=request.user, reason=data["reason"]
                )
            else:
                review = services.score_override(
                    inspection_id=inspection.pk,
                    actor=request.user,
                    reason=data["reason"],
                    score=data.get("score") if data["action"] == "override" else None,
                )
        except services.ReviewError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(ScoreReviewSerializer(review).data, status=status.HTTP_201_CREATED)


class ScorecardListView(APIView):
    permission_classes = [permissions.IsAuthenticated, MayViewInspections]
    error_statuses = (400,)  # a bad date

    @extend_schema(
        parameters=[OpenApiParameter("since", str, description="YYYY-MM-DD")],
        responses=ScorecardSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        cards = selectors.scorecards(since=_since(request))
        return Response(ScorecardSerializer(cards, many=True).data)
