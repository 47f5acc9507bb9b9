"""Channel adapters against local fakes: WeChat callback and API, web chat, voice gateway,
one customer identity and one conversation across channels."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import timezone

from devices.omni.base import Inbound, converse, identity_for, identity_link
from devices.omni.models import ChannelIdentity, WebChatSite, WeChatAccount
from devices.omni.views import customer_token
from scenarios.models import Customer, DialogueSession, Turn
from scenarios.notifications import NotificationError, channel_for
from scenarios.outbound.models import Campaign, ContactAttempt, ContactConsent, Segment
from scenarios.outbound.services import campaign_run
from scenarios.takeover import agent_say, takeover_start
from tests.channel_listener import capture_commits
from tests.fakes.voice_gateway import (
    API_KEY,
    CALLBACK_SECRET,
    Fail,
    FakeVoiceGateway,
    callback_body,
)
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, FakeWeChatAPI, message_xml, signed_query

pytestmark = pytest.mark.django_db
TOKEN = "callback-token"


@pytest.fixture
def account() -> WeChatAccount:
    return WeChatAccount.objects.create(
        code="bank",
        app_id=APP_ID,
        app_secret=APP_SECRET,
        token=TOKEN,
        menu={"CARD_LOST": {"text": "我的卡丢了"}},
        welcome="欢迎关注！",
    )


def _callback(client: Client, body: bytes, **query: str):  # noqa: ANN202
    params = signed_query(TOKEN, **query)
    url = "/omni/wechat/bank/?" + "&".join(f"{k}={v}" for k, v in params.items())
    return client.post(url, data=body, content_type="text/xml")


def test_the_callback_url_check_echoes_only_a_correctly_signed_request(account) -> None:  # noqa: ANN001
    client = Client()
    params = signed_query(TOKEN, echostr="hello123")
    assert client.get("/omni/wechat/bank/", params).content == b"hello123"
    params["signature"] = "0" * 40
    assert client.get("/omni/wechat/bank/", params).status_code == 403


def test_a_stale_timestamp_is_refused_against_replays(account) -> None:  # noqa: ANN001
    params = signed_query(TOKEN, timestamp=int(timezone.now().timestamp()) - 3600)
    assert Client().get("/omni/wechat/bank/", params).status_code == 403


def test_a_text_message_gets_a_passive_xml_reply_from_the_dialogue_engine(account) -> None:  # noqa: ANN001
    response = _callback(Client(), message_xml("openid-1", Content="信用卡年费是多少", msg_id="1"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<ToUserName><![CDATA[openid-1]]></ToUserName>" in body
    assert "<FromUserName><![CDATA[gh_bank]]></FromUserName>" in body
    identity = ChannelIdentity.objects.get(channel="wechat", external_id="bank:openid-1")
    session = identity.session
    assert session.channel == "wechat"
    customer_turn = session.turns.filter(role="customer").get()
    assert customer_turn.text == "信用卡年费是多少"
    reply = session.turns.filter(role="assistant").order_by("-seq").first().text
    assert reply
    assert reply[:20] in body


def test_a_retried_message_runs_no_second_turn_and_gets_the_same_passive_reply(account) -> None:  # noqa: ANN001, E501
    client = Client()
    first = _callback(client, message_xml("openid-2", Content="你好", msg_id="77"))
    # WeChat retries when our answer did not reach it: the retry gets that answer again.
    again = _callback(client, message_xml("openid-2", Content="你好", msg_id="77"))
    assert again.status_code == 200
    assert _content(again) == _content(first) != ""
    assert Turn.objects.filter(role="customer", session__channel="wechat").count() == 1


def _content(response) -> str:  # noqa: ANN001
    body = response.content.decode()
    return (
        body.split("<Content><![CDATA[", 1)[1].split("]]></Content>", 1)[0]
        if "<Content>" in body
        else ""
    )


class SlowTurns:
    """A turn still running when the callback's wait ends: held until `finish()`."""

    def __init__(self) -> None:
        self.pending: list[tuple] = []

    def submit(self, function, *args):  # noqa: ANN001, ANN002, ANN201
        from concurrent.futures import Future

        self.pending.append((function, args))
        return Future()  # never done while the callback waits

    def finish(self) -> None:
        while self.pending:
            function, args = self.pending.pop(0)
            function(*args)


