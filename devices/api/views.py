from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.authentication import DevicePrincipal


class WhoAmIView(APIView):
    """Who the credentials belong to: lets a device or an integrator check its set-up."""

    @extend_schema(
        responses=inline_serializer(
            "WhoAmI",
            {
                "kind": serializers.ChoiceField(choices=["device", "user"]),
                "name": serializers.CharField(),
                "device_kind": serializers.CharField(allow_null=True),
                "branch": serializers.CharField(allow_null=True),
                "groups": serializers.ListField(child=serializers.CharField()),
            },
        )
    )
    def get(self, request: Request) -> Response:
        if isinstance(request.user, DevicePrincipal):
            device = request.user.device
            return Response(
                {
                    "kind": "device",
                    "name": device.name,
                    "device_kind": device.kind,
                    "branch": device.branch.code if device.branch else None,
                    "groups": [],
                }
            )
        return Response(
            {
                "kind": "user",
                "name": request.user.get_username(),
                "device_kind": None,
                "branch": None,
                "groups": sorted(request.user.groups.values_list("name", flat=True)),
            }
        )
