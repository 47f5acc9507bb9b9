"""Repayment reminders over WeChat go through the durable outbox too: the reminder task only
queues the message, and the reminder says what became of it (queued -> sent or failed),
against the local fake of the WeChat API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from devices.omni.base import identity_for, identity_link
from devices.omni.models import WeChatAccount, WeChatOutbound
from devices.omni.outbox import wechat_outbound_resend
from devices.omni.tasks import wechat_outbound_send_task
from scenarios.models import RepaymentReminder
from scenarios.notifications import delivery_record
from scenarios.reminders import repayment_reminder_schedule, repayment_reminder_send
from tests.channel_listener import capture_commits
from tests.factories import unpaid_statement
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, FakeWeChatAPI

pytestmark = pytest.mark.django_db


@pytest.fixture
def account() -> WeChatAccount:
    cache.delete("omni:wechat:token:bank")
    return WeChatAccount.objects.create(
        code="bank", app_id=APP_ID, app_secret=APP_SECRET, token="callback-token"
    )


@pytest.fixture
def reminder() -> RepaymentReminder:
    statement = unpaid_statement(
        customer_no="C209920001",
        full_name="王小明",
        language="zh-hans",
        last4="8888",
        new_balance="1200.00",
        minimum_payment="120.00",
    )
    card = statement.card
    return repayment_reminder_schedule(
        card=card, statement=statement, days_before=2, channel="wechat"
    )


def _follow(reminder: RepaymentReminder) -> None:
    identity_link(identity=identity_for("wechat", "bank:openid-r"), customer=reminder.card.customer)


def _outbound(reminder: RepaymentReminder) -> WeChatOutbound:
    return WeChatOutbound.objects.get(reference=f"reminder:{reminder.pk}")


def test_a_wechat_reminder_is_queued_then_sent_once_wechat_accepts_it(
    account: WeChatAccount, reminder: RepaymentReminder
) -> None:
    _follow(reminder)
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        with capture_commits():
            queued = repayment_reminder_send(reminder_id=reminder.pk)
            # Inside the task's transaction nothing went to WeChat: it is only queued.
            assert api.sent == []
            assert queued.status == "queued"
            assert queued.sent_at is None
            assert queued.delivery_ref == f"wechat-outbox:{_outbound(reminder).pk}"
    assert len(api.sent) == 1
    assert "尾号8888" in api.sent[0]["text"]["content"]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.delivery_ref, reminder.error) == ("sent", "wechat:1", "")
    assert reminder.sent_at is not None
    assert _outbound(reminder).kind == "reminder"
    # Sent once: the task firing again changes nothing.
    assert repayment_reminder_send(reminder_id=reminder.pk).status == "sent"
    assert WeChatOutbound.objects.count() == 1


def test_a_retryable_failure_keeps_the_reminder_queued_until_the_retry_sends_it(
    account: WeChatAccount, reminder: RepaymentReminder
) -> None:
    _follow(reminder)
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        api.fail_next(-1)  # "system busy"
        with capture_commits():
            repayment_reminder_send(reminder_id=reminder.pk)
        reminder.refresh_from_db()
        assert reminder.status == "queued"
        outbound = _outbound(reminder)
        WeChatOutbound.objects.filter(pk=outbound.pk).update(
            next_attempt_at=timezone.now() - timedelta(seconds=1)
        )
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.delivery_ref) == ("sent", "wechat:1")


def test_wechat_giving_up_fails_the_reminder_with_the_reason_and_staff_may_send_it_again(
    account: WeChatAccount, reminder: RepaymentReminder
) -> None:
    _follow(reminder)
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        api.fail_next(43004)  # the follower unfollowed
        with capture_commits():
            repayment_reminder_send(reminder_id=reminder.pk)
        reminder.refresh_from_db()
        assert reminder.status == "failed"
        assert "43004" in reminder.error
        outbound = _outbound(reminder)
        assert wechat_outbound_resend(outbound_id=outbound.pk) is True
        reminder.refresh_from_db()
        assert reminder.status == "queued"  # being tried again
        assert reminder.error == ""  # the give-up's reason no longer describes it
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    reminder.refresh_from_db()
    assert (reminder.status, reminder.error) == ("sent", "")


def test_a_customer_without_a_linked_follower_fails_the_reminder_at_once(
    account: WeChatAccount, reminder: RepaymentReminder
) -> None:
    sent = repayment_reminder_send(reminder_id=reminder.pk)
    assert (sent.status, sent.error) == ("failed", "the customer has no linked WeChat account")
    assert sent.message  # what would have been said is kept
    assert not WeChatOutbound.objects.exists()


def test_a_delivery_report_reaches_only_the_part_of_the_domain_that_owns_the_reference(
    reminder: RepaymentReminder,
) -> None:
    assert delivery_record(reference="statement:7", delivered=True) is False
    assert delivery_record(reference="reminder:999999", delivered=False) is False
    # A scheduled reminder is not waiting for a channel: a stray report moves nothing.
    assert delivery_record(reference=f"reminder:{reminder.pk}", delivered=True) is True
    reminder.refresh_from_db()
    assert reminder.status == "scheduled"
