"""The embeddable web-chat widget as a channel adapter (scenarios.conversation).

`POST /omni/webchat/messages/ {key, visitor?, text, language?, customer_token?}`: the site's
public key says which site, a signed visitor token who (one is issued on the first message),
and a customer token the bank's website signs after its own login links the visitor to the
customer. The answer is the widget's JSON.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core import signing
from django.http import HttpRequest
from django.utils import translation

from devices.omni.base import Inbound, identity_for, identity_link, reply_text
from devices.omni.models import ChannelIdentity, WebChatSite
from scenarios.dialogue import TurnResult
from scenarios.models import Customer, DialogueSession

CHANNEL = "webchat"
VISITOR_SALT = "omni.webchat.visitor"
CUSTOMER_SALT = "omni.webchat.customer"
CUSTOMER_TOKEN_MAX_AGE = 3600
MAX_BODY_BYTES = 16 * 1024


class WebChatError(Exception):
    """A widget request refused: `code` and `status` go into the JSON error."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def site_for(key: Any) -> WebChatSite | None:
    if not isinstance(key, str) or not key:
        return None
    return WebChatSite.objects.filter(key=key, is_active=True).first()


def customer_token(site: WebChatSite, customer_no: str) -> str:
    """What the bank's website backend hands the widget after its own login (signed, 1 h)."""
    return signing.TimestampSigner(key=site.secret, salt=CUSTOMER_SALT).sign(customer_no)


def _token_customer(site: WebChatSite, token: str) -> Customer | None:
    try:
        customer_no = signing.TimestampSigner(key=site.secret, salt=CUSTOMER_SALT).unsign(
            token, max_age=CUSTOMER_TOKEN_MAX_AGE
        )
    except signing.BadSignature:
        return None
    return Customer.objects.filter(customer_no=customer_no).first()


def visitor_of(site: WebChatSite, token: Any) -> str | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("site") != site.pk:
        return None
    return str(data.get("v"))


def json_body(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > MAX_BODY_BYTES:
        return None
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class WebChatAdapter:
    channel = CHANNEL

    def authenticate(self, request: HttpRequest) -> dict[str, Any]:
        """The site (public key) and the request's JSON; raises WebChatError."""
        data = json_body(request)
        if data is None:
            raise WebChatError("malformed", "send a JSON object", 400)
        site = site_for(data.get("key"))
        if site is None:
            raise WebChatError("unknown_site", "unknown chat site key", 403)
        return {"site": site, "data": data}

    def inbound(self, request: HttpRequest, principal: dict[str, Any]) -> Inbound:
        """The visitor's message, with the visitor identity (linked when a customer token
        comes along); raises WebChatError on bad text or forged tokens."""
        site: WebChatSite = principal["site"]
        data: dict[str, Any] = principal["data"]
        text = data.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 1000:
            raise WebChatError("invalid", "'text' is 1 to 1000 characters", 400)
        visitor_token = data.get("visitor")
        visitor = visitor_of(site, visitor_token)
        if visitor is None:
            if visitor_token:
                raise WebChatError("bad_visitor", "visitor token invalid", 403)
            visitor = uuid.uuid4().hex
            visitor_token = signing.dumps({"site": site.pk, "v": visitor}, salt=VISITOR_SALT)
        language = "en" if data.get("language") == "en" else "zh-hans"
        identity = identity_for(CHANNEL, f"{site.pk}:{visitor}", language)
        token = data.get("customer_token")
        if isinstance(token, str) and token:
            customer = _token_customer(site, token)
            if customer is None:
                raise WebChatError("bad_customer_token", "customer token invalid or expired", 403)
            if identity.customer_id != customer.pk:
                identity = identity_link(identity=identity, customer=customer)
        return Inbound(
            CHANNEL,
            identity.external_id,
            text,
            language,
            customer=identity.customer,
            meta={"identity": identity, "visitor": visitor_token, "scenario": site.scenario},
        )

    def outbound(self, inbound: Inbound, session_id: Any, result: TurnResult) -> dict[str, Any]:
        session = DialogueSession.objects.only("language").get(pk=session_id)
        with translation.override(session.language):
            reply = reply_text(result, session.language)
        last = session.turns.order_by("-seq").values_list("seq", flat=True).first() or 0
        return {
            "visitor": inbound.meta["visitor"],
            "reply": reply,
            "status": result.status,
            "actions": result.actions,
            "sources": result.sources,
            "seq": last,
        }


def updates_after(site: WebChatSite, visitor: str, after: int) -> dict[str, Any]:
    """What an agent (or the assistant) said in the visitor's conversation since `after`."""
    identity = ChannelIdentity.objects.filter(
        channel=CHANNEL, external_id=f"{site.pk}:{visitor}"
    ).first()
    if identity is None or identity.session_id is None:
        return {"messages": [], "seq": after}
    turns = list(
        identity.session.turns.filter(seq__gt=after, role__in=["agent", "assistant"])
        .order_by("seq")
        .values("seq", "role", "text")[:50]
    )
    return {"messages": turns, "seq": turns[-1]["seq"] if turns else after}