@pytest.fixture
def slow_turns(monkeypatch):  # noqa: ANN001, ANN201
    from devices.omni import wechat

    turns = SlowTurns()
    monkeypatch.setattr(wechat, "RUNNER", turns)
    return turns


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2)
def test_a_turn_slower_than_the_passive_window_is_stored_then_sent_through_the_api(
    account,
    slow_turns,  # noqa: ANN001
) -> None:
    from devices.omni.models import WeChatMessage

    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        started = time.monotonic()
        response = _callback(
            Client(), message_xml("openid-6", Content="信用卡年费是多少", msg_id="88")
        )
        waited = time.monotonic() - started
        # It waited out the window, and answered well inside WeChat's 5 s all the same.
        assert 0.2 <= waited < 4.5
        # Answered in time with "success" (no passive reply, no retry), the message kept.
        assert (response.status_code, response.content) == (200, b"success")
        stored = WeChatMessage.objects.get(msg_key="88")
        assert (stored.state, stored.text) == ("late", "信用卡年费是多少")
        assert api.sent == []
        slow_turns.finish()
    stored.refresh_from_db()
    assert stored.state == "sent"
    reply = stored.session.turns.filter(role="assistant").order_by("-seq").first().text
    assert api.sent == [{"touser": "openid-6", "msgtype": "text", "text": {"content": reply}}]
    assert stored.reply == reply


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2)
def test_a_retry_while_the_slow_turn_runs_gets_success_and_starts_no_second_turn(
    account,
    slow_turns,  # noqa: ANN001
) -> None:
    client = Client()
    _callback(client, message_xml("openid-8", Content="你好", msg_id="99"))
    retry = _callback(client, message_xml("openid-8", Content="你好", msg_id="99"))
    assert retry.content == b"success"
    assert len(slow_turns.pending) == 1
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        slow_turns.finish()
    assert Turn.objects.filter(role="customer", session__channel="wechat").count() == 1
    assert len(api.sent) == 1


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2)
def test_late_replies_share_one_cached_access_token(account, slow_turns) -> None:  # noqa: ANN001
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        client = Client()
        _callback(client, message_xml("openid-10", Content="你好", msg_id="101"))
        _callback(client, message_xml("openid-11", Content="你好", msg_id="102"))
        slow_turns.finish()
    assert len(api.sent) == 2
    assert api.tokens_issued == 1


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2)
def test_a_late_reply_the_api_refuses_is_kept_for_a_retry_not_lost(account, slow_turns) -> None:  # noqa: ANN001
    from devices.omni.models import WeChatMessage, WeChatOutbound
    from devices.omni.tasks import wechat_outbound_send_task

    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(
            api_base=api.base_url, app_secret="wrong"
        )
        _callback(Client(), message_xml("openid-12", Content="你好", msg_id="103"))
        slow_turns.finish()
        stored = WeChatMessage.objects.get(msg_key="103")
        assert stored.state == "late"
        assert "40013" in stored.error
        assert stored.reply  # kept for the retry
        # An administrator fixes the AppSecret; the retry, when due, sends it.
        WeChatAccount.objects.filter(pk=account.pk).update(app_secret=APP_SECRET)
        WeChatOutbound.objects.filter(pk=stored.outbound.pk).update(next_attempt_at=timezone.now())
        assert wechat_outbound_send_task(stored.outbound.pk) == "sent"
    stored.refresh_from_db()
    assert stored.state == "sent"
    assert [m["text"]["content"] for m in api.sent] == [stored.reply]


def test_a_menu_click_runs_as_the_configured_text_and_subscribe_gets_the_welcome(account) -> None:  # noqa: ANN001
    client = Client()
    welcome = _callback(client, message_xml("openid-3", kind="event", Event="subscribe"))
    assert "欢迎关注！" in welcome.content.decode()
    _callback(client, message_xml("openid-3", kind="event", Event="CLICK", EventKey="CARD_LOST"))
    session = ChannelIdentity.objects.get(external_id="bank:openid-3").session
    assert session.turns.filter(role="customer").get().text == "我的卡丢了"


