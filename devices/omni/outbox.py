"""Durable customer-service messages to WeChat followers: stored, retried, given up with a reason.

A late reply (the callback answered "success" after the 5-second rule), an agent's words, a
campaign message or a repayment reminder (devices.omni.delivery) are a `WeChatOutbound` row
first;
`wechat_outbound_send` then calls the customer-service message API:

- accepted: `sent` (and the message it answers `sent`);
- a failure WeChat may recover from (network down, "system busy" -1, a rate limit, an access
  token that stayed invalid after the client fetched a new one): `pending` again, with the error,
  and a django-q2 one-off schedule tries it after a backoff that doubles each attempt
  (`WECHAT_SEND_RETRY_SECONDS`, at most an hour), up to `WECHAT_SEND_MAX_ATTEMPTS`;
- WeChat refusing the follower for good (unfollowed, outside the 48-hour window, unknown
  openid, too many unanswered messages): given up at once, no point retrying;
- an exchange that broke after the request may have reached WeChat (a timeout, a cut
  connection): given up as "may have been delivered" — the customer-service API has no
  idempotency key, and a customer reading the same answer twice is worse than staff resending
  it from the admin after checking.

A row with a `reference` (a campaign's `outbound:<attempt id>`, a repayment reminder's
`reminder:<id>`) reports its end to the domain in the same transaction as its own state: sent
(with WeChat's msgid), given up (with the reason), or due again after staff's "send again"
(scenarios.notifications.delivery_record; the part of the domain that owns the reference
records it).

Each attempt claims the row (`pending` -> `sending`, one conditional UPDATE) before calling
WeChat, so two workers, a late schedule and the sweep never send it twice; a row left
`sending` by a dead process is given up as "may have been delivered" by the sweep.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from devices.omni.models import WeChatAccount, WeChatMessage, WeChatOutbound
from devices.omni.wechat_api import WeChatClient, WeChatError
from scenarios.notifications import delivery_record

log = logging.getLogger(__name__)

TASK = "devices.omni.tasks.wechat_outbound_send_task"
# errcodes that retrying cannot fix: unknown openid, unfollowed, the 48-hour customer-service
# window has passed (45015), too many messages without the follower's answer, API not granted.
REFUSED_FOR_GOOD = {40003, 43004, 45015, 45047, 48001}
# A row `sending` this long was claimed by a process that died during the call.
STUCK_AFTER = timedelta(minutes=5)


def max_attempts() -> int:
    return int(getattr(settings, "WECHAT_SEND_MAX_ATTEMPTS", 6))


def retry_delay(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, 4 min ... (doubling), never more than an hour."""
    base = float(getattr(settings, "WECHAT_SEND_RETRY_SECONDS", 30))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


@transaction.atomic
def wechat_outbound_create(
    *,
    account: WeChatAccount,
    openid: str,
    text: str,
    kind: str,
    message: WeChatMessage | None = None,
    session_id: Any = None,
    reference: str = "",
) -> WeChatOutbound:
    """The message to send, stored; a message's reply is stored once however often asked.
    `reference`: what the domain knows it as, to report its delivery back under."""
    fields = {
        "account": account,
        "openid": openid[:120],
        "text": text,
        "kind": kind,
        "session_id": session_id,
        "reference": reference[:80],
    }
    if message is not None:
        outbound, _created = WeChatOutbound.objects.get_or_create(message=message, defaults=fields)
        return outbound
    return WeChatOutbound.objects.create(**fields)


