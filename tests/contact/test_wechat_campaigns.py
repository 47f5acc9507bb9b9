"""Campaign messages over WeChat go through the durable outbox (devices.omni.outbox): the run
only queues them, and the contact attempt says what became of each (queued -> sent or failed),
against the local fake of the WeChat API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone

from devices.omni.base import identity_for, identity_link
from devices.omni.models import WeChatAccount, WeChatOutbound
from devices.omni.outbox import wechat_outbound_sweep
from devices.omni.tasks import wechat_outbound_send_task
from scenarios.models import Customer
from scenarios.outbound.models import Campaign, ContactAttempt, ContactConsent, Segment
from scenarios.outbound.selectors import campaign_figures
from scenarios.outbound.services import (
    OutboundError,
    attempt_outcome_record,
    attempt_reply,
    campaign_run,
    contact_delivery_record,
)
from tests.channel_listener import capture_commits
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, FakeWeChatAPI

pytestmark = pytest.mark.django_db
OPENING = "您好，境外消费返现，回复1了解"


@pytest.fixture
def account() -> WeChatAccount:
    # Another test's fake may have left its token in the (shared) cache.
    cache.delete("omni:wechat:token:bank")
    return WeChatAccount.objects.create(
        code="bank", app_id=APP_ID, app_secret=APP_SECRET, token="callback-token"
    )


@pytest.fixture
def customer() -> Customer:
    customer = Customer.objects.filter(segment="traveller").order_by("pk").first()
    ContactConsent.objects.create(customer=customer, marketing=True)
    return customer


@pytest.fixture
def campaign(customer: Customer) -> Campaign:
    segment = Segment.objects.create(
        code="wx", name="wx", rules={"personas": ["traveller"], "languages": ["zh-hans"]}
    )
    return Campaign.objects.create(
        code="wx-travel",
        name="旅行季",
        segment=segment,
        channel="wechat",
        status="running",
        script={
            "start": "open",
            "steps": {
                "open": {"text": {"zh-hans": OPENING}, "replies": {"1": "interested"}},
            },
        },
        starts_at=timezone.now() - timedelta(days=1),
        quiet_from="00:00",
        quiet_until="00:00",
    )


def _follow(customer: Customer, openid: str = "openid-c") -> None:
    """The customer follows the account and wrote to it recently (inside the 48-hour window)."""
    identity_link(identity=identity_for("wechat", f"bank:{openid}"), customer=customer)


def _point(account: WeChatAccount, base_url: str) -> None:
    WeChatAccount.objects.filter(pk=account.pk).update(api_base=base_url)


def _attempt(campaign: Campaign, customer: Customer) -> ContactAttempt:
    return ContactAttempt.objects.get(campaign=campaign, customer=customer)


def _when_due(outbound: WeChatOutbound) -> None:
    WeChatOutbound.objects.filter(pk=outbound.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_wechat_campaign_message_is_queued_then_sent_once_wechat_accepts_it(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        with capture_commits():
            report = campaign_run(campaign)
            # Inside the run's transaction nothing went to WeChat: it is only queued.
            assert api.sent == []
            queued = _attempt(campaign, customer)
            outbound = WeChatOutbound.objects.get(reference=f"outbound:{queued.pk}")
            assert (queued.status, queued.delivery_ref) == (
                "queued",
                f"wechat-outbox:{outbound.pk}",
            )
    assert (report.queued, report.sent, report.failed) == (1, 0, 0)
    assert api.sent == [
        {"touser": "openid-c", "msgtype": "text", "text": {"content": f"旅行季\n{OPENING}"}}
    ]
    outbound.refresh_from_db()
    assert (outbound.kind, outbound.state, outbound.wechat_msgid) == ("campaign", "sent", "1")
    attempt = _attempt(campaign, customer)
    assert (attempt.status, attempt.delivery_ref, attempt.error) == ("sent", "wechat:1", "")
    # Delivered: the customer's answer now has an outcome.
    assert attempt_reply(attempt_id=attempt.pk, text="1")["outcome"] == "interested"


def test_a_retryable_failure_keeps_the_contact_queued_until_the_retry_sends_it(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1)  # "system busy"
        with capture_commits():
            campaign_run(campaign)
        attempt = _attempt(campaign, customer)
        outbound = WeChatOutbound.objects.get(reference=f"outbound:{attempt.pk}")
        assert (outbound.state, outbound.attempts) == ("pending", 1)
        assert attempt.status == "queued"
        # Not delivered yet, so nothing came of it yet.
        with pytest.raises(OutboundError):
            attempt_outcome_record(attempt_id=attempt.pk, outcome="reached")
        [row] = campaign_figures(timezone.localdate(), timezone.localdate(), "wx-travel")
        assert (row["sent"], row["queued"], row["failed"]) == (0, 1, 0)
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.delivery_ref) == ("sent", "wechat:1")
    assert len(api.refused) == 1
    assert len(api.sent) == 1


def test_wechat_refusing_the_follower_for_good_fails_the_contact_and_staff_may_resend_it(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(45015)  # outside the customer-service window, as WeChat counts it
        with capture_commits():
            campaign_run(campaign)
        attempt = _attempt(campaign, customer)
        outbound = WeChatOutbound.objects.get(reference=f"outbound:{attempt.pk}")
        assert (outbound.state, outbound.gave_up) == ("gave_up", "refused")
        assert attempt.status == "failed"
        assert "refused" in attempt.error
        assert "45015" in attempt.error
        # The follower wrote again; staff send the given-up message again from the admin.
        staff = get_user_model().objects.create_superuser("wx-admin", "wx@example.com", "x")
        client = Client()
        client.force_login(staff)
        page = client.get("/admin/omni/wechatoutbound/?kind__exact=campaign").content.decode()
        assert f"outbound:{attempt.pk}" in page
        response = client.post(
            "/admin/omni/wechatoutbound/",
            {"action": "send_again", "_selected_action": [outbound.pk]},
        )
        assert response.status_code == 302
    attempt.refresh_from_db()
    assert (attempt.status, attempt.delivery_ref, attempt.error) == ("sent", "wechat:1", "")
    assert len(api.sent) == 1


def test_a_customer_without_a_linked_follower_fails_at_once_and_nothing_is_queued(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    with capture_commits():
        report = campaign_run(campaign)
    attempt = _attempt(campaign, customer)
    assert (report.failed, report.queued) == (1, 0)
    assert (attempt.status, attempt.error) == (
        "failed",
        "the customer has no linked WeChat account",
    )
    assert not WeChatOutbound.objects.exists()


def test_a_reply_to_a_queued_contact_proves_it_was_delivered(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1)
        with capture_commits():
            campaign_run(campaign)
        attempt = _attempt(campaign, customer)
        assert attempt.status == "queued"
        assert attempt_reply(attempt_id=attempt.pk, text="1")["outcome"] == "interested"
        attempt.refresh_from_db()
        assert (attempt.status, attempt.outcome) == ("sent", "interested")
        # The outbox's later report only names the delivery; a give-up would not unsay it.
        outbound = WeChatOutbound.objects.get(reference=f"outbound:{attempt.pk}")
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    attempt.refresh_from_db()
    assert (attempt.status, attempt.outcome, attempt.delivery_ref) == (
        "sent",
        "interested",
        "wechat:1",
    )
    contact_delivery_record(reference=f"outbound:{attempt.pk}", delivered=False, error="late")
    attempt.refresh_from_db()
    assert attempt.status == "sent"


def test_a_send_whose_process_died_fails_the_contact_as_maybe_delivered(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    campaign_run(campaign)  # its on-commit send never runs: the process died
    attempt = _attempt(campaign, customer)
    outbound = WeChatOutbound.objects.get(reference=f"outbound:{attempt.pk}")
    WeChatOutbound.objects.filter(pk=outbound.pk).update(
        state="sending", claimed_at=timezone.now() - timedelta(minutes=10)
    )
    assert wechat_outbound_sweep()["sends_stuck"] == 1
    attempt.refresh_from_db()
    assert attempt.status == "failed"
    assert "unknown" in attempt.error


def test_the_delivery_report_ignores_references_that_are_not_campaign_contacts() -> None:
    assert contact_delivery_record(reference="statement:7", delivered=True) is None
    assert contact_delivery_record(reference="outbound:999999", delivered=False) is None


@override_settings(OUTBOUND_MAX_CONTACTS=1)
def test_a_queued_contact_counts_toward_the_contact_frequency_cap(
    account: WeChatAccount, customer: Customer, campaign: Campaign
) -> None:
    _follow(customer)
    campaign_run(campaign)  # queued; WeChat not called yet
    assert _attempt(campaign, customer).status == "queued"
    inbox = Campaign.objects.create(
        code="inbox-travel",
        name="旅行季 (app)",
        segment=campaign.segment,
        status="running",
        script=campaign.script,
        starts_at=campaign.starts_at,
        quiet_from="00:00",
        quiet_until="00:00",
    )
    campaign_run(inbox)
    assert (_attempt(inbox, customer).status, _attempt(inbox, customer).skip_reason) == (
        "skipped",
        "frequency_cap",
    )
