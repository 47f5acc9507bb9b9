"""What a screen should be playing now: the pull side of `broadcast.play` pushes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.authentication import DevicePrincipal
from devices.broadcasts import broadcasts_for_device


class DeviceBroadcastsView(APIView):
    """A device that (re)connects asks for the playlists on air for its groups."""

    error_statuses = {400}  # a person, not a device, asked

    @extend_schema(
        responses=inline_serializer("Broadcasts", {"playlists": serializers.ListField()})
    )
    def get(self, request: Request) -> Response:
        if not isinstance(request.user, DevicePrincipal):
            return Response(
                {"detail": "only devices have broadcasts", "code": "not_a_device"}, status=400
            )
        return Response({"playlists": broadcasts_for_device(request.user.device)})
