"""Late WeChat replies and agents' words are durable: stored, retried through django-q2 with a
backoff, given up with a reason, never sent twice (devices.omni.outbox), against the local fake
of the WeChat API."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client, override_settings
from django.utils import timezone
from django_q.models import Schedule

from devices.omni import wechat_api
from devices.omni.models import ChannelIdentity, WeChatAccount, WeChatMessage, WeChatOutbound
from devices.omni.outbox import TASK, wechat_outbound_send, wechat_outbound_sweep
from devices.omni.tasks import wechat_messages_recover_task, wechat_outbound_send_task
from devices.omni.wechat import message_deliver_late
from scenarios import events
from scenarios.models import DialogueSession, Flow
from tests.channel_listener import capture_commits
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, FakeWeChatAPI

pytestmark = pytest.mark.django_db
REPLY = "信用卡年费首年免费，刷卡满6次免次年年费。"


@pytest.fixture
def account() -> WeChatAccount:
    # Another test's fake may have left its token in the (shared) cache.
    cache.delete("omni:wechat:token:bank")
    return WeChatAccount.objects.create(
        code="bank", app_id=APP_ID, app_secret=APP_SECRET, token="callback-token"
    )


def _point(account: WeChatAccount, base_url: str) -> None:
    WeChatAccount.objects.filter(pk=account.pk).update(api_base=base_url)


def _late_message(account: WeChatAccount, msg_id: str = "900") -> WeChatMessage:
    """A message whose turn finished after the callback answered "success"."""
    return WeChatMessage.objects.create(
        account=account,
        msg_key=msg_id,
        openid="openid-late",
        text="信用卡年费是多少",
        state=WeChatMessage.State.LATE,
        reply=REPLY,
        answered_at=timezone.now(),
    )


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _when_due(outbound: WeChatOutbound) -> None:
    """Time passes until the retry is due (what the one-off schedule waits for)."""
    WeChatOutbound.objects.filter(pk=outbound.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_late_reply_lost_to_the_network_is_retried_by_a_django_q2_schedule_and_sent_once(
    account,  # noqa: ANN001
) -> None:
    _point(account, _closed_port_url())
    message = _late_message(account)
    before = timezone.now()
    message_deliver_late(message.pk)

    outbound = WeChatOutbound.objects.get(message=message)
    assert (outbound.state, outbound.attempts, outbound.kind) == ("pending", 1, "reply")
    assert "unreachable" in outbound.last_error
    assert before + timedelta(seconds=29) < outbound.next_attempt_at < before + timedelta(minutes=1)
    schedule = Schedule.objects.get(name=f"omni-wechat-send-{outbound.pk}-1")
    assert (schedule.func, schedule.args, schedule.schedule_type) == (
        TASK,
        repr(outbound.pk),
        Schedule.ONCE,
    )
    assert schedule.next_run == outbound.next_attempt_at
    message.refresh_from_db()
    assert message.state == "late"  # not lost, not failed: waiting for the retry
    assert "unreachable" in message.error

    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
        # The schedule firing again, or a second worker, sends nothing more.
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    assert api.sent == [{"touser": "openid-late", "msgtype": "text", "text": {"content": REPLY}}]
    outbound.refresh_from_db()
    message.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.wechat_msgid) == ("sent", 2, "1")
    assert (message.state, message.error) == ("sent", "")


def test_system_busy_is_retried_after_a_backoff_that_doubles(account) -> None:  # noqa: ANN001
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1, times=2)
        start = timezone.now()
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        first_wait = outbound.next_attempt_at - start
        # A worker picking it up before it is due sends nothing.
        assert wechat_outbound_send(outbound_id=outbound.pk) == "pending"
        assert wechat_outbound_send(outbound_id=outbound.pk, now=outbound.next_attempt_at) == (
            "pending"
        )
        second = WeChatOutbound.objects.get(pk=outbound.pk)
        second_wait = second.next_attempt_at - outbound.next_attempt_at
        assert wechat_outbound_send(outbound_id=outbound.pk, now=second.next_attempt_at) == "sent"
    assert timedelta(seconds=29) < first_wait <= timedelta(seconds=31)
    assert second_wait == timedelta(seconds=60)
    assert len(api.refused) == 2
    assert len(api.sent) == 1
    assert Schedule.objects.filter(name__startswith=f"omni-wechat-send-{outbound.pk}-").count() == 2
    assert "-1" in second.last_error


def test_an_access_token_expired_between_attempts_is_fetched_again_and_the_reply_sent(
    account,  # noqa: ANN001
) -> None:
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1)
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        issued = api.tokens_issued
        api.expire_token()  # the cached token is stale when the retry comes (42001)
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    assert api.tokens_issued == issued + 1
    assert [m["text"]["content"] for m in api.sent] == [REPLY]


def test_an_access_token_wechat_calls_invalid_is_fetched_again_within_the_attempt(
    account,  # noqa: ANN001
) -> None:
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(40001)
        message_deliver_late(message.pk)
    outbound = WeChatOutbound.objects.get(message=message)
    assert (outbound.state, outbound.attempts) == ("sent", 1)
    assert api.tokens_issued == 2
    assert [m["text"]["content"] for m in api.sent] == [REPLY]


@override_settings(WECHAT_SEND_MAX_ATTEMPTS=3)
def test_a_reply_is_given_up_after_the_last_attempt_with_the_reason_recorded(account) -> None:  # noqa: ANN001
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1, times=5)
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        for _attempt in range(2):
            _when_due(outbound)
            wechat_outbound_send_task(outbound.pk)
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "gave_up"
    outbound.refresh_from_db()
    message.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.gave_up) == ("gave_up", 3, "attempts")
    assert "WeChat API error -1" in outbound.last_error
    assert (message.state, message.reply) == ("failed", REPLY)
    assert "-1" in message.error
    assert len(api.refused) == 3
    assert api.sent == []
    # No retry is scheduled after the last attempt.
    assert not Schedule.objects.filter(name=f"omni-wechat-send-{outbound.pk}-3").exists()


def test_a_follower_outside_the_48_hour_window_is_given_up_without_retrying(account) -> None:  # noqa: ANN001
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(45015)
        message_deliver_late(message.pk)
    outbound = WeChatOutbound.objects.get(message=message)
    assert (outbound.state, outbound.attempts, outbound.gave_up) == ("gave_up", 1, "refused")
    assert "45015" in outbound.last_error
    assert not Schedule.objects.filter(name__startswith=f"omni-wechat-send-{outbound.pk}-").exists()


def test_a_send_that_timed_out_after_reaching_wechat_is_never_sent_again(
    account,
    monkeypatch,  # noqa: ANN001
) -> None:
    monkeypatch.setattr(wechat_api, "HTTP_TIMEOUT_SECONDS", 0.3)
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.stall_next(1.0)  # WeChat took the message, its answer never arrived in time
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        assert (outbound.state, outbound.gave_up) == ("gave_up", "unknown")
        # Neither a schedule, a second delivery nor the sweep sends it again.
        assert wechat_outbound_send_task(outbound.pk) == "gave_up"
        WeChatMessage.objects.filter(pk=message.pk).update(state="late")
        message_deliver_late(message.pk)
        wechat_outbound_sweep(now=timezone.now() + timedelta(hours=1))
    assert len(api.sent) == 1
    assert WeChatOutbound.objects.filter(message=message).count() == 1


def test_a_token_request_that_timed_out_is_retried_since_nothing_was_sent(
    account,
    monkeypatch,  # noqa: ANN001
) -> None:
    monkeypatch.setattr(wechat_api, "HTTP_TIMEOUT_SECONDS", 0.3)
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.stall_token_next(1.0)
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        assert (outbound.state, outbound.gave_up) == ("pending", "")
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    assert [m["text"]["content"] for m in api.sent] == [REPLY]


def test_the_sweep_sends_an_overdue_retry_and_gives_up_a_send_whose_process_died(
    account,  # noqa: ANN001
) -> None:
    long_ago = timezone.now() - timedelta(minutes=30)
    overdue = WeChatOutbound.objects.create(
        account=account,
        openid="openid-a",
        text="稍等，正在为您查询。",
        kind="agent",
        attempts=1,
        next_attempt_at=long_ago,
    )
    stuck = WeChatOutbound.objects.create(
        account=account,
        openid="openid-b",
        text="已为您办理。",
        kind="agent",
        state="sending",
        attempts=1,
        claimed_at=long_ago,
    )
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        report = wechat_messages_recover_task()
    assert report == {
        "rerun": 0,
        "resent": 0,
        "given_up": 0,
        "sends_retried": 1,
        "sends_stuck": 1,
    }
    assert [m["touser"] for m in api.sent] == ["openid-a"]
    stuck.refresh_from_db()
    overdue.refresh_from_db()
    assert (overdue.state, stuck.state, stuck.gave_up) == ("sent", "gave_up", "unknown")


def test_an_agents_words_wechat_refused_are_kept_and_sent_on_the_retry(account) -> None:  # noqa: ANN001
    flow = Flow.objects.get(code="super_teller")
    session = DialogueSession.objects.create(
        flow=flow, channel="wechat", current_step=flow.steps.order_by("position").first().code
    )
    ChannelIdentity.objects.create(
        channel="wechat", external_id="bank:openid-agent", session=session
    )
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(-1)
        with capture_commits():
            events.emit(
                events.AgentSaid(
                    session_id=session.pk, text="您好，我是客服小王。", agent_name="小王"
                )
            )
        outbound = WeChatOutbound.objects.get(kind="agent")
        assert (outbound.state, outbound.openid, outbound.session_id) == (
            "pending",
            "openid-agent",
            session.pk,
        )
        _when_due(outbound)
        assert wechat_outbound_send_task(outbound.pk) == "sent"
    assert [m["text"]["content"] for m in api.sent] == ["您好，我是客服小王。"]


def test_the_admin_shows_why_a_send_was_given_up_and_staff_can_send_it_again(account) -> None:  # noqa: ANN001
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        api.fail_next(43004)  # the follower had unfollowed, then followed again
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        staff = get_user_model().objects.create_superuser("outbox-admin", "a@example.com", "x")
        client = Client()
        client.force_login(staff)
        page = client.get("/admin/omni/wechatoutbound/?gave_up__exact=refused").content.decode()
        assert "openid-late" in page
        assert "WeChat refused the follower for good" in page or "拒绝" in page
        assert "43004" in page
        response = client.post(
            "/admin/omni/wechatoutbound/",
            {"action": "send_again", "_selected_action": [outbound.pk]},
        )
        assert response.status_code == 302
    outbound.refresh_from_db()
    message.refresh_from_db()
    assert (outbound.state, outbound.attempts, outbound.gave_up) == ("sent", 1, "")
    assert message.state == "sent"
    assert len(api.sent) == 1


def test_send_again_leaves_a_message_that_was_not_given_up_and_says_so(account) -> None:  # noqa: ANN001
    message = _late_message(account)
    with FakeWeChatAPI() as api:
        _point(account, api.base_url)
        message_deliver_late(message.pk)
        outbound = WeChatOutbound.objects.get(message=message)
        assert outbound.state == "sent"
        staff = get_user_model().objects.create_superuser("outbox-admin2", "b@example.com", "x")
        client = Client()
        client.force_login(staff)
        response = client.post(
            "/admin/omni/wechatoutbound/",
            {"action": "send_again", "_selected_action": [outbound.pk]},
            follow=True,
        )
        shown = [str(m) for m in response.context["messages"]]
    assert len(api.sent) == 1  # not sent twice
    assert any("not given up" in text or "并未放弃" in text for text in shown), shown
