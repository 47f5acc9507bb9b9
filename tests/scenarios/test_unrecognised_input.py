"""A turn the step does not understand is asked again; only repeated failure brings a person.

Through the public session API and the avatar socket, in Chinese and English.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from devices.models import Device
from devices.services import device_token_issue
from scenarios.models import DialogueSession, Flow, FunnelEvent, Takeover
from tests.avatar.conftest import Client, token_for
from tests.factories import DeviceFactory

pytestmark = pytest.mark.django_db

SORRY = {"zh-hans": "抱歉，我没有听懂您的意思。", "en": "Sorry, I didn't understand that."}
HELLO = {
    "zh-hans": "您好！我是海港银行的数字助理。",
    "en": "Hello! I'm Harbour Bank's digital assistant.",
}


def _client(device: Device | None = None) -> APIClient:
    client = APIClient()
    token = device_token_issue(device=device or Device.objects.get(name="demo-kiosk"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    return client


def _start(client: APIClient, language: str) -> str:
    response = client.post(
        "/api/sessions/",
        {"channel": "kiosk", "scenario": "credit_card", "language": language},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _say(client: APIClient, session_id: str, text: str) -> dict:
    response = client.post(f"/api/sessions/{session_id}/turns/", {"text": text}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _first_prompt(language: str) -> str:
    step = Flow.objects.get(code="credit_card").steps.order_by("position").first()
    return step.prompt(language)


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "你好"), ("en", "hello!")])
def test_a_greeting_is_greeted_back_with_the_steps_question(language: str, text: str) -> None:
    client = _client()
    session_id = _start(client, language)
    reply = _say(client, session_id, text)
    assert reply["status"] == "active"
    assert reply["step"] == "ask_needs"
    assert reply["reply"].startswith(HELLO[language])
    assert _first_prompt(language) in reply["reply"]
    assert not Takeover.objects.filter(session_id=session_id).exists()


@pytest.mark.parametrize(
    ("language", "text"),
    [("zh-hans", "好"), ("zh-hans", "123"), ("zh-hans", "asdf"), ("en", "123"), ("en", "asdf")],
)
def test_an_unrecognised_first_message_is_asked_again_not_handed_over(
    language: str, text: str
) -> None:
    client = _client()
    session_id = _start(client, language)
    reply = _say(client, session_id, text)
    assert reply["status"] == "active"
    assert reply["step"] == "ask_needs"
    assert reply["reply"].startswith(SORRY[language])
    assert _first_prompt(language) in reply["reply"]
    assert not any(action["type"] == "handoff" for action in reply["actions"])
    assert not Takeover.objects.filter(session_id=session_id).exists()
    assert DialogueSession.objects.get(pk=session_id).status == "active"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_third_unrecognised_turn_in_a_row_hands_over(language: str) -> None:
    client = _client()
    session_id = _start(client, language)
    for text in ("asdf", "qwer"):
        assert _say(client, session_id, text)["status"] == "active"
    third = _say(client, session_id, "zxcv")
    assert third["status"] == "handed_over"
    takeover = Takeover.objects.get(session_id=session_id)
    assert takeover.reason == "not_understood"
    assert takeover.detail["turns"] == 3


def test_the_turn_before_the_last_says_how_to_reach_a_person() -> None:
    client = _client()
    session_id = _start(client, "zh-hans")
    assert "转人工" not in _say(client, session_id, "asdf")["reply"]
    assert "转人工" in _say(client, session_id, "qwer")["reply"]


def test_an_understood_turn_starts_the_count_again() -> None:
    client = _client()
    session_id = _start(client, "zh-hans")
    _say(client, session_id, "asdf")
    _say(client, session_id, "qwer")
    assert _say(client, session_id, "我经常出国旅游")["step"] == "ask_income"
    _say(client, session_id, "asdf")
    reply = _say(client, session_id, "qwer")
    assert reply["status"] == "active"
    assert list(
        FunnelEvent.objects.filter(session_id=session_id, outcome="not_understood")
        .order_by("id")
        .values_list("step", "detail__count")
    ) == [("ask_needs", 1), ("ask_needs", 2), ("ask_income", 1), ("ask_income", 2)]


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "转人工"), ("en", "human agent")])
def test_asking_for_a_person_still_hands_over_at_once(language: str, text: str) -> None:
    client = _client()
    session_id = _start(client, language)
    assert _say(client, session_id, text)["status"] == "handed_over"
    assert Takeover.objects.get(session_id=session_id).reason == "asked_for_person"


def test_a_device_cannot_fill_the_agents_queue(settings) -> None:  # noqa: ANN001
    settings.TAKEOVER_MAX_WAITING_PER_DEVICE = 2
    device = DeviceFactory()
    client = _client(device)
    handed = [_say(client, _start(client, "en"), "human agent") for _ in range(2)]
    assert [reply["status"] for reply in handed] == ["handed_over", "handed_over"]
    session_id = _start(client, "en")
    refused = _say(client, session_id, "human agent")
    assert refused["status"] == "active"
    assert "ask at the counter" in refused["reply"]
    assert _first_prompt("en") in refused["reply"]
    assert not Takeover.objects.filter(session_id=session_id).exists()
    assert Takeover.objects.filter(session__device=device, state="requested").count() == 2
    assert FunnelEvent.objects.filter(session_id=session_id, outcome="handover_refused").exists()


def test_a_place_in_the_queue_frees_up_when_an_agent_takes_a_session(settings) -> None:  # noqa: ANN001
    from django.contrib.auth.models import Group

    from scenarios.takeover import takeover_start
    from tests.factories import UserFactory

    settings.TAKEOVER_MAX_WAITING_PER_DEVICE = 1
    device = DeviceFactory()
    client = _client(device)
    first = _start(client, "zh-hans")
    assert _say(client, first, "转人工")["status"] == "handed_over"
    second = _start(client, "zh-hans")
    assert _say(client, second, "转人工")["status"] == "active"
    agent = UserFactory()
    agent.groups.add(Group.objects.get(name="remote agent"))
    takeover_start(session_id=first, agent=agent)
    assert _say(client, second, "转人工")["status"] == "handed_over"


def test_a_device_capability_sets_its_own_queue_limit(settings) -> None:  # noqa: ANN001
    settings.TAKEOVER_MAX_WAITING_PER_DEVICE = 1
    device = DeviceFactory(capabilities={"max_waiting_takeovers": 2})
    client = _client(device)
    replies = [_say(client, _start(client, "en"), "human agent") for _ in range(3)]
    assert [reply["status"] for reply in replies] == ["handed_over", "handed_over", "active"]


def test_gibberish_on_the_socket_is_asked_again_without_a_handoff() -> None:
    token = token_for("demo-kiosk")

    async def scenario() -> dict:
        client = Client(f"/ws/avatar/?token={token}")
        await client.connect()
        await client.start(language="en")
        frames = await client.say("asdf")
        await client.close()
        return frames[-1]

    done = async_to_sync(scenario)()
    assert done["status"] == "active"
    assert done["text"].startswith(SORRY["en"])
    assert not any(action["type"] == "handoff" for action in done["actions"])
