"""WeChat Official Account adapter: message callback, passive replies, customer-service API.

The callback (`/omni/wechat/<account>/`) is checked the way WeChat signs it (SHA-1 of the
sorted token, timestamp and nonce), with the timestamp no older than `WECHAT_MAX_SKEW_SECONDS`;
a retried message (same MsgId) is answered once. Text, recognised voice and menu clicks run
through `converse`; the reply goes back as a passive XML reply. What an agent says later (no
request to reply to) goes through the customer-service message API, as do reminders and
campaigns (`devices.omni.delivery`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any, Protocol
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from bank_ai.ai.masking import mask_pii
from devices.omni import outbox
from devices.omni.base import Inbound, converse, reply_text
from devices.omni.models import ChannelIdentity, WeChatAccount, WeChatMessage, WeChatOutbound
from devices.omni.wechat_api import WeChatError
from scenarios import events
from scenarios.dialogue import DialogueError, TurnResult
from scenarios.models import Turn

log = logging.getLogger(__name__)

CHANNEL = "wechat"
MAX_BODY_BYTES = 64 * 1024


def signature_valid(account: WeChatAccount, *, signature: str, timestamp: str, nonce: str) -> bool:
    try:
        sent_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - sent_at) > int(getattr(settings, "WECHAT_MAX_SKEW_SECONDS", 300)):
        return False
    expected = hashlib.sha1(  # noqa: S324 - WeChat's callback signature is SHA-1 by definition
        "".join(sorted([account.token, timestamp, nonce])).encode()
    ).hexdigest()
    return hmac.compare_digest(expected, signature or "")


def parse_message(body: bytes) -> dict[str, str]:
    """The callback's XML as a flat dict (WeChat messages are one level deep)."""
    if len(body) > MAX_BODY_BYTES:
        raise WeChatError("message too large")
    try:
        root: Element = ElementTree.fromstring(body, forbid_dtd=True)
    except Exception as exc:  # defusedxml raises several kinds; all mean "not a message"
        raise WeChatError(f"not a WeChat XML message: {exc}") from exc
    if root.tag != "xml":
        raise WeChatError("not a WeChat XML message")
    return {child.tag: (child.text or "") for child in root}


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_reply(message: dict[str, str], content: str) -> str:
    """A passive reply: to the sender, from the account, within the callback's response."""
    return (
        "<xml>"
        f"<ToUserName>{_cdata(message.get('FromUserName', ''))}</ToUserName>"
        f"<FromUserName>{_cdata(message.get('ToUserName', ''))}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType>{_cdata('text')}</MsgType>"
        f"<Content>{_cdata(content)}</Content>"
        "</xml>"
    )


def external_id(account: WeChatAccount, openid: str) -> str:
    return f"{account.code}:{openid}"


def message_key(message: dict[str, str]) -> str:
    """What makes a message the same one when WeChat retries it (events have no MsgId)."""
    return (
        message.get("MsgId")
        or message.get("FromUserName", "")
        + message.get("CreateTime", "")
        + message.get("Event", "")
        # Two different menu clicks within the same second are two messages.
        + message.get("EventKey", "")
    )[:120]


def inbound_of(account: WeChatAccount, message: dict[str, str]) -> Inbound | None:
    """The customer's words in a message: text, recognised speech or a menu click's text."""
    kind = message.get("MsgType", "")
    openid = message.get("FromUserName", "")
    if not openid:
        raise WeChatError("the message has no sender")
    text = ""
    if kind == "text":
        text = message.get("Content", "")
    elif kind == "voice":
        text = message.get("Recognition", "")
    elif kind == "event" and message.get("Event", "").upper() == "CLICK":
        entry = (account.menu or {}).get(message.get("EventKey", ""))
        text = entry.get("text", "") if isinstance(entry, dict) else ""
    if not text.strip():
        return None
    return Inbound(
        CHANNEL,
        external_id(account, openid),
        text[:1000],
        source="menu" if kind == "event" else "text",
        meta={"message": message},
    )


class WeChatAdapter:
    """`ChannelAdapter` for an Official Account's message callback."""

    channel = CHANNEL

    def authenticate(self, request: Any) -> WeChatAccount:
        account = WeChatAccount.objects.filter(
            code=request.resolver_match.kwargs.get("account"), is_active=True
        ).first()
        if account is None:
            raise WeChatError("no such account", code=404)
        if not signature_valid(
            account,
            signature=request.GET.get("signature", ""),
            timestamp=request.GET.get("timestamp", ""),
            nonce=request.GET.get("nonce", ""),
        ):
            raise WeChatError("bad signature", code=403)
        return account

    def message(self, request: Any) -> dict[str, str]:
        """The callback's message, parsed once per request."""
        parsed = getattr(request, "_wechat_message", None)
        if parsed is None:
            parsed = parse_message(request.body)
            request._wechat_message = parsed
        return parsed

    def inbound(self, request: Any, principal: WeChatAccount) -> Inbound | None:
        return inbound_of(principal, self.message(request))

    def outbound(self, inbound: Inbound, session_id: Any, result: TurnResult | str) -> str:
        """The passive reply to the inbound's message; `result` may be its text already
        (the callback waits for a turn run elsewhere, which hands over the text only)."""
        text = result if isinstance(result, str) else reply_text(result, inbound.language)
        return self.render(inbound.meta["message"], text)

    def render(self, message: dict[str, str], text: str) -> str:
        """The passive XML reply, or WeChat's "success" (no reply, no retry) for no text."""
        return text_reply(message, text) if text else "success"


