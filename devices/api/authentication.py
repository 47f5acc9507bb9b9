"""`Authorization: Device <token>` for kiosks, VTMs, hall screens and the app backend."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from devices.models import Device
from devices.services import DeviceTokenError, device_authenticate
from scenarios.principals import TouchpointPrincipal


class DevicePrincipal(TouchpointPrincipal):
    """Stands in for request.user when a device, not a person, calls the API.

    A `TouchpointPrincipal`, so the domain's APIs tell it from a person without importing us.
    """

    device: Device

    def __init__(self, device: Device) -> None:
        super().__init__(device)
        self.username = f"device:{device.name}"

    def __str__(self) -> str:
        return self.username


class DeviceTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Device"

    def authenticate(self, request: Request) -> tuple[DevicePrincipal, Device] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid Device header: expected one token."))
        try:
            device = device_authenticate(token=header[1].decode("ascii", errors="replace"))
        except DeviceTokenError as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        request.device = device
        return DevicePrincipal(device), device

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class DeviceTokenScheme(OpenApiAuthenticationExtension):
    target_class = DeviceTokenAuthentication
    name = "deviceToken"

    def get_security_definition(self, auto_schema):  # noqa: ANN001, ANN201 - drf-spectacular API
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Device <token>` from `manage.py issue_device_token <device-name>`",
        }
