"""Staff API of routing: queue figures for the dashboard, and an agent's own presence."""

from __future__ import annotations

from datetime import date

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.agentrouting.selectors import agent_presence, queue_figures
from scenarios.agentrouting.services import RoutingError, agent_presence_set
from scenarios.principals import is_touchpoint
from scenarios.takeover import can_take_over

MAX_DAYS = 366


def period(request: Request) -> tuple[date, date] | Response:
    """`from`/`to` (ISO dates, default today) or a 400 response saying what is wrong."""
    today = timezone.localdate()
    try:
        start = date.fromisoformat(request.query_params.get("from") or today.isoformat())
        end = date.fromisoformat(request.query_params.get("to") or today.isoformat())
    except ValueError:
        return Response(
            {"detail": "'from' and 'to' are dates like 2026-12-04"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if end < start or (end - start).days > MAX_DAYS:
        return Response(
            {"detail": f"'to' is on or after 'from', at most {MAX_DAYS} days later"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return start, end


PERIOD = [
    OpenApiParameter("from", str, description="first day (ISO date), default today"),
    OpenApiParameter("to", str, description="last day (ISO date, inclusive), default today"),
]


class QueueFiguresView(APIView):
    error_statuses = (400,)

    @extend_schema(
        parameters=[*PERIOD, OpenApiParameter("queue", str, description="one queue's code")],
        responses=inline_serializer(
            "QueueFigures", {"queues": serializers.ListField(child=serializers.DictField())}
        ),
        description="Waiting, answered, abandoned, overflow and time to answer per routing queue.",
    )
    def get(self, request: Request) -> Response:
        if is_touchpoint(request.user) or not request.user.has_perm(
            "agentrouting.view_routingevent"
        ):
            return Response({"detail": "not allowed"}, status=status.HTTP_403_FORBIDDEN)
        bounds = period(request)
        if isinstance(bounds, Response):
            return bounds
        figures = queue_figures(*bounds, queue=request.query_params.get("queue") or None)
        return Response({"queues": figures})


class PresenceView(APIView):
    @extend_schema(
        request=inline_serializer(
            "PresenceIn",
            {
                "presence": serializers.ChoiceField(["online", "away", "offline"]),
                "capacity": serializers.IntegerField(required=False, min_value=0, max_value=20),
            },
        ),
        responses=inline_serializer(
            "Presence",
            {
                "presence": serializers.CharField(),
                "capacity": serializers.IntegerField(),
                "queues": serializers.ListField(child=serializers.CharField()),
            },
        ),
        description="The signed-in agent sets their presence (online agents receive sessions).",
    )
    def post(self, request: Request) -> Response:
        if is_touchpoint(request.user) or not can_take_over(request.user):
            return Response({"detail": "remote agents only"}, status=status.HTTP_403_FORBIDDEN)
        if not isinstance(request.data, dict):
            return Response({"detail": "send a JSON object"}, status=400)
        capacity = request.data.get("capacity")
        if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int)):
            return Response({"detail": "'capacity' is a whole number"}, status=400)
        try:
            agent_presence_set(
                user=request.user, presence=str(request.data.get("presence", "")), capacity=capacity
            )
        except RoutingError as exc:
            return Response({"detail": str(exc), "code": exc.code}, status=400)
        return Response(agent_presence(request.user))

    @extend_schema(
        responses=inline_serializer("PresenceNow", {"presence": serializers.CharField()})
    )
    def get(self, request: Request) -> Response:
        if is_touchpoint(request.user) or not can_take_over(request.user):
            return Response({"detail": "remote agents only"}, status=status.HTTP_403_FORBIDDEN)
        return Response(agent_presence(request.user))


urlpatterns = [
    path("contact/queue-figures/", QueueFiguresView.as_view(), name="contact-queue-figures"),
    path("contact/presence/", PresenceView.as_view(), name="contact-presence"),
]