# ----------------------------------------------------------------------------- API client


def follower_of(identity: ChannelIdentity) -> tuple[WeChatAccount, str] | None:
    """The active official account and the openid a linked identity ("account:openid") is
    messaged through; None when the account is gone or disabled."""
    account_code, _sep, openid = identity.external_id.partition(":")
    account = WeChatAccount.objects.filter(code=account_code, is_active=True).first()
    if account is None or not openid:
        return None
    return account, openid


# ----------------------------------------------------------------------------- domain events


def _send_later(session_id: Any, text: str) -> None:
    """An agent's words (or the hand-back's reply) to the follower: stored with the turn, sent
    once it is committed, retried if WeChat fails (devices.omni.outbox)."""
    if not text:
        return
    identity = (
        ChannelIdentity.objects.filter(channel=CHANNEL, session_id=session_id)
        .order_by("-last_seen_at")
        .first()
    )
    if identity is None:
        return
    follower = follower_of(identity)
    if follower is None:
        log.warning("no active WeChat account for %s: agent's words not sent", identity)
        return
    account, openid = follower
    outbound = outbox.wechat_outbound_create(
        account=account,
        openid=openid,
        text=text,
        kind=WeChatOutbound.Kind.AGENT,
        session_id=session_id,
    )
    transaction.on_commit(lambda: outbox.wechat_outbound_send(outbound_id=outbound.pk))


def _agent_said(event: events.AgentSaid) -> None:
    _send_later(event.session_id, event.text)


def _handoff_ended(event: events.HandoffEnded) -> None:
    _send_later(event.session_id, event.result.reply)


def subscribe_events() -> None:
    events.subscribe(events.AgentSaid, _agent_said)
    events.subscribe(events.HandoffEnded, _handoff_ended)


def result_text(result: TurnResult, language: str) -> str:
    return reply_text(result, language)


# ----------------------------------------------------------------------------- the 5-second rule


class TurnRunner(Protocol):
    def submit(self, function: Callable[..., None], *args: Any) -> Future[None]: ...


class WorkerThreads:
    """Turns on threads of their own, so the callback can stop waiting and still answer.

    Each job closes its thread's stale database connections before and after, as channels'
    `database_sync_to_async` does for the avatar socket.
    """

    def __init__(self) -> None:
        self.pool: ThreadPoolExecutor | None = None
        self.lock = threading.Lock()

    def submit(self, function: Callable[..., None], *args: Any) -> Future[None]:
        with self.lock:  # one pool per process, sized by the settings when first needed
            if self.pool is None:
                self.pool = ThreadPoolExecutor(
                    max_workers=int(getattr(settings, "WECHAT_TURN_THREADS", 8)),
                    thread_name_prefix="wechat-turn",
                )

        def job() -> None:
            close_old_connections()
            try:
                function(*args)
            finally:
                close_old_connections()

        return self.pool.submit(job)


# Replaced by the test suite to run turns on the test's own connection (tests/conftest.py).
RUNNER: TurnRunner = WorkerThreads()


def passive_reply_seconds() -> float:
    return float(getattr(settings, "WECHAT_PASSIVE_REPLY_SECONDS", 4.5))


def message_receive(account: WeChatAccount, inbound: Inbound) -> tuple[WeChatMessage, bool]:
    """Store the message (committed) before anything is answered; False for WeChat's retry."""
    message = inbound.meta["message"]
    key = message_key(message)
    try:
        with transaction.atomic():
            row = WeChatMessage.objects.create(
                account=account,
                msg_key=key,
                openid=message.get("FromUserName", "")[:120],
                text=inbound.text,
            )
        return row, True
    except IntegrityError:
        return WeChatMessage.objects.get(account=account, msg_key=key), False


def message_answer(message_id: int, inbound: Inbound, scenario: str) -> None:
    """Run the message's turn; hand the reply to the waiting callback, or send it late."""
    session_id = None
    try:
        session, result = converse(inbound, scenario=scenario)
        session_id = session.pk
        with translation.override(session.language):
            text = reply_text(result, session.language)
    except DialogueError as exc:
        log.info("WeChat turn refused: %s", exc)
        with translation.override(inbound.language):
            text = _("Sorry, that message could not be handled: %(reason)s") % {"reason": exc}
    except Exception:
        log.exception("WeChat turn failed for message %s", message_id)
        with translation.override(inbound.language):
            text = _("Sorry, something went wrong. Your message was kept; please retry.")
    done = {"reply": text, "session_id": session_id, "answered_at": timezone.now()}
    rows = WeChatMessage.objects.filter(pk=message_id)
    if rows.filter(state=WeChatMessage.State.RECEIVED).update(
        state=WeChatMessage.State.ANSWERED, **done
    ):
        return  # the callback is still waiting: it replies passively
    rows.update(**done)
    message_deliver_late(message_id)