def test_two_menu_clicks_in_the_same_second_are_two_messages_not_a_retry(account) -> None:  # noqa: ANN001
    account.menu = {"CARD_LOST": {"text": "我的卡丢了"}, "FEE": {"text": "信用卡年费是多少"}}
    account.save()
    client = Client()
    for key in ("CARD_LOST", "FEE"):
        click = message_xml(
            "openid-16", kind="event", Event="CLICK", EventKey=key, create_time=1_700_000_000
        )
        assert b"<Content>" in _callback(client, click).content
    session = ChannelIdentity.objects.get(external_id="bank:openid-16").session
    texts = session.turns.filter(role="customer").order_by("seq").values_list("text", flat=True)
    assert list(texts) == ["我的卡丢了", "信用卡年费是多少"]


def test_malformed_xml_and_entity_tricks_are_refused_with_400(account) -> None:  # noqa: ANN001
    client = Client()
    assert _callback(client, b"<xml><oops").status_code == 400
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>'
    )
    assert _callback(client, bomb).status_code == 400


def test_an_agents_words_reach_wechat_through_the_customer_service_api(account) -> None:  # noqa: ANN001
    agent = get_user_model().objects.get(username="agent")
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        _callback(Client(), message_xml("openid-4", Content="转人工", msg_id="5"))
        session = ChannelIdentity.objects.get(external_id="bank:openid-4").session
        session.refresh_from_db()
        assert session.status == DialogueSession.Status.HANDED_OVER
        takeover_start(session_id=session.pk, agent=agent)
        with capture_commits():
            agent_say(session_id=session.pk, agent=agent, text="您好，我是客服小王。")
    assert api.sent[-1] == {
        "touser": "openid-4",
        "msgtype": "text",
        "text": {"content": "您好，我是客服小王。"},
    }


def test_the_customer_service_client_refreshes_an_expired_token(account) -> None:  # noqa: ANN001
    from devices.omni.wechat_api import WeChatClient

    with FakeWeChatAPI() as api:
        account.api_base = api.base_url
        client = WeChatClient(account)
        client.send_text("openid-5", "第一条")
        api.expire_token()
        client.send_text("openid-5", "第二条")
    assert [m["text"]["content"] for m in api.sent] == ["第一条", "第二条"]
    assert api.tokens_issued == 2


def test_web_chat_answers_and_keeps_the_visitor_in_one_conversation() -> None:
    site = WebChatSite.objects.create(name="Bank site")
    client = Client()
    first = client.post(
        "/omni/webchat/messages/",
        {"key": site.key, "text": "信用卡怎么还款"},
        content_type="application/json",
    ).json()
    assert first["reply"]
    second = client.post(
        "/omni/webchat/messages/",
        {"key": site.key, "text": "谢谢", "visitor": first["visitor"]},
        content_type="application/json",
    ).json()
    assert second["visitor"] == first["visitor"]
    assert DialogueSession.objects.filter(channel="webchat").count() == 1


def test_web_chat_refuses_unknown_keys_forged_visitors_and_bad_input() -> None:
    site = WebChatSite.objects.create(name="Bank site")
    client = Client()

    def post(body: dict):  # noqa: ANN202
        return client.post("/omni/webchat/messages/", body, content_type="application/json")

    assert post({"key": "nope", "text": "hi"}).status_code == 403
    assert post({"key": site.key, "text": ""}).status_code == 400
    assert post({"key": site.key, "text": "hi", "visitor": "forged"}).status_code == 403
    assert (
        client.post("/omni/webchat/messages/", "[", content_type="application/json").status_code
        == 400
    )


def test_the_widget_frame_may_be_framed_only_by_allowed_origins() -> None:
    site = WebChatSite.objects.create(
        name="Bank site", allowed_origins=["https://www.bank.example"]
    )
    response = Client().get("/omni/webchat/frame/", {"key": site.key})
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == "frame-ancestors 'self' https://www.bank.example"
    assert "X-Frame-Options" not in response


