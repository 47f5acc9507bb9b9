"""Delivery channels of the channel layer for reminders and outbound campaigns.

Registered into `scenarios.notifications` (the domain's channel registry) at start-up, so a
campaign or reminder names `wechat` or `voice` without the domain importing this app.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from devices.omni import outbox
from devices.omni.models import ChannelIdentity, WeChatOutbound
from devices.omni.wechat import CHANNEL as WECHAT
from devices.omni.wechat import follower_of
from scenarios.models import Customer
from scenarios.notifications import CHANNELS, Delivery, NotificationError

# WeChat lets an account message a follower freely only within 48 hours of their last message.
WECHAT_SERVICE_WINDOW = timedelta(hours=48)
HTTP_TIMEOUT_SECONDS = 10


class WeChatChannel:
    """A customer-service message to the customer's linked WeChat follower.

    What is certain at once is refused at once (no linked follower, outside the 48-hour
    window). The message is then stored in the outbox (devices.omni.outbox) and sent once the
    caller's transaction commits, so no WeChat call runs inside it and a failure is retried;
    it returns a queued `Delivery` and the outbox reports the delivery back under
    `reference` (a campaign contact's or a repayment reminder's).
    """

    # The outbox's kind of each message the domain sends through this channel.
    KINDS: ClassVar[dict[str, str]] = {
        "campaign": WeChatOutbound.Kind.CAMPAIGN,
        "repayment_reminder": WeChatOutbound.Kind.REMINDER,
    }

    code: ClassVar[str] = "wechat"

    def send(
        self, *, customer: Customer, kind: str, language: str, title: str, body: str, reference: str
    ) -> Delivery:
        identity = (
            ChannelIdentity.objects.filter(channel=WECHAT, customer=customer)
            .order_by("-last_seen_at")
            .first()
        )
        if identity is None:
            raise NotificationError("the customer has no linked WeChat account")
        if identity.last_seen_at < timezone.now() - WECHAT_SERVICE_WINDOW:
            raise NotificationError("outside WeChat's 48-hour customer-service window")
        if kind not in self.KINDS:
            raise NotificationError(f"WeChat does not carry {kind!r} messages")
        text = f"{title}\n{body}" if title else body
        follower = follower_of(identity)
        if follower is None:
            raise NotificationError(f"no active WeChat account for {identity.external_id}")
        account, openid = follower
        row = outbox.wechat_outbound_create(
            account=account,
            openid=openid,
            text=text,
            kind=self.KINDS[kind],
            reference=reference,
        )
        # robust: a send that breaks after the commit must not stop the campaign run or the
        # reminder task; the row stays pending and the outbox sweep sends it.
        transaction.on_commit(lambda: outbox.wechat_outbound_send(outbound_id=row.pk), robust=True)
        return Delivery(f"wechat-outbox:{row.pk}", queued=True)


class VoiceCallChannel:
    """An outbound call through the bank's voice gateway (a call-centre platform's HTTP API).

    `POST {OMNI_VOICE_API_URL}/calls` with the script's opening text; the gateway dials, speaks
    it (TTS) and reports back to `/omni/voice/callback/` (answered, speech, keypad, hang-up).
    """

    code: ClassVar[str] = "voice"

    def send(
        self, *, customer: Customer, kind: str, language: str, title: str, body: str, reference: str
    ) -> Delivery:
        base = str(getattr(settings, "OMNI_VOICE_API_URL", "")).rstrip("/")
        if not base.startswith(("https://", "http://")):
            raise NotificationError("no voice gateway configured (OMNI_VOICE_API_URL)")
        payload = {
            "reference": reference,
            "customer_no": customer.customer_no,
            "language": language,
            "text": body,
            "callback_url": str(getattr(settings, "OMNI_VOICE_CALLBACK_URL", "")),
        }
        request = urllib.request.Request(  # noqa: S310 - http(s) checked above
            f"{base}/calls",
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {getattr(settings, 'OMNI_VOICE_API_KEY', '')}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
                answer = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            raise NotificationError(f"voice gateway answered HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, ValueError) as exc:
            raise NotificationError(f"voice gateway unreachable: {exc}") from exc
        call_id = answer.get("call_id") if isinstance(answer, dict) else None
        if not call_id:
            raise NotificationError("voice gateway gave no call id")
        return Delivery(f"call:{call_id}")


def register() -> None:
    CHANNELS[WeChatChannel.code] = WeChatChannel()
    CHANNELS[VoiceCallChannel.code] = VoiceCallChannel()
