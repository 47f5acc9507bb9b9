"""HTTP ends of the adapters: the WeChat callback, the web-chat frame and API, voice callbacks.

Each view takes its channel's adapter from the registry (scenarios.conversation), lets it
authenticate the request and read the message, runs the shared turn, and returns what the
adapter renders; errors become the channel's own error answers.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from devices.omni import voice, webchat, wechat
from devices.omni.base import converse, identity_for
from devices.omni.webchat import customer_token, site_for, visitor_of
from scenarios.conversation import adapter_for
from scenarios.dialogue import DialogueError
from scenarios.outbound.services import OutboundError, attempt_outcome_record, attempt_reply

__all__ = ["customer_token", "voice_callback", "webchat_frame", "webchat_messages"]

log = logging.getLogger(__name__)
WEBCHAT = webchat.CHANNEL


def _adapter(channel: str) -> Any:
    return adapter_for(channel)


# ----------------------------------------------------------------------------- WeChat


# The message must be committed before its turn starts on another thread's connection.
@transaction.non_atomic_requests
@csrf_exempt
@require_http_methods(["GET", "POST"])
def wechat_callback(request: HttpRequest, account: str) -> HttpResponse:
    adapter = _adapter(wechat.CHANNEL)
    try:
        account_obj = adapter.authenticate(request)
    except wechat.WeChatError as exc:
        return HttpResponse(str(exc), status=exc.code or 403, content_type="text/plain")
    if request.method == "GET":  # the console's URL check: echo it back
        return HttpResponse(request.GET.get("echostr", ""), content_type="text/plain")
    try:
        message = adapter.message(request)
        if message.get("MsgType") == "event" and message.get("Event", "").lower() == "subscribe":
            openid = message.get("FromUserName", "")
            identity_for(wechat.CHANNEL, wechat.external_id(account_obj, openid))
            return _wechat_reply(adapter.render(message, account_obj.welcome))
        inbound = adapter.inbound(request, account_obj)
        if inbound is None:
            return _wechat_reply(adapter.render(message, _wechat_unsupported(message)))
        text = wechat.callback_answer(account_obj, inbound)
    except wechat.WeChatError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain")
    return _wechat_reply(adapter.outbound(inbound, None, text))


def _wechat_unsupported(message: dict[str, str]) -> str:
    if message.get("MsgType") in {"event", "text", "voice"}:
        return ""  # an event with nothing to say (a view, a location report): no reply
    with translation.override("zh-hans"):
        return _("Please send text or voice; other messages are not supported here.")


def _wechat_reply(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain" if body == "success" else "application/xml")


# ----------------------------------------------------------------------------- web chat


@xframe_options_exempt
def webchat_frame(request: HttpRequest) -> HttpResponse:
    site = site_for(request.GET.get("key"))
    if site is None:
        return HttpResponse(_("Unknown chat site."), status=404, content_type="text/plain")
    language = "en" if request.GET.get("lang") == "en" else "zh-hans"
    with translation.override(language):
        response = render(request, "omni/webchat_frame.html", {"site": site, "language": language})
    ancestors = " ".join(o for o in site.allowed_origins if re.match(r"^https?://[\w.:-]+$", o))
    response["Content-Security-Policy"] = f"frame-ancestors 'self' {ancestors}".strip()
    return response


@csrf_exempt
@require_http_methods(["POST"])
def webchat_messages(request: HttpRequest) -> JsonResponse:
    """`POST {key, visitor?, text, language?, customer_token?}` -> `{visitor, reply, seq}`."""
    adapter = _adapter(WEBCHAT)
    try:
        principal = adapter.authenticate(request)
        inbound = adapter.inbound(request, principal)
    except webchat.WebChatError as exc:
        return JsonResponse({"error": exc.code, "message": str(exc)}, status=exc.status)
    try:
        session, result = converse(
            inbound, scenario=inbound.meta["scenario"], identity=inbound.meta["identity"]
        )
    except DialogueError as exc:
        return JsonResponse({"error": "refused", "message": str(exc)}, status=409)
    return JsonResponse(adapter.outbound(inbound, session.pk, result))


@require_http_methods(["GET"])
def webchat_updates(request: HttpRequest) -> JsonResponse:
    """`GET ?key&visitor&after=seq`: what an agent said since (the widget polls this)."""
    site = site_for(request.GET.get("key"))
    visitor = visitor_of(site, request.GET.get("visitor")) if site is not None else None
    if site is None or visitor is None:
        return JsonResponse(
            {"error": "forbidden", "message": "unknown site or visitor"}, status=403
        )
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return JsonResponse({"error": "invalid", "message": "'after' is a number"}, status=400)
    return JsonResponse(webchat.updates_after(site, visitor, after))


# ----------------------------------------------------------------------------- voice gateway


@csrf_exempt
@require_http_methods(["POST"])
def voice_callback(request: HttpRequest) -> JsonResponse:
    """The voice gateway's report on a campaign call (devices.omni.voice)."""
    adapter = _adapter(voice.CHANNEL)
    try:
        inbound = adapter.inbound(request, adapter.authenticate(request))
    except voice.VoiceError as exc:
        return JsonResponse({"error": exc.code, "message": str(exc)}, status=exc.status)
    attempt_id = inbound.meta["attempt_id"]
    try:
        if inbound.event == "answered":
            attempt_outcome_record(attempt_id=attempt_id, outcome="reached")
            return JsonResponse(adapter.outbound(inbound, None, {"outcome": "reached"}))
        if inbound.event in {"speech", "dtmf"}:
            step = attempt_reply(attempt_id=attempt_id, text=inbound.text)
            return JsonResponse(adapter.outbound(inbound, None, step))
    except OutboundError as exc:
        return JsonResponse({"error": "refused", "message": str(exc)}, status=409)
    return JsonResponse(adapter.outbound(inbound, None, {}))  # no_answer, hangup
