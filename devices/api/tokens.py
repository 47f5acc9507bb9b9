"""Revoking a device token over REST (operations staff): the token stops working at once and
the sockets it opened close with 4410, on every server process."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from devices.api.authentication import DevicePrincipal
from devices.models import DeviceToken
from devices.services import device_token_revoke

REVOKE_PERMISSION = "devices.change_devicetoken"

RevokedSchema = inline_serializer(
    "RevokedDeviceToken",
    {
        "prefix": serializers.CharField(),
        "device": serializers.CharField(),
        "revoked_at": serializers.DateTimeField(),
    },
)
ErrorSchema = inline_serializer(
    "DeviceTokenError", {"detail": serializers.CharField(), "code": serializers.CharField()}
)


class DeviceTokenRevokeView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: RevokedSchema,
            403: OpenApiResponse(ErrorSchema, description="not allowed to revoke device tokens"),
            404: OpenApiResponse(ErrorSchema, description="no token with this prefix"),
        },
    )
    def post(self, request: Request, prefix: str) -> Response:
        if isinstance(request.user, DevicePrincipal) or not request.user.has_perm(
            REVOKE_PERMISSION
        ):
            return Response(
                {"detail": "you may not revoke device tokens", "code": "forbidden"}, status=403
            )
        token = DeviceToken.objects.select_related("device").filter(prefix=prefix).first()
        if token is None:
            return Response(
                {"detail": f"no device token with prefix {prefix[:20]!r}", "code": "not_found"},
                status=404,
            )
        token = device_token_revoke(token=token)
        return Response(
            {"prefix": token.prefix, "device": token.device.name, "revoked_at": token.revoked_at}
        )