def message_deliver_late(message_id: int) -> None:
    """The reply to a message the callback answered "success" to, via the customer-service API:
    stored as the message's one `WeChatOutbound` and sent (retried later if WeChat fails)."""
    message = WeChatMessage.objects.select_related("account").get(pk=message_id)
    if message.state != WeChatMessage.State.LATE:
        return
    if not message.reply:
        WeChatMessage.objects.filter(pk=message_id).update(state=WeChatMessage.State.SENT)
        return
    outbound = outbox.wechat_outbound_create(
        account=message.account,
        openid=message.openid,
        text=message.reply,
        kind=WeChatOutbound.Kind.REPLY,
        message=message,
        session_id=message.session_id,
    )
    outbox.wechat_outbound_send(outbound_id=outbound.pk)


def _take_passive(message_id: int) -> str | None:
    """The answer, once, if it is ready; the callback then replies with it."""
    rows = WeChatMessage.objects.filter(pk=message_id, state=WeChatMessage.State.ANSWERED)
    if rows.update(state=WeChatMessage.State.PASSIVE):
        return WeChatMessage.objects.values_list("reply", flat=True).get(pk=message_id)
    return None


def callback_answer(account: WeChatAccount, inbound: Inbound) -> str:
    """The passive reply's text for a message, or "" ("success") when it will come later.

    The message is stored first; its turn runs on `RUNNER` while the callback waits up to
    `WECHAT_PASSIVE_REPLY_SECONDS` (WeChat gives up at 5 s and retries). A turn not done by
    then is answered later through the customer-service message API. A retried message runs
    no second turn: it gets the first one's passive reply again if that went out (WeChat
    retries when it did not receive it), else "success".
    """
    row, new = message_receive(account, inbound)
    if not new:
        if row.state == WeChatMessage.State.PASSIVE:
            return row.reply
        return ""
    job = RUNNER.submit(message_answer, row.pk, inbound, account.scenario)
    try:
        job.result(timeout=passive_reply_seconds())
    except FutureTimeout:
        pass
    except Exception:
        log.exception("WeChat turn runner failed for message %s", row.pk)
    reply = _take_passive(row.pk)
    if reply is not None:
        return reply
    rows = WeChatMessage.objects.filter(pk=row.pk, state=WeChatMessage.State.RECEIVED)
    if rows.update(state=WeChatMessage.State.LATE):
        return ""
    # The turn finished between the wait and now.
    return _take_passive(row.pk) or ""


def _landed_reply(message: WeChatMessage) -> str | None:
    """The reply, when the message's turn was stored before its process died."""
    identity = ChannelIdentity.objects.filter(
        channel=CHANNEL, external_id=f"{message.account.code}:{message.openid}"
    ).first()
    if identity is None or identity.session_id is None:
        return None
    turns = Turn.objects.filter(session_id=identity.session_id, created_at__gte=message.received_at)
    asked = (
        turns.filter(role=Turn.Role.CUSTOMER, text=mask_pii(message.text).text)
        .order_by("seq")
        .first()
    )
    if asked is None:
        return None
    answer = turns.filter(seq__gt=asked.seq).exclude(role=Turn.Role.CUSTOMER).order_by("seq")
    return answer.values_list("text", flat=True).first() or ""


def wechat_messages_recover(*, stale_after: timedelta, max_attempts: int = 3) -> dict[str, int]:
    """Finish the messages a process left behind when it died mid-turn.

    A message still `received` or `late` without an answer long after its turn started was
    answered "success" (or not at all) and would otherwise never get its reply: its turn runs
    again, unless it was stored before the crash, in which case only its reply is sent.
    """
    now = timezone.now()
    report = {"rerun": 0, "resent": 0, "given_up": 0}
    stuck = WeChatMessage.objects.select_related("account").filter(
        state__in=[WeChatMessage.State.RECEIVED, WeChatMessage.State.LATE],
        answered_at__isnull=True,
        tried_at__lt=now - stale_after,
    )
    for message in stuck:
        rows = WeChatMessage.objects.filter(pk=message.pk, tried_at=message.tried_at)
        if message.attempts >= max_attempts:
            if rows.update(state=WeChatMessage.State.FAILED, error="turn never finished"):
                report["given_up"] += 1
            continue
        # Claimed by this sweep only (another process's sweep finds tried_at changed).
        if not rows.update(
            state=WeChatMessage.State.LATE, tried_at=now, attempts=F("attempts") + 1
        ):
            continue
        reply = _landed_reply(message)
        if reply is not None:
            WeChatMessage.objects.filter(pk=message.pk).update(reply=reply, answered_at=now)
            message_deliver_late(message.pk)
            report["resent"] += 1
            continue
        inbound = Inbound(
            CHANNEL,
            external_id(message.account, message.openid),
            message.text,
            meta={"message": {"FromUserName": message.openid}},
        )
        message_answer(message.pk, inbound, message.account.scenario)
        report["rerun"] += 1
    return report
