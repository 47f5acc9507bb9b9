"""The bridge between an avatar socket and the dialogue engine (scenarios.dialogue).

Sync functions, run by the consumer in a worker thread. Each turn reserves the number its
answer will carry, lets the engine store the customer's turn and work out the reply (streaming
text through `on_delta`), and always fills the reserved number, also when the socket went away
or the engine failed, so a resuming client finds an answer (or an error) there and no hole.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from bank_ai.ai.masking import mask_pii
from bank_ai.ai.sentiment import analyse_sentiment
from bank_ai.i18n import normalise_language
from devices import cues
from devices.models import Device
from devices.outbox import (
    session_frame_append,
    session_frame_complete,
    session_frame_reserve,
    session_last_seq,
)
from devices.protocol import ProtocolError
from devices.push import announce_session_frame
from scenarios import dialogue
from scenarios.conversation import ChannelAdapter, Inbound, converse
from scenarios.models import Customer, DialogueSession

# Devices allowed to say which customer is using them (the app, after its own login); the
# same capability the session API checks.
CUSTOMER_IDENTITY = "customer_identity"

logger = logging.getLogger(__name__)

CHANNEL_BY_KIND = {
    Device.Kind.HALL_SCREEN: "hall_screen",
    Device.Kind.KIOSK: "kiosk",
    Device.Kind.VTM: "vtm",
    Device.Kind.MOBILE_APP: "app",
    Device.Kind.WEB: "web",
}
MAX_SOURCE_SNIPPET = 200


class ClientGone(Exception):  # noqa: N818 - it is a signal, not an error
    """Raised from `on_delta` when the socket has closed: it stops the engine's generation."""


@dataclass(frozen=True)
class SessionInfo:
    id: str
    scenario: str
    language: str
    status: str
    step: str
    last_seq: int
    channel: str = ""

    def ready_frame(self, *, resumed: bool, replaying: int) -> dict[str, Any]:
        return {
            "type": "session.ready",
            "session_id": self.id,
            "scenario": self.scenario,
            "language": self.language,
            "status": self.status,
            "step": self.step,
            "last_seq": self.last_seq,
            "resumed": resumed,
            "replaying": replaying,
        }


def _info(session: DialogueSession) -> SessionInfo:
    return SessionInfo(
        id=str(session.pk),
        scenario=session.flow.code,
        language=session.language,
        status=session.status,
        step=session.current_step,
        last_seq=session_last_seq(session_id=session.pk),
        channel=session.channel,
    )


def _sources(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "n": source.get("n"),
            "title": source.get("title", ""),
            "url": source.get("url", ""),
            "snippet": (source.get("snippet") or "")[:MAX_SOURCE_SNIPPET],
        }
        for source in sources
    ]


def answer_frame(
    result: Any,
    *,
    in_reply_to: dict[str, Any] | None,
    customer_sentiment: str | None = None,
    customer_angry: bool = False,
    interrupted: bool = False,
) -> dict[str, Any]:
    """The `answer.done` frame for an engine TurnResult, with its avatar cue."""
    greeting = in_reply_to is None
    face = cues.emotion(
        answer_text=result.reply,
        customer_sentiment=customer_sentiment,
        customer_angry=customer_angry,
        status=result.status,
        interrupted=interrupted,
        actions=result.actions,
        greeting=greeting,
    )
    return {
        "type": "answer.done",
        "text": result.reply,
        "sources": _sources(result.sources),
        "actions": result.actions,
        "step": result.step,
        "status": str(result.status),
        "intent": result.intent,
        "in_reply_to": in_reply_to,
        "interrupted": interrupted,
        "cue": cues.cue(
            result.reply,
            emotion_name=face,
            gesture_name=cues.gesture(result.actions, greeting=greeting),
        ),
    }


# ----------------------------------------------------------------------------- sessions


def _asserted_customer(device: Device | None, customer_no: str) -> Customer | None:
    """The customer a device with the customer_identity capability says is signed in."""
    if not customer_no:
        return None
    if device is None or not (device.capabilities or {}).get(CUSTOMER_IDENTITY):
        raise ProtocolError("customer_forbidden", "This screen may not identify customers.")
    customer = Customer.objects.filter(customer_no=customer_no).first()
    if customer is None:
        raise ProtocolError("unknown_customer", f"No customer {customer_no!r}.")
    return customer


