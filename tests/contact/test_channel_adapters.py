"""Every customer channel goes through one adapter contract (scenarios.conversation)."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import Client as HttpClient
from django.test import override_settings
from rest_framework.test import APIClient

from devices.models import Device
from devices.omni.base import identity_for, identity_link
from devices.omni.models import ChannelIdentity, WebChatSite, WeChatAccount
from devices.omni.views import customer_token
from devices.services import device_token_issue
from scenarios import conversation
from scenarios.conversation import ChannelAdapter
from scenarios.models import Customer, DialogueSession
from tests.avatar.conftest import Client as SocketClient
from tests.avatar.conftest import token_for
from tests.fakes.voice_gateway import CALLBACK_SECRET, callback_body
from tests.fakes.wechat_platform import APP_ID, APP_SECRET, message_xml, signed_query

pytestmark = pytest.mark.django_db
CHANNELS = {"avatar", "api", "wechat", "webchat", "voice"}


class Spy:
    """The registered adapter, recording which of its three parts a request went through."""

    def __init__(self, adapter: Any) -> None:
        self.adapter, self.channel, self.calls = adapter, adapter.channel, []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)

    def authenticate(self, request: Any) -> Any:
        self.calls.append("authenticate")
        return self.adapter.authenticate(request)

    def inbound(self, request: Any, principal: Any) -> Any:
        self.calls.append("inbound")
        return self.adapter.inbound(request, principal)

    def outbound(self, inbound: Any, session_id: Any, result: Any) -> Any:
        self.calls.append("outbound")
        return self.adapter.outbound(inbound, session_id, result)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    def install(channel: str) -> Spy:
        watcher = Spy(conversation.ADAPTERS[channel])
        monkeypatch.setitem(conversation.ADAPTERS, channel, watcher)
        return watcher

    return install


def test_every_channel_has_a_registered_adapter_implementing_the_contract() -> None:
    assert set(conversation.ADAPTERS) >= CHANNELS
    for name in CHANNELS:
        adapter = conversation.adapter_for(name)
        assert isinstance(adapter, ChannelAdapter)
        assert adapter.channel == name


def test_registering_something_that_is_not_an_adapter_is_refused() -> None:
    with pytest.raises(TypeError):
        conversation.adapter_register(object())  # type: ignore[arg-type]
    with pytest.raises(LookupError):
        conversation.adapter_for("fax")


def test_the_avatar_socket_is_served_by_its_registered_adapter(spy) -> None:  # noqa: ANN001
    watcher = spy("avatar")
    token = token_for("demo-kiosk")

    async def talk() -> list[dict]:
        client = SocketClient(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start()
        frames = await client.say("信用卡年费是多少")
        await client.close()
        return frames

    frames = async_to_sync(talk)()
    assert frames[-1]["type"] == "answer.done"
    assert watcher.calls == ["authenticate", "inbound", "outbound", "inbound", "outbound"]


def test_the_session_api_is_served_by_its_registered_adapter(spy) -> None:  # noqa: ANN001
    watcher = spy("api")
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-app"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    started = client.post(
        "/api/sessions/", {"channel": "app", "scenario": "credit_card"}, format="json"
    )
    assert started.status_code == 201, started.content
    turn = client.post(f"/api/sessions/{started.json()['id']}/turns/", {"text": "你好"})
    assert turn.status_code == 200
    assert watcher.calls == ["authenticate", "inbound", "outbound"] * 2


def test_wechat_is_served_by_its_registered_adapter(spy) -> None:  # noqa: ANN001
    WeChatAccount.objects.create(code="bank", app_id=APP_ID, app_secret=APP_SECRET, token="t")
    watcher = spy("wechat")
    params = signed_query("t")
    url = "/omni/wechat/bank/?" + "&".join(f"{k}={v}" for k, v in params.items())
    body = message_xml("openid-a", Content="你好", msg_id="1")
    response = HttpClient().post(url, data=body, content_type="text/xml")
    assert b"<Content>" in response.content
    assert watcher.calls == ["authenticate", "inbound", "outbound"]


def test_web_chat_is_served_by_its_registered_adapter(spy) -> None:  # noqa: ANN001
    site = WebChatSite.objects.create(name="Bank site")
    watcher = spy("webchat")
    response = HttpClient().post(
        "/omni/webchat/messages/",
        {"key": site.key, "text": "你好"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert watcher.calls == ["authenticate", "inbound", "outbound"]


@override_settings(OMNI_VOICE_CALLBACK_SECRET=CALLBACK_SECRET)
def test_the_voice_gateway_is_served_by_its_registered_adapter(spy) -> None:  # noqa: ANN001
    watcher = spy("voice")
    body, signature = callback_body({"reference": "outbound:1", "event": "hangup"})
    response = HttpClient().post(
        "/omni/voice/callback/",
        body,
        content_type="application/json",
        headers={"X-Signature": signature},
    )
    assert response.json() == {"say": "", "outcome": None}
    assert watcher.calls == ["authenticate", "inbound", "outbound"]


def test_a_linked_customer_has_one_history_across_web_chat_and_wechat() -> None:
    customer = Customer.objects.first()
    site = WebChatSite.objects.create(name="Bank site")
    account = WeChatAccount.objects.create(
        code="bank", app_id=APP_ID, app_secret=APP_SECRET, token="t"
    )
    web = HttpClient().post(
        "/omni/webchat/messages/",
        {
            "key": site.key,
            "text": "我想办信用卡",
            "customer_token": customer_token(site, customer.customer_no),
        },
        content_type="application/json",
    )
    assert web.status_code == 200
    # The bank verified the WeChat follower (e.g. its own OAuth binding page) as the same person.
    identity_link(identity=identity_for("wechat", f"{account.code}:openid-z"), customer=customer)
    params = signed_query("t")
    url = "/omni/wechat/bank/?" + "&".join(f"{k}={v}" for k, v in params.items())
    body = message_xml("openid-z", Content="刚才说到哪了", msg_id="2")
    assert HttpClient().post(url, data=body, content_type="text/xml").status_code == 200

    identities = ChannelIdentity.objects.filter(customer=customer)
    assert {i.channel for i in identities} == {"webchat", "wechat"}
    [session_id] = {i.session_id for i in identities}
    session = DialogueSession.objects.get(pk=session_id)
    assert session.customer == customer
    texts = list(
        session.turns.filter(role="customer").order_by("seq").values_list("text", flat=True)
    )
    assert texts == ["我想办信用卡", "刚才说到哪了"]
