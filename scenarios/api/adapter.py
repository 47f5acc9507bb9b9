"""The session API (`/api/sessions/...`) as a channel adapter (scenarios.conversation).

DRF has authenticated the caller (a device token or a person) before the view runs; the adapter
reads who that is, turns the validated request into an `Inbound` and renders the result as the
API's JSON body. The views only look the session up and map errors to statuses.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from scenarios.api.serializers import (
    EventCreateSerializer,
    SessionCreateSerializer,
    TurnCreateSerializer,
)
from scenarios.conversation import Inbound
from scenarios.dialogue import TurnResult
from scenarios.models import Customer
from scenarios.principals import touchpoint_device

# Devices allowed to say which customer is using them: the app backend, after its own login.
CUSTOMER_IDENTITY = "customer_identity"
EVENTS_URL = "api-session-events"


def _asserted_customer(device: Any, customer_no: str | None) -> Customer | None:
    """The customer a trusted device says is logged in; never taken from anyone else.

    Raises PermissionError for a caller that may not identify customers and LookupError for
    an unknown customer number.
    """
    if not customer_no:
        return None
    if device is None or not (device.capabilities or {}).get(CUSTOMER_IDENTITY):
        raise PermissionError("this caller may not identify customers")
    customer = Customer.objects.filter(customer_no=customer_no).first()
    if customer is None:
        raise LookupError(f"no customer {customer_no!r}")
    return customer


class SessionApiAdapter:
    channel = "api"

    def authenticate(self, request: Request) -> dict[str, Any]:
        """The device (token) or person behind the request; DRF refused anonymous callers."""
        device = touchpoint_device(request.user)
        if device is not None:
            return {"device": device, "user": None}
        return {"device": None, "user": request.user}

    def inbound(self, request: Request, principal: dict[str, Any]) -> Inbound:
        """A start (POST /sessions/), a turn or a UI event; raises DRF's ValidationError on a
        bad body, PermissionError / LookupError on a customer the caller may not assert."""
        session_id = (request.parser_context or {}).get("kwargs", {}).get("session_id")
        if session_id is None:
            data = SessionCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            fields = data.validated_data
            return Inbound(
                fields["channel"],
                language=fields["language"],
                scenario=fields["scenario"],
                customer=_asserted_customer(principal["device"], fields.get("customer_no")),
                device=principal["device"],
                user=principal["user"],
            )
        # The view sets the session's own channel once it has looked the session up.
        channel = "api"
        if (
            getattr(request, "resolver_match", None)
            and request.resolver_match.url_name == EVENTS_URL
        ):
            event = EventCreateSerializer(data=request.data)
            event.is_valid(raise_exception=True)
            return Inbound(
                channel,
                session_id=session_id,
                event=event.validated_data["name"],
                step=event.validated_data["step"],
                data=event.validated_data["data"],
                device=principal["device"],
                user=principal["user"],
            )
        turn = TurnCreateSerializer(data=request.data)
        turn.is_valid(raise_exception=True)
        return Inbound(
            channel,
            text=turn.validated_data["text"],
            session_id=session_id,
            step=turn.validated_data["step"],
            device=principal["device"],
            user=principal["user"],
        )

    def outbound(self, inbound: Inbound, session_id: Any, result: TurnResult) -> dict[str, Any]:
        body: dict[str, Any] = {
            "session": session_id,
            "reply": result.reply,
            "step": result.step,
            "status": result.status,
            "intent": result.intent,
            "actions": result.actions,
            "sources": result.sources,
        }
        if inbound.starts:
            body["id"] = str(session_id)
        return body


ADAPTER = SessionApiAdapter()