def _claim(outbound_id: int, now: datetime) -> bool:
    return bool(
        WeChatOutbound.objects.filter(
            pk=outbound_id, state=WeChatOutbound.State.PENDING, next_attempt_at__lte=now
        ).update(state=WeChatOutbound.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )


def _message_rows(outbound: WeChatOutbound) -> QuerySet[WeChatMessage]:
    # `failed` too: staff may send a given-up reply again from the admin.
    return WeChatMessage.objects.filter(
        pk=outbound.message_id or 0,
        state__in=[WeChatMessage.State.LATE, WeChatMessage.State.FAILED],
    )


def _report(
    outbound: WeChatOutbound, *, delivered: bool | None, msgid: str = "", error: str = ""
) -> None:
    """Tell the domain what became of the message it queued (nothing for one it did not)."""
    if outbound.reference:
        delivery_record(
            reference=outbound.reference,
            delivered=delivered,
            delivery_ref=f"wechat:{msgid}" if msgid else "",
            error=error,
        )


@transaction.atomic
def _give_up(outbound: WeChatOutbound, reason: str, error: str) -> None:
    given_up = WeChatOutbound.objects.filter(
        pk=outbound.pk, state=WeChatOutbound.State.SENDING
    ).update(state=WeChatOutbound.State.GAVE_UP, gave_up=reason, last_error=error[:300])
    if outbound.message_id:
        _message_rows(outbound).update(state=WeChatMessage.State.FAILED, error=error[:300])
    if given_up:
        _report(
            outbound,
            delivered=False,
            # Not the translated label: the attempt's errors are plain English, like the
            # channels' refusals.
            error=f"WeChat gave up ({reason}): {error}",
        )


def _schedule_retry(outbound_id: int, attempts: int, when: datetime) -> None:
    from django_q.models import Schedule

    Schedule.objects.update_or_create(
        name=f"omni-wechat-send-{outbound_id}-{attempts}",
        defaults={
            "func": TASK,
            "args": repr(outbound_id),
            "schedule_type": Schedule.ONCE,
            "repeats": 1,
            "next_run": when,
        },
    )


def wechat_outbound_send(*, outbound_id: int, now: datetime | None = None) -> str:
    """One attempt at sending, if the row is due and nobody else is sending it; its state after.

    Not atomic on purpose: the claim must be committed before WeChat is called, and the
    outcome recorded whatever happens to the caller's transaction.
    """
    now = now or timezone.now()
    if not _claim(outbound_id, now):
        return str(
            WeChatOutbound.objects.filter(pk=outbound_id).values_list("state", flat=True).first()
        )
    outbound = WeChatOutbound.objects.select_related("account").get(pk=outbound_id)
    try:
        payload = WeChatClient(outbound.account).send_text(outbound.openid, outbound.text)
    except WeChatError as exc:
        error = str(exc)
        log.warning("WeChat send %s (attempt %s) failed: %s", outbound.pk, outbound.attempts, exc)
        if exc.code in REFUSED_FOR_GOOD:
            _give_up(outbound, WeChatOutbound.GiveUp.REFUSED, error)
        elif exc.maybe_delivered:
            _give_up(outbound, WeChatOutbound.GiveUp.UNKNOWN, error)
        elif outbound.attempts >= max_attempts():
            _give_up(outbound, WeChatOutbound.GiveUp.ATTEMPTS, error)
        else:
            when = now + retry_delay(outbound.attempts)
            WeChatOutbound.objects.filter(
                pk=outbound.pk, state=WeChatOutbound.State.SENDING
            ).update(
                state=WeChatOutbound.State.PENDING, next_attempt_at=when, last_error=error[:300]
            )
            if outbound.message_id:
                _message_rows(outbound).update(error=error[:300])
            _schedule_retry(outbound.pk, outbound.attempts, when)
        return str(WeChatOutbound.objects.values_list("state", flat=True).get(pk=outbound.pk))
    msgid = str(payload.get("msgid", ""))[:40]
    # The row and what it delivers (a reply, a campaign contact) are sent together or not.
    with transaction.atomic():
        WeChatOutbound.objects.filter(pk=outbound.pk).update(
            state=WeChatOutbound.State.SENT, sent_at=timezone.now(), wechat_msgid=msgid
        )
        if outbound.message_id:
            _message_rows(outbound).update(state=WeChatMessage.State.SENT, error="")
        _report(outbound, delivered=True, msgid=msgid)
    return WeChatOutbound.State.SENT


def wechat_outbound_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The safety net the recovery schedule runs: due sends whose one-off schedule was lost are
    sent, and sends a dead process left `sending` are given up (they may have gone out)."""
    now = now or timezone.now()
    report = {"sends_retried": 0, "sends_stuck": 0}
    stuck = WeChatOutbound.objects.filter(
        state=WeChatOutbound.State.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    for outbound in stuck:
        _give_up(outbound, WeChatOutbound.GiveUp.UNKNOWN, "the sending process stopped mid-call")
        report["sends_stuck"] += 1
    # Due a minute ago and still pending: its schedule did not run (a schedule runs on time).
    overdue = WeChatOutbound.objects.filter(
        state=WeChatOutbound.State.PENDING, next_attempt_at__lt=now - timedelta(minutes=1)
    ).values_list("pk", flat=True)
    for outbound_id in list(overdue):
        wechat_outbound_send(outbound_id=outbound_id, now=now)
        report["sends_retried"] += 1
    return report


@transaction.atomic
def wechat_outbound_resend(*, outbound_id: int) -> bool:
    """Staff decided a given-up message should go out (after checking the follower did not
    get it): it is due again now with a fresh set of attempts (a campaign contact waits
    again: queued, until this send reports back)."""
    resent = bool(
        WeChatOutbound.objects.filter(pk=outbound_id, state=WeChatOutbound.State.GAVE_UP).update(
            state=WeChatOutbound.State.PENDING,
            gave_up="",
            attempts=0,
            next_attempt_at=timezone.now(),
        )
    )
    if resent:
        _report(WeChatOutbound.objects.get(pk=outbound_id), delivered=None)
    return resent
