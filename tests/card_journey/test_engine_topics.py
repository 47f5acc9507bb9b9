"""The engine's topic switching, its LLM rephrasing, and the activation guide at a machine."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bank_ai.ai.llm import Completed, LocalProvider, Usage
from scenarios import dialogue
from scenarios.dialogue import phrasing
from scenarios.models import DialogueSession, FunnelEvent
from tests.card_journey.conftest import Channel

pytestmark = pytest.mark.django_db


def _session(language: str = "zh-hans", **kwargs: object) -> DialogueSession:
    session, _ = dialogue.session_start(
        scenario="credit_card", channel="app", language=language, **kwargs
    )
    return session


def test_switching_topic_pauses_the_flow_and_its_end_resumes_it() -> None:
    session = _session()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    detour = dialogue.session_turn(session_id=session.pk, text="新卡怎么激活")
    assert detour.step == "app_open"
    for _ in range(4):
        result = dialogue.session_turn(session_id=session.pk, text="好了")
    # The guide ended: instead of ending the session, the paused application resumes.
    assert result.status == DialogueSession.Status.ACTIVE
    assert result.step == "ask_income"
    assert "激活完成" in result.reply
    session.refresh_from_db()
    assert session.flow.code == "credit_card"
    assert session.slots["scenarios"] == ["travel", "overseas"]
    assert session.memory["paused_flows"] == []


@pytest.mark.parametrize(
    ("language", "income", "needs", "noted"),
    [
        ("zh-hans", "年收入30万", "我经常出国旅游", "好的，已为您记下。"),
        ("en", "I earn 300k a year", "I travel abroad a lot", "Thank you, I have noted that."),
    ],
)
def test_an_answer_to_a_later_question_is_kept_and_the_current_question_asked_again(
    language: str, income: str, needs: str, noted: str
) -> None:
    session = _session(language)
    greeting = session.turns.get().text
    early = dialogue.session_turn(session_id=session.pk, text=income)
    assert early.step == "ask_needs"
    assert early.reply.startswith(noted)
    assert early.sources == []  # not a knowledge answer about some card
    session.refresh_from_db()
    assert session.slots["income_band"] == "150k-500k"
    assert FunnelEvent.objects.filter(session=session, outcome="noted_in_passing").exists()
    # The step's question again (the greeting's question, after its hello).
    assert early.reply.splitlines()[-1] in greeting
    after_needs = dialogue.session_turn(session_id=session.pk, text=needs)
    assert after_needs.step == "ask_fee"  # the income question is not asked again


def test_continue_without_a_paused_flow_is_not_a_resume() -> None:
    session = _session()
    result = dialogue.session_turn(session_id=session.pk, text="继续")
    assert result.step == "ask_needs"
    assert not FunnelEvent.objects.filter(session=session, outcome="resumed").exists()


def test_naming_the_paused_flow_goes_back_to_it() -> None:
    session = _session("en")
    dialogue.session_turn(session_id=session.pk, text="I mostly eat out")
    dialogue.session_turn(session_id=session.pk, text="how do I activate my card?")
    back = dialogue.session_turn(session_id=session.pk, text="I want to apply for a credit card")
    assert back.step == "ask_income"


def test_slots_said_during_a_detour_do_not_leak_into_the_paused_flow() -> None:
    session = _session("en")
    dialogue.session_turn(session_id=session.pk, text="I mostly eat out")
    dialogue.session_turn(session_id=session.pk, text="how do I activate my card?")
    dialogue.session_turn(session_id=session.pk, text="I travel abroad a lot, where is it?")
    dialogue.session_turn(session_id=session.pk, text="back to my application")
    session.refresh_from_db()
    assert session.slots["scenarios"] == ["dining"]


def test_a_session_survives_a_restart_in_the_middle_of_a_detour() -> None:
    session = _session()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    dialogue.session_turn(session_id=session.pk, text="新卡怎么激活")
    reloaded = DialogueSession.objects.get(pk=session.pk)  # what a new process would read
    assert reloaded.memory["paused_flows"][0]["step"] == "ask_income"
    assert dialogue.session_turn(session_id=session.pk, text="继续申请").step == "ask_income"


class FakeLLM:
    def __init__(self, text: str, provider: str = "anthropic") -> None:
        self.text, self.provider, self.requests = text, provider, []

    def generate(self, request):  # noqa: ANN001, ANN201
        self.requests.append(request)
        return Completed(self.text, Usage(), 1.0, self.provider, "fake")


@pytest.fixture
def llm(settings, monkeypatch):  # noqa: ANN001, ANN201
    settings.ANTHROPIC_API_KEY = "sk-test"
    holder = SimpleNamespace(model=FakeLLM(""))
    monkeypatch.setattr("bank_ai.ai.runtime.get_llm", lambda: holder.model)
    # Knowledge answers keep the offline engine: no test reaches a real provider.
    monkeypatch.setattr("bank_ai.ai.engine.get_llm", LocalProvider)
    return holder


def test_the_llm_rephrasing_is_kept_when_every_number_survives(llm) -> None:  # noqa: ANN001
    draft = "年费1,000元，最长免息期56天。"
    llm.model = FakeLLM("这张卡年费为1000元，免息期最长可达56天。")
    assert (
        phrasing.rephrase(draft, language="zh-hans") == "这张卡年费为1000元，免息期最长可达56天。"
    )
    assert llm.model.requests[0].task == "rephrase"
    assert llm.model.requests[0].draft == draft


@pytest.mark.parametrize(
    "rewrite",
    [
        "年费100元，最长免息期56天。",
        "年费1,000元，免息期很长。",
        "年费1,000元，最长免息期56天，额度5万。",
        "",
    ],
)
def test_a_rephrasing_that_changes_a_number_is_dropped(llm, rewrite: str) -> None:  # noqa: ANN001
    draft = "年费1,000元，最长免息期56天。"
    llm.model = FakeLLM(rewrite)
    assert phrasing.rephrase(draft, language="zh-hans") == draft


def test_the_local_fallback_is_not_taken_for_a_rephrasing(llm) -> None:  # noqa: ANN001
    llm.model = FakeLLM("Annual fee: RMB 1,000!", provider="local")
    assert phrasing.rephrase("Annual fee RMB 1,000.", language="en") == "Annual fee RMB 1,000."


def test_without_an_api_key_replies_are_exactly_the_flows(settings, monkeypatch) -> None:  # noqa: ANN001
    settings.ANTHROPIC_API_KEY = ""

    def refuse():  # noqa: ANN202
        raise AssertionError("no LLM without a key")

    monkeypatch.setattr("bank_ai.ai.runtime.get_llm", refuse)
    session = _session()
    result = dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    assert result.reply == session.flow.steps.get(code="ask_income").prompt_zh


def test_flow_replies_go_through_the_rephrasing_and_knowledge_answers_do_not(llm) -> None:  # noqa: ANN001
    llm.model = FakeLLM("请问您的年收入大约是多少？若您是学生，也请告知。")
    session = _session()
    result = dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    assert result.reply == "请问您的年收入大约是多少？若您是学生，也请告知。"
    asked = len(llm.model.requests)
    dialogue.session_turn(session_id=session.pk, text="信用卡年费怎么免？")
    rephrased = [r for r in llm.model.requests[asked:] if r.task == "rephrase"]
    assert rephrased == []


def test_the_avatar_guide_at_a_vtm_lights_up_its_devices() -> None:
    vtm = Channel("demo-vtm")
    started = vtm.client.post(
        "/api/sessions/",
        {"channel": "vtm", "scenario": "card_activation", "language": "zh-hans"},
        format="json",
    ).json()
    assert started["step"] == "choose_guide"
    first = vtm.say(started["id"], "就在这里办吧")
    assert first["step"] == "avatar_card"
    assert first["actions"][0]["ui"] == {"type": "highlight_device", "part": "card_reader"}
    assert first["actions"][1]["type"] == "avatar"
    steps = [first["step"]]
    for _ in range(3):
        response = vtm.event(started["id"], "guide_step_done", step=steps[-1])
        assert response.status_code == 200
        steps.append(response.json()["step"])
    assert steps == ["avatar_card", "avatar_id", "avatar_face", "avatar_pin"]
    done = vtm.event(started["id"], "guide_step_done", step="avatar_pin").json()
    assert done["status"] == "completed"


def test_a_screen_without_a_card_reader_refuses_the_avatar_guide() -> None:
    kiosk = Channel("demo-hall-screen")
    started = kiosk.client.post(
        "/api/sessions/",
        {"channel": "hall_screen", "scenario": "card_activation", "language": "en"},
        format="json",
    ).json()
    # Nothing to insert a card into here: the app guide it is.
    assert started["step"] == "app_open"


def test_a_doubtful_handoff_guess_that_names_a_person_still_hands_over(monkeypatch) -> None:  # noqa: ANN001
    from bank_ai.ai.intents import IntentResult

    def doubtful(text: str) -> IntentResult:
        return IntentResult(
            "human_agent", 0.6, (), needs_clarification=False, out_of_scope=False, handoff=True
        )

    monkeypatch.setattr("bank_ai.ai.intents.classify_intent", doubtful)
    session = _session()
    dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    dialogue.session_turn(session_id=session.pk, text="年收入30万")
    # At the optional fee question a bare guess would be taken as "skip"; naming a person is not.
    result = dialogue.session_turn(session_id=session.pk, text="能帮我找个人工吗")
    assert result.status == DialogueSession.Status.HANDED_OVER


def test_a_doubtful_handoff_guess_does_not_override_the_steps_answer(monkeypatch) -> None:  # noqa: ANN001
    from bank_ai.ai.intents import IntentResult

    def doubtful(text: str) -> IntentResult:
        return IntentResult(
            "human_agent", 0.6, (), needs_clarification=False, out_of_scope=False, handoff=True
        )

    monkeypatch.setattr("bank_ai.ai.intents.classify_intent", doubtful)
    session = _session()
    result = dialogue.session_turn(session_id=session.pk, text="我经常出国旅游")
    assert result.step == "ask_income"
    assert result.status == DialogueSession.Status.ACTIVE
