"""Websocket handshake checks: browser Origin and device tokens, before any consumer runs."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from channels.auth import AuthMiddlewareStack
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import split_domain_port, validate_host

from devices.consumers import AvatarConsumer, bookkeeping
from devices.models import Device
from devices.services import (
    DeviceTokenError,
    device_token_authenticate,
    pairing_ticket_check,
)

Scope = dict[str, Any]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def origin_allowed(origin: str) -> bool:
    if origin in settings.WEBSOCKET_ALLOWED_ORIGINS:
        return True
    parsed = urlparse(origin)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        return False
    host, _port = split_domain_port(parsed.netloc)
    # '*' switches off Host validation for HTTP; it must not also admit every web page on the
    # internet to the avatar socket (cross-site websocket hijacking). Only named hosts count.
    named_hosts = [pattern for pattern in settings.ALLOWED_HOSTS if pattern != "*"]
    return validate_host(host, named_hosts)


class OriginCheckMiddleware:
    """Refuse a browser connecting from a foreign page (cross-site websocket hijacking).

    Devices are not browsers and send no Origin; they must then present a device token.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket":
            origin = _header(scope, b"origin")
            if origin is not None and not origin_allowed(origin):
                await send({"type": "websocket.close", "code": 4403})
                return None
        return await self.inner(scope, receive, send)


def _query(scope: Scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"))


def presented_token(scope: Scope) -> str | None:
    query = _query(scope)
    if query.get("token"):
        return query["token"][0]
    authorization = _header(scope, b"authorization")
    if authorization and authorization.lower().startswith("device "):
        return authorization.split(" ", 1)[1].strip()
    return None


def presented_pairing(scope: Scope) -> str | None:
    """A pairing ticket from a device's demo console page (see devices.views)."""
    query = _query(scope)
    return query["pair"][0] if query.get("pair") else None


def _device_for(token: str | None, ticket: str | None) -> tuple[Device | None, int | None]:
    """The device a credential stands for and, for a token, which token (to close on revoke)."""
    try:
        if token:
            record = device_token_authenticate(token=token)
            return record.device, record.pk
        return pairing_ticket_check(ticket=ticket or ""), None
    except DeviceTokenError:
        return None, None


class DeviceTokenMiddleware:
    """Sets scope["device"] (or None), scope["device_token_id"] and scope["device_token_rejected"].

    A device token or a pairing ticket makes the socket a device; presenting either and
    failing is a rejection even if the browser also carries a logged-in user's cookie.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        token = presented_token(scope)
        ticket = None if token else presented_pairing(scope)
        presented = bool(token or ticket)
        device, token_id = (
            # Through the avatar socket's runner: on the worker threads like the consumer's own
            # calls, not queued on the process's one sync thread behind every other handshake.
            await AvatarConsumer.runner.wrap(bookkeeping(_device_for))(token, ticket)
            if presented
            else (None, None)
        )
        scope = dict(
            scope,
            device=device,
            device_token_id=token_id,
            device_token_rejected=presented and device is None,
        )
        return await self.inner(scope, receive, send)


class WebsocketAuthMiddleware:
    """Session user (staff consoles, demo pages) and device token (kiosks, VTMs).

    A socket that presents a device token or pairing ticket speaks as that device whatever
    cookies it carries, so its session user is not looked up (a database call per handshake
    that a fleet of devices reconnecting at once paid for nothing); it gets the anonymous user.
    """

    def __init__(self, inner: Any) -> None:
        self.device_only = DeviceTokenMiddleware(inner)
        self.with_user = AuthMiddlewareStack(DeviceTokenMiddleware(inner))

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> Any:
        if presented_token(scope) or presented_pairing(scope):
            scope = dict(scope, user=AnonymousUser())
            return await self.device_only(scope, receive, send)
        return await self.with_user(scope, receive, send)