def avatar_session_start(
    *, adapter: ChannelAdapter, frame: dict[str, Any], principal: Principal
) -> SessionInfo:
    """Start a dialogue session and store its greeting as frame 1 (sent on commit)."""
    inbound = adapter.inbound(frame, principal)
    with transaction.atomic():
        try:
            session, result = converse(inbound)
        except dialogue.DialogueError as exc:
            raise ProtocolError("unknown_scenario", str(exc)) from exc
        assert session is not None  # noqa: S101 - a start always returns its session
        stored = session_frame_append(
            session_id=session.pk, frame=adapter.outbound(inbound, session.pk, result)
        )
        announce_session_frame(session.pk, stored)
    return _info(session)


def avatar_session_open(
    *, session_id: Any, last_seq: int, device: Device | None, user: Any
) -> SessionInfo:
    """The session a socket may resume (its own), or ProtocolError."""
    session = DialogueSession.objects.select_related("flow").filter(pk=session_id).first()
    if session is None:
        raise ProtocolError("session_not_found", "No such session.")
    if device is not None:
        allowed = session.device_id == device.pk
    else:
        allowed = session.user_id is not None and session.user_id == getattr(user, "pk", None)
    if not allowed:
        raise ProtocolError("session_forbidden", "This session belongs to another device or user.")
    info = _info(session)
    if last_seq > info.last_seq:
        raise ProtocolError(
            "bad_seq", f"last_seq {last_seq} is ahead of the session (at {info.last_seq})."
        )
    return info


# ----------------------------------------------------------------------------- turns


def _run_engine(
    adapter: ChannelAdapter,
    inbound: Inbound,
    *,
    on_ack: Callable[[int], None],
    on_delta: Callable[[int, str, dict[str, Any]], None],
) -> dict[str, Any]:
    session_id, language = inbound.session_id, inbound.language
    in_reply_to: dict[str, Any] = inbound.meta["in_reply_to"]
    sentiment = inbound.meta["sentiment"]
    seq = session_frame_reserve(session_id=session_id)
    streamed: list[str] = []
    acked = False
    face = cues.emotion(customer_sentiment=sentiment.label, customer_angry=sentiment.is_angry)

    def ack() -> None:
        nonlocal acked
        if not acked:
            acked = True
            on_ack(seq)

    def sink(text: str) -> None:
        # The engine calls this only after it committed the customer's turn: ack first.
        ack()
        streamed.append(text)
        on_delta(seq, text, cues.cue(text, emotion_name=face))

    frame: dict[str, Any] | None = None
    try:
        _started, result = converse(inbound, on_delta=sink)
        ack()
        frame = adapter.outbound(inbound, session_id, result)
        if not streamed:
            # A reply worked out at once (a flow step) is still spoken chunk by chunk.
            try:
                for chunk in cues.chunks(result.reply):
                    sink(chunk)
            except ClientGone:
                pass  # the whole answer is known and stored below all the same
    except ClientGone:
        with translation.override(language):
            note = gettext("(The answer was interrupted because the screen disconnected.)")
        partial = "".join(streamed)
        text = f"{partial}\n{note}" if partial else note
        frame = {
            "type": "answer.done",
            "text": text,
            "sources": [],
            "actions": [],
            "in_reply_to": in_reply_to,
            "interrupted": True,
            "cue": cues.cue(text, emotion_name="apologetic", gesture_name="nod"),
        }
    except dialogue.DialogueError as exc:
        frame = {
            "type": "error",
            "code": _refusal_code(session_id, in_reply_to, exc),
            "message": str(exc),
            "in_reply_to": in_reply_to,
        }
    except Exception:
        logger.exception("dialogue engine failed for session %s", session_id)
        with translation.override(language):
            message = gettext("Sorry, something went wrong. Your message was kept; please retry.")
        frame = {
            "type": "error",
            "code": "turn_failed",
            "message": message,
            "in_reply_to": in_reply_to,
        }
    finally:
        if frame is None:  # a BaseException (the worker being torn down)
            frame = {"type": "error", "code": "turn_failed", "message": "interrupted"}
        with transaction.atomic():
            stored = session_frame_complete(session_id=session_id, seq=seq, frame=frame)
            announce_session_frame(session_id, stored)
    return stored


