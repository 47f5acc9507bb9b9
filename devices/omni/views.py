"""HTTP ends of the adapters: the WeChat callback, the web-chat frame and API, voice callbacks."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from devices.omni import wechat
from devices.omni.base import Inbound, converse, identity_for, identity_link, reply_text
from devices.omni.models import ChannelIdentity, WebChatSite, WeChatAccount
from scenarios.dialogue import DialogueError
from scenarios.models import Customer
from scenarios.outbound.services import OutboundError, attempt_outcome_record, attempt_reply

log = logging.getLogger(__name__)
WEBCHAT = "webchat"
VISITOR_SALT = "omni.webchat.visitor"
CUSTOMER_SALT = "omni.webchat.customer"
CUSTOMER_TOKEN_MAX_AGE = 3600


# ----------------------------------------------------------------------------- WeChat


@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_callback(request: HttpRequest, account: str) -> HttpResponse:
    adapter = wechat.WeChatAdapter()
    try:
        account_obj = adapter.authenticate(request)
    except wechat.WeChatError as exc:
        return HttpResponse(str(exc), status=exc.code or 403, content_type="text/plain")
    if request.method == "GET":  # the console's URL check: echo it back
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
    try:
        message = adapter.message(request)
        if wechat.seen_before(account_obj, message):
            return HttpResponse("success", content_type="text/plain")
        content = _wechat_answer(account_obj, message)
    except wechat.WeChatError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    reply = adapter.outbound(message, content)
    kind = "application/xml" if content else "text/plain"
    return HttpResponse(reply, content_type=kind)


def _wechat_answer(account: WeChatAccount, message: dict[str, str]) -> str:
    if message.get("MsgType") == "event" and message.get("Event", "").lower() == "subscribe":
        identity_for(wechat.CHANNEL, wechat.external_id(account, message.get("FromUserName", "")))
        return account.welcome
    inbound = wechat.inbound_of(account, message)
    if inbound is None:
        if message.get("MsgType") not in {"event", "text", "voice"}:
            with translation.override("zh-hans"):
                return _("Please send text or voice; other messages are not supported here.")
        return ""
    return _answer(inbound, account.scenario)


def _answer(inbound: Inbound, scenario: str) -> str:
    try:
        session, result = converse(inbound, scenario=scenario)
    except DialogueError as exc:
        log.info("turn refused on %s: %s", inbound.channel, exc)
        with translation.override(inbound.language):
            return _("Sorry, that message could not be handled: %(reason)s") % {"reason": exc}
    with translation.override(session.language):
        return reply_text(result, session.language)


# ----------------------------------------------------------------------------- web chat


def _site(key: Any) -> WebChatSite | None:
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


def _visitor(site: WebChatSite, token: Any) -> str | None:
    if not isinstance(token, str) or not token:
        return None
    try:
        data = signing.loads(token, salt=VISITOR_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("site") != site.pk:
        return None
    return str(data.get("v"))


@xframe_options_exempt
def webchat_frame(request: HttpRequest) -> HttpResponse:
    site = _site(request.GET.get("key"))
    if site is None:
        return HttpResponse(_("Unknown chat site."), status=404, content_type="text/plain")
    language = "en" if request.GET.get("lang") == "en" else "zh-hans"
    with translation.override(language):
        response = render(request, "omni/webchat_frame.html", {"site": site, "language": language})
    ancestors = " ".join(o for o in site.allowed_origins if re.match(r"^https?://[\w.:-]+$", o))
    response["Content-Security-Policy"] = f"frame-ancestors 'self' {ancestors}".strip()
    return response


def _json_body(request: HttpRequest) -> dict[str, Any] | None:
    if len(request.body) > 16 * 1024:
        return None
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@csrf_exempt
@require_http_methods(["POST"])
def webchat_messages(request: HttpRequest) -> JsonResponse:
    """`POST {key, visitor?, text, language?, customer_token?}` -> `{visitor, reply, seq}`."""
    data = _json_body(request)
    if data is None:
        return JsonResponse({"error": "malformed", "message": "send a JSON object"}, status=400)
    site = _site(data.get("key"))
    if site is None:
        return JsonResponse(
            {"error": "unknown_site", "message": "unknown chat site key"}, status=403
        )
    text = data.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > 1000:
        return JsonResponse(
            {"error": "invalid", "message": "'text' is 1 to 1000 characters"}, status=400
        )
    visitor_token = data.get("visitor")
    visitor = _visitor(site, visitor_token)
    if visitor is None:
        if visitor_token:
            return JsonResponse(
                {"error": "bad_visitor", "message": "visitor token invalid"}, status=403
            )
        visitor = uuid.uuid4().hex
        visitor_token = signing.dumps({"site": site.pk, "v": visitor}, salt=VISITOR_SALT)
    language = "en" if data.get("language") == "en" else "zh-hans"
    identity = identity_for(WEBCHAT, f"{site.pk}:{visitor}", language)
    token = data.get("customer_token")
    if isinstance(token, str) and token:
        customer = _token_customer(site, token)
        if customer is None:
            return JsonResponse(
                {"error": "bad_customer_token", "message": "customer token invalid or expired"},
                status=403,
            )
        if identity.customer_id != customer.pk:
            identity = identity_link(identity=identity, customer=customer)
    inbound = Inbound(
        channel=WEBCHAT, external_id=identity.external_id, text=text, language=language
    )
    try:
        session, result = converse(inbound, scenario=site.scenario, identity=identity)
    except DialogueError as exc:
        return JsonResponse({"error": "refused", "message": str(exc)}, status=409)
    with translation.override(session.language):
        reply = reply_text(result, session.language)
    last = session.turns.order_by("-seq").values_list("seq", flat=True).first() or 0
    return JsonResponse(
        {
            "visitor": visitor_token,
            "reply": reply,
            "status": result.status,
            "actions": result.actions,
            "sources": result.sources,
            "seq": last,
        }
    )


@require_http_methods(["GET"])
def webchat_updates(request: HttpRequest) -> JsonResponse:
    """`GET ?key&visitor&after=seq`: what an agent said since (the widget polls this)."""
    site = _site(request.GET.get("key"))
    visitor = _visitor(site, request.GET.get("visitor")) if site is not None else None
    if site is None or visitor is None:
        return JsonResponse(
            {"error": "forbidden", "message": "unknown site or visitor"}, status=403
        )
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"error": "invalid", "message": "'after' is a number"}, status=400)
    identity = ChannelIdentity.objects.filter(
        channel=WEBCHAT, external_id=f"{site.pk}:{visitor}"
    ).first()
    if identity is None or identity.session_id is None:
        return JsonResponse({"messages": [], "seq": after})
    turns = list(
        identity.session.turns.filter(seq__gt=after, role__in=["agent", "assistant"])
        .order_by("seq")
        .values("seq", "role", "text")[:50]
    )
    last = turns[-1]["seq"] if turns else after
    return JsonResponse({"messages": turns, "seq": last})


# ----------------------------------------------------------------------------- voice gateway


def _voice_signature_ok(request: HttpRequest) -> bool:
    secret = str(getattr(settings, "OMNI_VOICE_CALLBACK_SECRET", ""))
    if not secret:
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers.get("X-Signature", ""))


@csrf_exempt
@require_http_methods(["POST"])
def voice_callback(request: HttpRequest) -> JsonResponse:
    """The voice gateway's report on a campaign call.

    `{reference: "outbound:<attempt id>", event: answered|speech|dtmf|no_answer|hangup,
    text?, digits?}`, HMAC-SHA256 of the body in `X-Signature`. Answers `{say}`: what the
    gateway speaks next ("" to hang up politely).
    """
    if not _voice_signature_ok(request):
        return JsonResponse({"error": "forbidden", "message": "bad signature"}, status=403)
    data = _json_body(request)
    if data is None:
        return JsonResponse({"error": "malformed", "message": "send a JSON object"}, status=400)
    reference = str(data.get("reference", ""))
    match = re.fullmatch(r"outbound:(\d+)", reference)
    if match is None:
        return JsonResponse({"error": "invalid", "message": "unknown reference"}, status=400)
    attempt_id = int(match.group(1))
    event = data.get("event")
    try:
        if event == "answered":
            attempt_outcome_record(attempt_id=attempt_id, outcome="reached")
            return JsonResponse({"say": "", "outcome": "reached"})
        if event in {"speech", "dtmf"}:
            text = str(data.get("text") or data.get("digits") or "")
            step = attempt_reply(attempt_id=attempt_id, text=text)
            return JsonResponse({"say": step["say"], "outcome": step["outcome"]})
        if event in {"no_answer", "hangup"}:
            return JsonResponse({"say": "", "outcome": None})
    except OutboundError as exc:
        return JsonResponse({"error": "refused", "message": str(exc)}, status=409)
    return JsonResponse({"error": "invalid", "message": f"unknown event {event!r}"}, status=400)
