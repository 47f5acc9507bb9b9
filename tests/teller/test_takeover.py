"""Human takeover: the triggers, the agent speaking through the avatar, hand-back and audit."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from rest_framework.test import APIClient

from devices.models import Device
from devices.push import session_group
from devices.services import device_token_issue
from scenarios import dialogue
from scenarios.models import (
    DialogueSession,
    Flow,
    FlowStep,
    HandoffKeyword,
    Takeover,
    TakeoverAudit,
    Turn,
)
from scenarios.takeover import (
    CONSOLE_GROUP,
    CONSOLE_PRESENCE_KEY,
    TakeoverError,
    agent_name,
    agent_say,
    console_presence_mark,
    console_session_group,
    takeover_end,
    takeover_start,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():  # noqa: ANN201
    return get_user_model().objects.get(username="agent")


def _start(scenario: str = "super_teller", language: str = "zh-hans") -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario=scenario,
        channel="vtm",
        language=language,
        device=Device.objects.get(name="demo-vtm"),
    )
    return session


def _say(session: DialogueSession, text: str):  # noqa: ANN202
    return dialogue.session_turn(session_id=session.pk, text=text)


def test_asking_for_a_person_opens_a_waiting_takeover_with_an_audit_row() -> None:
    session = _start()
    result = _say(session, "我要转人工")
    assert result.status == DialogueSession.Status.HANDED_OVER
    takeover = Takeover.objects.get(session=session)
    assert (takeover.state, takeover.reason) == ("requested", "asked_for_person")
    audit = TakeoverAudit.objects.get(session=session)
    assert (audit.action, audit.actor_name, audit.reason) == (
        "requested",
        "system",
        "asked_for_person",
    )


def test_a_configured_keyword_hands_over() -> None:
    HandoffKeyword.objects.create(phrase="大额挂失")
    session = _start()
    _say(session, "我想办个大额挂失")
    assert Takeover.objects.get(session=session).detail["keyword"] == "大额挂失"


def test_an_inactive_keyword_does_not() -> None:
    HandoffKeyword.objects.filter(phrase="投诉").update(is_active=False)
    session = _start()
    _say(session, "投诉的电话是多少")
    assert not Takeover.objects.filter(session=session, reason="keyword").exists()


def test_anger_hands_over_at_once() -> None:
    session = _start("super_teller", "en")
    result = _say(session, "This is ridiculous, I'm fed up with your useless bank!!")
    assert result.status == DialogueSession.Status.HANDED_OVER
    assert Takeover.objects.get(session=session).reason == "anger"


def test_two_strongly_negative_turns_hand_over_but_one_does_not() -> None:
    session = _start()
    first = _say(session, "机器太慢了，真让人失望")
    assert first.status == DialogueSession.Status.ACTIVE
    assert first.sentiment == "negative"
    second = _say(session, "太糟糕了，一直出问题，很失望")
    assert second.status == DialogueSession.Status.HANDED_OVER
    assert Takeover.objects.get(session=session).reason == "negative_sentiment"


def test_a_configured_handoff_step_hands_over_and_hand_back_moves_on(agent) -> None:  # noqa: ANN001
    flow = Flow.objects.create(
        code="test_handoff", scenario="super_teller", name_zh="测", name_en="t"
    )
    FlowStep.objects.create(
        flow=flow, code="ask", position=1, kind="confirm", prompt_zh="开始吗？", prompt_en="Start?"
    )
    FlowStep.objects.create(
        flow=flow,
        code="verify",
        position=2,
        kind="handoff",
        prompt_zh="需要人工核验。",
        prompt_en="A colleague must verify this.",
        config={"reason": "manual_verification"},
    )
    FlowStep.objects.create(
        flow=flow, code="bye", position=3, kind="end", prompt_zh="再见", prompt_en="Bye"
    )
    session, _ = dialogue.session_start(scenario="test_handoff", channel="vtm", language="en")
    result = _say(session, "yes")
    assert result.status == DialogueSession.Status.HANDED_OVER
    assert Takeover.objects.get(session=session).reason == "manual_verification"
    takeover_start(session_id=session.pk, agent=agent)
    takeover_end(session_id=session.pk, agent=agent)
    session.refresh_from_db()
    assert session.status == DialogueSession.Status.COMPLETED
    assert session.turns.order_by("-seq").first().text == "Bye"


def test_customer_turns_while_handed_over_are_stored_masked_and_not_answered() -> None:
    session = _start()
    _say(session, "转人工")
    result = _say(session, "我的手机是13812345678，快点")
    assert result.reply == ""
    assert result.status == DialogueSession.Status.HANDED_OVER
    stored = Turn.objects.filter(session=session, role=Turn.Role.CUSTOMER).last()
    assert "13812345678" not in stored.text
    assert stored.sentiment
    assert Turn.objects.filter(session=session).last().role == Turn.Role.CUSTOMER  # no AI reply


def test_the_session_api_accepts_turns_while_waiting_for_an_agent() -> None:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-vtm"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    session = client.post(
        "/api/sessions/", {"channel": "vtm", "scenario": "super_teller"}, format="json"
    ).json()
    client.post(f"/api/sessions/{session['id']}/turns/", {"text": "我要找人工"}, format="json")
    held = client.post(f"/api/sessions/{session['id']}/turns/", {"text": "还在吗？"}, format="json")
    assert held.status_code == 200
    assert held.json()["reply"] == ""
    assert held.json()["actions"] == [{"type": "handoff", "state": "waiting"}]


def test_the_agent_takes_over_and_the_avatar_speaks_the_agents_words(
    agent,
    listen,
    committed,  # noqa: ANN001
) -> None:
    session = _start()
    _say(session, "转人工")
    device = listen(session_group(session.pk))
    console = listen(console_session_group(session.pk))
    console_presence_mark()  # a console is open
    with committed():
        takeover_start(session_id=session.pk, agent=agent)
        turn = agent_say(
            session_id=session.pk,
            agent=agent,
            text="您好，我是客服小王，您的卡号6222021234567890123吗？",
        )
    frames = device.frames()
    assert (frames[0]["type"], frames[0]["agent"]) == ("handoff.started", agent_name(agent))
    say = next(f for f in frames if f["type"] == "avatar.say")
    assert say["text"].startswith("您好，我是客服小王")
    assert "6222021234567890123" not in say["text"]
    assert say["agent"] == frames[0]["agent"]
    assert turn.role == Turn.Role.AGENT
    assert [f["turn"]["role"] for f in console.frames() if f["type"] == "turn"] == ["agent"]


def test_only_the_agent_in_control_speaks_and_only_agents_take_over(agent) -> None:  # noqa: ANN001
    session = _start()
    _say(session, "转人工")
    with pytest.raises(TakeoverError) as not_taken:
        agent_say(session_id=session.pk, agent=agent, text="hello")
    assert not_taken.value.code == "not_taken"
    employee = get_user_model().objects.get(username="employee")
    with pytest.raises(TakeoverError) as forbidden:
        takeover_start(session_id=session.pk, agent=employee)
    assert forbidden.value.code == "forbidden"
    takeover_start(session_id=session.pk, agent=agent)
    other = get_user_model().objects.create_user("agent2", password="x")
    other.groups.add(agent.groups.get(name="remote agent"))
    with pytest.raises(TakeoverError) as busy:
        takeover_start(session_id=session.pk, agent=other)
    assert busy.value.code == "taken_by_other"


def test_an_agent_can_take_over_a_live_session_unasked(agent) -> None:  # noqa: ANN001
    session = _start()
    takeover_start(session_id=session.pk, agent=agent, note="customer looks lost")
    session.refresh_from_db()
    assert session.status == DialogueSession.Status.HANDED_OVER
    assert Takeover.objects.get(session=session).reason == "agent_initiated"


def test_hand_back_resumes_the_guide_at_its_step(agent, listen, committed) -> None:  # noqa: ANN001
    session = _start()
    _say(session, "我的卡丢了")
    _say(session, "好的")
    dialogue.session_event(session_id=session.pk, name="step.failed", step="scan_id")
    dialogue.session_event(session_id=session.pk, name="step.failed", step="scan_id")
    takeover_start(session_id=session.pk, agent=agent)
    device = listen(session_group(session.pk))
    with committed():
        turn = takeover_end(session_id=session.pk, agent=agent, note="ID reader cleaned")
    session.refresh_from_db()
    assert session.status == DialogueSession.Status.ACTIVE
    assert session.current_step == "scan_id"
    assert turn.payload["actions"][0]["type"] == "guide_step"
    assert turn.payload["actions"][0]["attempt"] == 1
    frames = device.frames()
    assert [f["type"] for f in frames] == ["handoff.ended", "answer.done"]
    assert frames[1]["actions"][0]["type"] == "guide_step"
    assert frames[1]["seq"] > frames[0]["seq"]
    nxt = dialogue.session_event(session_id=session.pk, name="step.confirmed", step="scan_id")
    assert nxt.step == "face_check"


def test_every_takeover_and_hand_back_is_audited_append_only(agent) -> None:  # noqa: ANN001
    session = _start()
    _say(session, "转人工")
    takeover_start(session_id=session.pk, agent=agent, note="taking it")
    takeover_end(session_id=session.pk, agent=agent, note="resolved")
    rows = list(
        TakeoverAudit.objects.filter(session=session).values_list("action", "actor_name", "note")
    )
    assert [r[0] for r in rows] == ["requested", "taken", "handed_back"]
    assert rows[1][1] == rows[2][1] != "system"
    assert rows[2][2] == "resolved"
    with pytest.raises(DatabaseError), transaction.atomic():
        TakeoverAudit.objects.filter(session=session).update(note="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        TakeoverAudit.objects.filter(session=session).delete()


def test_the_console_hears_of_new_turns_and_state_changes(agent, listen, committed) -> None:  # noqa: ANN001
    session = _start()
    console = listen(CONSOLE_GROUP)
    watched = listen(console_session_group(session.pk))
    console_presence_mark()  # a console is open
    with committed():
        _say(session, "我的卡丢了")
    turns = [f["turn"] for f in watched.frames() if f["type"] == "turn"]
    assert [t["role"] for t in turns] == ["customer", "assistant"]
    assert turns[0]["text"] == "我的卡丢了"
    rows = [f["session"] for f in console.frames() if f["type"] == "session.updated"]
    assert rows[-1]["id"] == str(session.pk)
    assert rows[-1]["device"] == "demo-vtm"
    with committed():
        _say(session, "转人工")
    rows = [f["session"] for f in console.frames() if f["type"] == "session.updated"]
    assert rows[-1]["state"] == "waiting"
    assert rows[-1]["reason"] == "asked_for_person"


def test_turns_are_not_pushed_to_consoles_when_none_is_online(listen, committed) -> None:  # noqa: ANN001
    from django.core.cache import cache

    cache.delete(CONSOLE_PRESENCE_KEY)
    session = _start()
    console = listen(CONSOLE_GROUP)
    watched = listen(console_session_group(session.pk))
    with committed():
        _say(session, "我的卡丢了")
    assert watched.frames() == []
    assert console.frames() == []