def _refusal_code(session_id: Any, in_reply_to: dict[str, Any], exc: Exception) -> str:
    status = DialogueSession.objects.filter(pk=session_id).values_list("status", flat=True).first()
    if status not in {DialogueSession.Status.ACTIVE, DialogueSession.Status.HANDED_OVER}:
        return "session_closed"
    if in_reply_to.get("kind") == "event":
        return "event_refused"
    return "stale_step" if isinstance(exc, dialogue.StaleStep) else "turn_failed"


def avatar_converse(
    *,
    adapter: ChannelAdapter,
    inbound: Inbound,
    on_ack: Callable[[int], None],
    on_delta: Callable[[int, str, dict[str, Any]], None],
) -> dict[str, Any]:
    """One customer turn or device UI event; returns the stored answer (or error) frame.

    A turn's `step`, when the device sends it, is where the customer typed: a turn for a step
    the session has left is refused (`stale_step`) instead of being applied to the new one.
    """
    if inbound.event:
        in_reply_to: dict[str, Any] = {"kind": "event", "name": inbound.event, "step": inbound.step}
        sentiment = analyse_sentiment("")
    else:
        masked = mask_pii(inbound.text).text
        in_reply_to = {"kind": "text", "text": masked, "source": inbound.source}
        if inbound.step:
            in_reply_to["step"] = inbound.step
        sentiment = analyse_sentiment(masked)
    inbound = replace(
        inbound, meta={**inbound.meta, "in_reply_to": in_reply_to, "sentiment": sentiment}
    )
    return _run_engine(adapter, inbound, on_ack=on_ack, on_delta=on_delta)


# ----------------------------------------------------------------------------- the adapter

Principal = dict[str, Any]


class AvatarSocketAdapter:
    """The avatar socket (bank-avatar/1) as a channel adapter (scenarios.conversation).

    `authenticate` reads what the handshake middleware found (a device token or a signed-in
    person); `inbound` turns a `session.start`, `user.text` or `ui.event` frame into an
    `Inbound` (the principal carries the socket's bound session); `outbound` is the
    `answer.done` frame with its avatar cue. Sequencing, replay and streaming stay in the
    consumer and its `SocketSequencer`.
    """

    channel = "avatar"

    def authenticate(self, request: dict[str, Any]) -> Principal:
        device, user = request.get("device"), request.get("user")
        if request.get("device_token_rejected") or (
            device is None and not (user is not None and user.is_authenticated)
        ):
            raise PermissionError("no valid device token or signed-in user")
        return {"device": device, "user": user, "session": None}

    def inbound(self, request: dict[str, Any], principal: Principal) -> Inbound:
        device, user = principal["device"], principal["user"]
        kind = request.get("type")
        if kind == "session.start":
            channel = CHANNEL_BY_KIND.get(device.kind, "web") if device is not None else "web"
            return Inbound(
                channel,
                language=normalise_language(request["language"]),
                scenario=request["scenario"],
                # Touches the database: only called from the consumer's worker.
                customer=_asserted_customer(device, request.get("customer_no", "")),
                device=device,
                user=user if device is None else None,
            )
        session: SessionInfo = principal["session"]
        common = {
            "session_id": session.id,
            "step": request.get("step") or "",
            "device": device,
            "user": user if device is None else None,
            "meta": {"frame_id": request.get("id")},
        }
        if kind == "ui.event":
            return Inbound(
                session.channel,
                language=session.language,
                event=request["name"],
                data=request.get("data") or {},
                **common,
            )
        if kind == "user.text":
            return Inbound(
                session.channel,
                text=request["text"],
                language=session.language,
                source=request.get("source") or "text",
                **common,
            )
        raise ProtocolError("unknown_type", f"{kind!r} carries no customer message.")

    def outbound(self, inbound: Inbound, session_id: Any, result: Any) -> dict[str, Any]:
        if inbound.starts:
            return answer_frame(result, in_reply_to=None)
        sentiment = inbound.meta["sentiment"]
        return answer_frame(
            result,
            in_reply_to=inbound.meta["in_reply_to"],
            customer_sentiment=getattr(result, "sentiment", "") or sentiment.label,
            customer_angry=sentiment.is_angry,
        )
