"""`Authorization: Device <token>` for kiosks, VTMs, hall screens and the app backend."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from devices.models import Device
from devices.services import DeviceTokenError, device_authenticate


class DevicePrincipal:
    """Stands in for request.user when a device, not a person, calls the API."""

    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False

    def __init__(self, device: Device) -> None:
        self.device = device
        self.pk = None
        self.username = f"device:{device.name}"

    def __str__(self) -> str:
        return self.username

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return False


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
