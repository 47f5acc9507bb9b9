"""The bank's voice gateway (outbound campaign calls) as a channel adapter.

The gateway reports on a call it dialled: `{reference: "outbound:<attempt id>", event:
answered|speech|dtmf|no_answer|hangup, text?, digits?}`, HMAC-SHA256 of the body in
`X-Signature`. A call runs the campaign's script (`scenarios.outbound`), not a dialogue
session, so its "conversation" is the contact attempt; the adapter's answer is `{say, outcome}`:
what the gateway speaks next ("" to hang up politely).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from devices.omni.base import Inbound
from devices.omni.webchat import json_body

CHANNEL = "voice"
EVENTS = {"answered", "speech", "dtmf", "no_answer", "hangup"}


class VoiceError(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def signature_ok(request: HttpRequest) -> bool:
    secret = str(getattr(settings, "OMNI_VOICE_CALLBACK_SECRET", ""))
    if not secret:
        return False
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, request.headers.get("X-Signature", ""))


class VoiceGatewayAdapter:
    channel = CHANNEL

    def authenticate(self, request: HttpRequest) -> dict[str, Any]:
        if not signature_ok(request):
            raise VoiceError("forbidden", "bad signature", 403)
        data = json_body(request)
        if data is None:
            raise VoiceError("malformed", "send a JSON object", 400)
        return {"data": data}

    def inbound(self, request: HttpRequest, principal: dict[str, Any]) -> Inbound:
        """The report as an event of the contact attempt; the callee's words or keys as text."""
        data = principal["data"]
        match = re.fullmatch(r"outbound:(\d+)", str(data.get("reference", "")))
        if match is None:
            raise VoiceError("invalid", "unknown reference", 400)
        event = data.get("event")
        if event not in EVENTS:
            raise VoiceError("invalid", f"unknown event {event!r}", 400)
        return Inbound(
            CHANNEL,
            match.group(0),
            str(data.get("text") or data.get("digits") or ""),
            event=str(event),
            source="dtmf" if event == "dtmf" else "asr",
            meta={"attempt_id": int(match.group(1))},
        )

    def outbound(self, inbound: Inbound, session_id: Any, result: dict[str, Any]) -> dict[str, Any]:
        """`result` is the script's step (`scenarios.outbound.services.attempt_reply`)."""
        return {"say": result.get("say", ""), "outcome": result.get("outcome")}