def test_a_signed_customer_token_links_the_visitor_to_the_customer() -> None:
    site = WebChatSite.objects.create(name="Bank site")
    customer = Customer.objects.first()
    client = Client()
    client.post(
        "/omni/webchat/messages/",
        {
            "key": site.key,
            "text": "你好",
            "customer_token": customer_token(site, customer.customer_no),
        },
        content_type="application/json",
    )
    identity = ChannelIdentity.objects.get(channel="webchat")
    assert identity.customer == customer
    assert identity.session.customer == customer
    bad = client.post(
        "/omni/webchat/messages/",
        {"key": site.key, "text": "你好", "customer_token": customer.customer_no + ":forged"},
        content_type="application/json",
    )
    assert bad.status_code == 403


def test_a_linked_customer_continues_one_conversation_across_channels() -> None:
    customer = Customer.objects.first()
    web = identity_link(identity=identity_for("webchat", "1:visitor"), customer=customer)
    session, _ = converse(
        Inbound("webchat", web.external_id, "我想办信用卡"), scenario="super_teller", identity=web
    )
    wx = identity_link(identity=identity_for("wechat", "bank:openid-9"), customer=customer)
    again, _ = converse(
        Inbound("wechat", wx.external_id, "刚才说到哪了"), scenario="super_teller", identity=wx
    )
    assert again.pk == session.pk
    texts = list(
        session.turns.filter(role="customer").order_by("seq").values_list("text", flat=True)
    )
    assert texts == ["我想办信用卡", "刚才说到哪了"]


def test_an_unlinked_identity_never_joins_someone_elses_conversation() -> None:
    customer = Customer.objects.first()
    web = identity_link(identity=identity_for("webchat", "1:a"), customer=customer)
    session, _ = converse(
        Inbound("webchat", web.external_id, "你好"), scenario="super_teller", identity=web
    )
    stranger = identity_for("wechat", "bank:stranger")
    other, _ = converse(
        Inbound("wechat", stranger.external_id, "你好"), scenario="super_teller", identity=stranger
    )
    assert other.pk != session.pk
    assert other.customer is None


def _voice_campaign() -> Campaign:
    segment = Segment.objects.create(code="v", name="v", rules={"personas": ["traveller"]})
    customer = Customer.objects.filter(segment="traveller").first()
    ContactConsent.objects.create(customer=customer, marketing=True)
    return Campaign.objects.create(
        code="voice",
        name="境外返现",
        segment=segment,
        channel="voice",
        status="running",
        script={
            "start": "open",
            "steps": {
                "open": {"text": {"zh-hans": "您好，按1了解返现"}, "replies": {"1": "interested"}}
            },
        },
        starts_at=timezone.now() - timedelta(days=1),
        quiet_from="00:00",
        quiet_until="00:00",
    )


def test_a_voice_campaign_dials_through_the_gateway_and_records_keypad_outcomes() -> None:
    campaign = _voice_campaign()
    with (
        FakeVoiceGateway() as gateway,
        override_settings(
            OMNI_VOICE_API_URL=gateway.base_url,
            OMNI_VOICE_API_KEY=API_KEY,
            OMNI_VOICE_CALLBACK_SECRET=CALLBACK_SECRET,
        ),
    ):
        report = campaign_run(campaign)
        assert report.sent == 1
        [call] = gateway.calls
        assert call["text"] == "您好，按1了解返现"
        attempt = ContactAttempt.objects.get(campaign=campaign, status="sent")
        assert attempt.delivery_ref == "call:call-1"
        client = Client()
        for event in ({"event": "answered"}, {"event": "dtmf", "digits": "1"}):
            body, signature = callback_body({"reference": call["reference"], **event})
            response = client.post(
                "/omni/voice/callback/",
                body,
                content_type="application/json",
                headers={"X-Signature": signature},
            )
            assert response.status_code == 200
        attempt.refresh_from_db()
        assert attempt.outcome == "interested"
        body, _ = callback_body({"reference": call["reference"], "event": "answered"})
        forged = client.post(
            "/omni/voice/callback/",
            body,
            content_type="application/json",
            headers={"X-Signature": "0" * 64},
        )
        assert forged.status_code == 403


def test_a_refused_call_is_recorded_as_failed_not_sent() -> None:
    campaign = _voice_campaign()
    with (
        FakeVoiceGateway(script=[Fail(503)]) as gateway,
        override_settings(OMNI_VOICE_API_URL=gateway.base_url, OMNI_VOICE_API_KEY=API_KEY),
    ):
        report = campaign_run(campaign)
    assert report.failed == 1
    attempt = ContactAttempt.objects.get(campaign=campaign, status__in=["sent", "failed"])
    assert (attempt.status, attempt.error) == ("failed", "voice gateway answered HTTP 503")


