"""After-sales in the app, end to end through the session API: describe the problem → locate
and confirm → knowledge answer with sources → related questions → resolved or handed over →
satisfaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bank_ai.ai.models import AnswerAudit
from content.models import FaqPage, KnowledgeArticle
from scenarios.dialogue.app_service import app_service_kpis
from scenarios.models import DialogueSession, FunnelEvent
from tests.app_service.conftest import AppCustomer

pytestmark = pytest.mark.django_db


def _outcomes(customer: AppCustomer, outcome: str) -> list[FunnelEvent]:
    return list(FunnelEvent.objects.filter(session_id=customer.session_id, outcome=outcome))


def test_a_chinese_problem_is_answered_with_sources_and_resolved(customer: AppCustomer) -> None:
    faq = FaqPage.objects.get(slug="faq-lost-stolen-card", locale__language_code="zh-hans")
    assert customer.start("after_sales", "zh-hans")["step"] == "describe_problem"

    located = customer.say("我的银行卡丢了怎么办")
    assert located["step"] == "confirm_problem"
    assert faq.title in located["reply"]

    answered = customer.say("对")
    assert answered["step"] == "answer"
    assert faq.answer[:20] in answered["reply"]
    source = answered["sources"][0]
    assert source["page_id"] == faq.pk
    assert source["url"].endswith(f"/revisions/{faq.live_revision_id}/")
    related = customer.actions("related_questions")[0]["questions"]
    assert related
    assert related[0] in answered["reply"]
    assert answered["reply"].endswith("这个回答解决您的问题了吗？")
    assert AnswerAudit.objects.filter(session_ref=customer.session_id, channel="app").exists()

    follow_up = customer.say(f"{related[0]}")
    assert follow_up["step"] == "answer"
    assert follow_up["reply"].endswith("这个回答解决您的问题了吗？")

    assert customer.say("解决了，谢谢")["step"] == "satisfaction"
    closing = customer.say("5分")
    assert closing["status"] == DialogueSession.Status.COMPLETED
    assert customer.session.memory["satisfaction"] == {"score": 5, "comment": ""}
    assert _outcomes(customer, "resolved")
    assert _outcomes(customer, "service_closed")[0].detail["result"] == "completed"


def test_an_unresolved_english_problem_is_handed_over_after_the_rating(
    customer: AppCustomer,
) -> None:
    customer.start("after_sales", "en")
    located = customer.say("I forgot my card PIN")
    assert "PIN" in located["reply"]
    answered = customer.say("yes")
    assert answered["sources"]

    unresolved = customer.say("no, it still doesn't work")
    assert unresolved["step"] == "satisfaction"
    assert customer.actions("handoff") == [
        {"type": "handoff", "reason": "unresolved", "after": "rating"}
    ]
    assert "connect you to a colleague" in unresolved["reply"]
    assert customer.session.status == DialogueSession.Status.ACTIVE
    assert _outcomes(customer, "handed_over")[0].detail == {"reason": "unresolved"}

    closing = customer.say("2 - the reset steps were confusing")
    assert closing["status"] == DialogueSession.Status.HANDED_OVER
    assert customer.actions("handoff") == [{"type": "handoff", "reason": "unresolved"}]
    assert customer.session.memory["satisfaction"] == {
        "score": 2,
        "comment": "the reset steps were confusing",
    }
    assert _outcomes(customer, "service_closed")[0].detail["result"] == "handed_over"
    assert not _outcomes(customer, "completed")


def test_the_customer_can_answer_with_taps(customer: AppCustomer) -> None:
    customer.start("after_sales", "zh-hans")
    customer.say("App登录不上去")
    customer.tap("confirm", step="confirm_problem")
    assert customer.last["step"] == "answer"
    customer.tap("resolved", step="answer")
    customer.tap("rate", step="satisfaction", score=3, comment="还行")
    assert customer.session.status == DialogueSession.Status.COMPLETED
    assert customer.session.memory["satisfaction"] == {"score": 3, "comment": "还行"}


def test_a_wrong_guess_offers_the_other_problems(customer: AppCustomer) -> None:
    customer.start("after_sales", "zh-hans")
    customer.say("收到短信说我的账户被冻结，让我点链接解冻")
    others = customer.session.memory["candidates"][1:]
    assert others
    customer.say("不是")
    chosen = customer.tap("choose", step="confirm_problem", key=others[0]["key"])
    assert chosen["step"] == "answer"
    assert customer.session.memory["chosen"] == others[0]


def test_after_sales_answers_only_from_public_pages(customer: AppCustomer) -> None:
    customer.start("after_sales", "zh-hans")
    customer.say("大额现金交易要报告吗")
    if customer.last["step"] == "confirm_problem":
        customer.say("对")
    pages = KnowledgeArticle.objects.filter(pk__in=[s["page_id"] for s in customer.last["sources"]])
    assert set(pages.values_list("audience", flat=True)) <= {"public"}
    located = [c["key"] for c in customer.session.memory.get("candidates", [])]
    assert set(
        KnowledgeArticle.objects.filter(pk__in=located).values_list("audience", flat=True)
    ) <= {"public"}


def test_an_empty_turn_is_refused_and_changes_nothing(customer: AppCustomer) -> None:
    customer.start("after_sales", "en")
    response = customer.client.post(
        f"/api/sessions/{customer.session_id}/turns/", {"text": "   "}, format="json"
    )
    assert response.status_code == 400
    assert customer.session.current_step == "describe_problem"


def test_the_kpis_read_completion_drop_off_rating_and_handling_time(
    customer: AppCustomer,
) -> None:
    since = timezone.now() - timedelta(seconds=1)
    customer.start("after_sales", "zh-hans")
    for words in ("我的银行卡丢了怎么办", "对", "解决了", "5分"):
        customer.say(words)
    customer.start("after_sales", "en")
    for words in ("I forgot my card PIN", "yes", "no, it still doesn't work", "1"):
        customer.say(words)
    customer.start("after_sales", "zh-hans")
    customer.say("App登录不上去")  # and then the customer leaves

    kpis = app_service_kpis("after_sales", since=since)

    assert kpis["sessions"] == 3
    assert kpis["completed"] == 1
    assert kpis["handed_over"] == 1
    assert kpis["completion_rate"] == pytest.approx(1 / 3)
    assert kpis["drop_off"] == {"confirm_problem": 1}
    assert kpis["ratings"] == 2
    assert kpis["average_rating"] == 3
    assert kpis["handling_seconds_median"] is not None


def test_the_knowledge_answer_streams_for_the_avatar_sockets() -> None:
    from scenarios import dialogue

    session, _ = dialogue.session_start(scenario="after_sales", channel="app", language="en")
    dialogue.session_turn(session_id=session.pk, text="I forgot my card PIN")
    chunks: list[str] = []
    result = dialogue.session_turn(session_id=session.pk, text="yes", on_delta=chunks.append)
    assert result.step == "answer"
    assert len(chunks) >= 2
    assert "".join(chunks).endswith(result.reply.rsplit("\n\n", 1)[-1])


def test_a_rating_given_in_the_flow_is_the_sessions_rating(customer: AppCustomer) -> None:
    customer.start("after_sales", "zh-hans")
    for words in ("App登录不上去", "对", "解决了", "4分，挺快的"):
        customer.say(words)
    again = customer.client.post(
        f"/api/sessions/{customer.session_id}/rating/", {"score": 1}, format="json"
    )
    assert again.status_code == 409
    rated = _outcomes(customer, "rated")
    assert [event.detail for event in rated] == [{"score": 4, "comment": "挺快的"}]


def test_a_session_rated_through_the_endpoint_is_not_asked_again(customer: AppCustomer) -> None:
    customer.start("after_sales", "en")
    customer.say("I forgot my card PIN")
    customer.say("yes")
    rating = customer.client.post(
        f"/api/sessions/{customer.session_id}/rating/", {"score": 5}, format="json"
    )
    assert rating.status_code == 201
    closing = customer.say("yes, that solved it")
    assert closing["status"] == DialogueSession.Status.COMPLETED
    assert _outcomes(customer, "service_closed")[0].detail["score"] == 5
