"""Staff API of outbound campaigns: figures, run a campaign now, record a call's outcome."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from scenarios.agentrouting.api import PERIOD, period
from scenarios.outbound.models import Campaign, ContactAttempt
from scenarios.outbound.selectors import campaign_figures
from scenarios.outbound.services import OutboundError, attempt_outcome_record, campaign_run
from scenarios.principals import is_touchpoint


def _allowed(request: Request, perm: str) -> bool:
    return not is_touchpoint(request.user) and request.user.has_perm(perm)


FORBIDDEN = {"detail": "not allowed"}


class CampaignFiguresView(APIView):
    error_statuses = (400,)

    @extend_schema(
        parameters=[*PERIOD, OpenApiParameter("campaign", str, description="one campaign's code")],
        responses=inline_serializer(
            "CampaignFigures", {"campaigns": serializers.ListField(child=serializers.DictField())}
        ),
        description="Sent, skipped (by reason), reached, interested, converted, opted out.",
    )
    def get(self, request: Request) -> Response:
        if not _allowed(request, "outbound.view_contactattempt"):
            return Response(FORBIDDEN, status=status.HTTP_403_FORBIDDEN)
        bounds = period(request)
        if isinstance(bounds, Response):
            return bounds
        rows = campaign_figures(*bounds, campaign=request.query_params.get("campaign") or None)
        return Response({"campaigns": rows})


class CampaignRunView(APIView):
    error_statuses = (409,)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "CampaignRun",
            {
                "sent": serializers.IntegerField(),
                "queued": serializers.IntegerField(
                    help_text="handed to a channel that delivers later (WeChat's outbox)"
                ),
                "failed": serializers.IntegerField(),
                "skipped": serializers.DictField(),
                "deferred_quiet_hours": serializers.BooleanField(),
                "held_quiet_hours": serializers.IntegerField(
                    help_text="customers this run held back for quiet hours"
                ),
            },
        ),
        description="Run a campaign now; consent, caps, do-not-contact and quiet hours apply.",
    )
    def post(self, request: Request, code: str) -> Response:
        if not _allowed(request, "outbound.change_campaign"):
            return Response(FORBIDDEN, status=status.HTTP_403_FORBIDDEN)
        campaign = get_object_or_404(Campaign, code=code)
        if campaign.status != Campaign.Status.RUNNING:
            return Response(
                {"detail": f"the campaign is {campaign.status}, not running"},
                status=status.HTTP_409_CONFLICT,
            )
        try:
            report = campaign_run(campaign)
        except OutboundError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "sent": report.sent,
                "queued": report.queued,
                "failed": report.failed,
                "skipped": report.skipped,
                "deferred_quiet_hours": report.deferred_quiet_hours,
                "held_quiet_hours": report.held_quiet_hours,
            }
        )


class OutcomeView(APIView):
    @extend_schema(
        request=inline_serializer(
            "OutcomeIn",
            {
                "outcome": serializers.ChoiceField(
                    ["reached", "interested", "converted", "opted_out"]
                ),
                "note": serializers.CharField(required=False),
            },
        ),
        responses=inline_serializer("Outcome", {"outcome": serializers.CharField()}),
        description="Record what came of a contact (an agent's call notes, a branch visit).",
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        if not _allowed(request, "outbound.change_contactattempt"):
            return Response(FORBIDDEN, status=status.HTTP_403_FORBIDDEN)
        get_object_or_404(ContactAttempt, pk=attempt_id)
        if not isinstance(request.data, dict):
            return Response({"detail": "send a JSON object"}, status=status.HTTP_400_BAD_REQUEST)
        try:
            attempt = attempt_outcome_record(
                attempt_id=attempt_id,
                outcome=str(request.data.get("outcome", "")),
                note=str(request.data.get("note", ""))[:200],
            )
        except OutboundError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"outcome": attempt.outcome})


urlpatterns = [
    path("outbound/figures/", CampaignFiguresView.as_view(), name="outbound-figures"),
    path("outbound/campaigns/<slug:code>/run/", CampaignRunView.as_view(), name="outbound-run"),
    path(
        "outbound/attempts/<int:attempt_id>/outcome/",
        OutcomeView.as_view(),
        name="outbound-outcome",
    ),
]