def test_wechat_delivery_needs_a_linked_follower_seen_within_48_hours(account) -> None:  # noqa: ANN001
    customer = Customer.objects.first()
    wechat = channel_for("wechat")
    kwargs = {
        "customer": customer,
        "kind": "campaign",
        "language": "zh-hans",
        "title": "t",
        "body": "b",
        "reference": "r",
    }
    with pytest.raises(NotificationError):
        wechat.send(**kwargs)
    identity = identity_link(identity=identity_for("wechat", "bank:openid-7"), customer=customer)
    ChannelIdentity.objects.filter(pk=identity.pk).update(
        last_seen_at=timezone.now() - timedelta(days=3)
    )
    with pytest.raises(NotificationError, match="48-hour"):
        wechat.send(**kwargs)
    ChannelIdentity.objects.filter(pk=identity.pk).update(last_seen_at=timezone.now())
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        with capture_commits():
            # Queued in the outbox and sent once committed (test_wechat_campaigns.py,
            # test_reminders.py follow what becomes of it).
            delivery = wechat.send(**{**kwargs, "kind": "repayment_reminder"})
        assert delivery.queued
        assert delivery.ref.startswith("wechat-outbox:")
    assert api.sent == [{"touser": "openid-7", "msgtype": "text", "text": {"content": "t\nb"}}]
    with pytest.raises(NotificationError, match="does not carry"):
        wechat.send(**{**kwargs, "kind": "statement_copy"})


@override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2)
def test_a_message_whose_process_died_mid_turn_is_answered_by_the_recovery_sweep(
    account,
    slow_turns,  # noqa: ANN001
) -> None:
    from devices.omni.models import WeChatMessage
    from devices.omni.wechat import wechat_messages_recover

    _callback(Client(), message_xml("openid-13", Content="信用卡年费是多少", msg_id="104"))
    slow_turns.pending.clear()  # the process running the turn died
    WeChatMessage.objects.filter(msg_key="104").update(
        tried_at=timezone.now() - timedelta(minutes=11)
    )
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        report = wechat_messages_recover(stale_after=timedelta(minutes=10))
    assert report == {"rerun": 1, "resent": 0, "given_up": 0}
    stored = WeChatMessage.objects.get(msg_key="104")
    assert (stored.state, stored.attempts) == ("sent", 2)
    assert api.sent[0]["text"]["content"] == stored.reply != ""


def test_the_sweep_resends_a_stored_turns_reply_without_running_it_again(account) -> None:  # noqa: ANN001
    from devices.omni.models import WeChatMessage
    from devices.omni.wechat import wechat_messages_recover

    _callback(Client(), message_xml("openid-14", Content="信用卡年费是多少", msg_id="105"))
    stored = WeChatMessage.objects.get(msg_key="105")
    # The turn was stored, then the process died before the answer reached the message row.
    WeChatMessage.objects.filter(pk=stored.pk).update(
        state="late", answered_at=None, tried_at=timezone.now() - timedelta(minutes=11)
    )
    with FakeWeChatAPI() as api:
        WeChatAccount.objects.filter(pk=account.pk).update(api_base=api.base_url)
        report = wechat_messages_recover(stale_after=timedelta(minutes=10))
    assert report == {"rerun": 0, "resent": 1, "given_up": 0}
    assert Turn.objects.filter(role="customer", session__channel="wechat").count() == 1
    assert api.sent[0]["text"]["content"] == stored.reply


def test_the_sweep_leaves_a_recent_message_to_its_running_turn(account, slow_turns) -> None:  # noqa: ANN001
    from devices.omni.wechat import wechat_messages_recover

    with override_settings(WECHAT_PASSIVE_REPLY_SECONDS=0.2):
        _callback(Client(), message_xml("openid-15", Content="你好", msg_id="106"))
    report = wechat_messages_recover(stale_after=timedelta(minutes=10))
    assert report == {"rerun": 0, "resent": 0, "given_up": 0}
