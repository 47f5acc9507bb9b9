"""POST /api/staff/ask/ and the feedback API, for employees only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bank_ai.ai.models import AnswerAudit
from content.models import KnowledgeArticle, RegulationPage
from devices.models import Device
from devices.services import device_token_issue
from staff_assistant.models import Conversation, Feedback, Message

pytestmark = pytest.mark.django_db
CARD = "6225881234567894"
ASK = "/api/staff/ask/"


def _token_client(username: str) -> APIClient:
    client = APIClient()
    user = get_user_model().objects.get(username=username)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0]}")
    return client


def test_an_anonymous_caller_gets_401() -> None:
    response = APIClient().post(ASK, {"question": "年费怎么免？"}, format="json")
    assert response.status_code == 401


def test_a_device_token_is_not_an_employee() -> None:
    client = APIClient()
    token = device_token_issue(device=Device.objects.get(name="demo-kiosk"))
    client.credentials(HTTP_AUTHORIZATION=f"Device {token}")
    assert client.post(ASK, {"question": "年费怎么免？"}, format="json").status_code == 401


def test_a_colleague_without_the_assistant_permission_gets_403() -> None:
    response = _token_client("ops").post(ASK, {"question": "年费怎么免？"}, format="json")
    assert response.status_code == 403


def test_an_employee_is_answered_with_sources(employee_api: APIClient) -> None:
    response = employee_api.post(
        ASK, {"question": "信用卡年费怎么减免？", "language": "zh-hans"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["answer"]
    assert body["sources"]
    for source in body["sources"]:
        assert {"title", "url", "snippet"} <= set(source)
        assert "/kb/" in source["url"]
        assert source["url"].endswith(f"/revisions/{source['revision_id']}/")


def test_a_session_signed_in_employee_may_ask_too(employee_client) -> None:  # noqa: ANN001
    response = employee_client.post(
        ASK,
        {"question": "How do I report a lost card?", "language": "en"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["language"] == "en"


def test_an_english_question_without_a_language_is_answered_in_english(
    employee_api: APIClient,
) -> None:
    body = employee_api.post(
        ASK, {"question": "How do I report a lost card?"}, format="json"
    ).json()

    assert body["language"] == "en"
    assert AnswerAudit.objects.get(pk=body["audit_id"]).language == "en"
    assert Conversation.objects.get(pk=body["conversation_id"]).language == "en"


def test_a_chinese_question_without_a_language_is_answered_in_chinese(
    employee_api: APIClient,
) -> None:
    body = employee_api.post(ASK, {"question": "信用卡丢了怎么挂失？"}, format="json").json()

    assert body["language"] == "zh-hans"


def test_a_requested_language_wins_over_the_questions_own(employee_api: APIClient) -> None:
    body = employee_api.post(
        ASK, {"question": "How do I report a lost card?", "language": "zh-hans"}, format="json"
    ).json()

    assert body["language"] == "zh-hans"


def test_an_answer_with_markup_arrives_as_plain_text_in_the_json(
    employee_api: APIClient, markup_llm: str
) -> None:
    body = employee_api.post(
        ASK, {"question": "出国前银行卡要做什么准备？", "language": "en"}, format="json"
    ).json()

    assert body["kind"] == "generated"
    assert body["answer"] == markup_llm
    assert Message.objects.get(pk=body["message_id"]).text == markup_llm
    assert AnswerAudit.objects.get(pk=body["audit_id"]).masked_answer == markup_llm


def test_every_question_and_answer_is_audited_with_who_and_sources(
    employee_api: APIClient, employee
) -> None:  # noqa: ANN001
    body = employee_api.post(
        ASK, {"question": f"客户卡号{CARD}丢了，怎么挂失？", "language": "zh-hans"}, format="json"
    ).json()
    audit = AnswerAudit.objects.get(pk=body["audit_id"])
    assert audit.user == employee
    assert audit.channel == "staff"
    assert CARD not in audit.masked_question
    assert [s["page_id"] for s in audit.sources] == [s["page_id"] for s in body["sources"]]
    assert isinstance(audit.guard_decisions, list)


def test_the_conversation_is_kept_with_the_question_masked(employee_api: APIClient) -> None:
    body = employee_api.post(
        ASK, {"question": f"客户卡号{CARD}丢了，怎么挂失？", "language": "zh-hans"}, format="json"
    ).json()
    conversation = Conversation.objects.get(pk=body["conversation_id"])
    question, reply = conversation.messages.order_by("id")
    assert CARD not in question.text
    assert CARD not in conversation.title
    assert reply.pk == body["message_id"]
    assert reply.audit_id == body["audit_id"]
    assert reply.sources == body["sources"]


def test_a_follow_up_continues_the_same_conversation(employee_api: APIClient) -> None:
    first = employee_api.post(ASK, {"question": "信用卡怎么激活？"}, format="json").json()
    second = employee_api.post(
        ASK,
        {"question": "激活后多久能用？", "conversation": first["conversation_id"]},
        format="json",
    ).json()
    assert second["conversation_id"] == first["conversation_id"]
    assert Message.objects.filter(conversation_id=first["conversation_id"]).count() == 4


def test_another_employees_conversation_is_not_found(employee_api: APIClient) -> None:
    other = _token_client("branch").post(ASK, {"question": "信用卡怎么激活？"}, format="json")
    response = employee_api.post(
        ASK,
        {"question": "激活后多久能用？", "conversation": other.json()["conversation_id"]},
        format="json",
    )
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_conversation"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "年费", "language": "fr"}, "language"),
        ({"question": "年费", "filter": "gossip"}, "filter"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(
    employee_api: APIClient, payload: dict, field: str
) -> None:
    before = (Message.objects.count(), AnswerAudit.objects.count())
    response = employee_api.post(ASK, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert (Message.objects.count(), AnswerAudit.objects.count()) == before


def test_the_regulations_filter_answers_from_regulations_only(employee_api: APIClient) -> None:
    body = employee_api.post(
        ASK,
        {"question": "大额现金交易的报告标准是什么？", "filter": "regulations"},
        format="json",
    ).json()
    assert body["sources"]
    pages = KnowledgeArticle.objects.filter(pk__in=[s["page_id"] for s in body["sources"]])
    assert all(page.specific_class is RegulationPage for page in pages)


def test_the_products_filter_answers_from_product_pages(employee_api: APIClient) -> None:
    body = employee_api.post(
        ASK, {"question": "哪张卡有机场贵宾厅？", "filter": "products"}, format="json"
    ).json()
    pages = KnowledgeArticle.objects.filter(pk__in=[s["page_id"] for s in body["sources"]])
    assert pages
    assert {page.specific_class.__name__ for page in pages} == {"ProductPage"}


def test_thumbs_down_with_a_correction_goes_to_the_editors(employee_api: APIClient) -> None:
    answer = employee_api.post(ASK, {"question": "信用卡怎么激活？"}, format="json").json()
    response = employee_api.post(
        f"/api/staff/messages/{answer['message_id']}/feedback/",
        {"rating": -1, "correction": f"还可以在VTM激活，客户卡号{CARD}的情况要先核身"},
        format="json",
    )
    assert response.status_code == 201
    feedback = Feedback.objects.get(pk=response.json()["id"])
    assert feedback.status == Feedback.Status.OPEN
    assert CARD not in feedback.correction


def test_a_plain_thumbs_up_is_noted_without_review(employee_api: APIClient) -> None:
    answer = employee_api.post(ASK, {"question": "信用卡怎么激活？"}, format="json").json()
    response = employee_api.post(
        f"/api/staff/messages/{answer['message_id']}/feedback/", {"rating": 1}, format="json"
    )
    assert response.json()["status"] == Feedback.Status.NOTED


def test_feedback_on_someone_elses_answer_is_not_found(employee_api: APIClient) -> None:
    other = _token_client("branch").post(ASK, {"question": "信用卡怎么激活？"}, format="json")
    response = employee_api.post(
        f"/api/staff/messages/{other.json()['message_id']}/feedback/",
        {"rating": -1},
        format="json",
    )
    assert response.status_code == 404


def test_a_rating_other_than_up_or_down_is_refused(employee_api: APIClient) -> None:
    answer = employee_api.post(ASK, {"question": "信用卡怎么激活？"}, format="json").json()
    response = employee_api.post(
        f"/api/staff/messages/{answer['message_id']}/feedback/", {"rating": 5}, format="json"
    )
    assert response.status_code == 400
    assert not Feedback.objects.filter(message_id=answer["message_id"]).exists()


def test_the_history_api_lists_only_my_conversations(employee_api: APIClient) -> None:
    mine = employee_api.post(ASK, {"question": "信用卡怎么激活？"}, format="json").json()
    _token_client("branch").post(ASK, {"question": "信用卡怎么激活？"}, format="json")
    listed = employee_api.get("/api/staff/conversations/").json()
    assert mine["conversation_id"] in [c["id"] for c in listed]
    owners = Conversation.objects.filter(pk__in=[c["id"] for c in listed])
    assert set(owners.values_list("user__username", flat=True)) == {"employee"}
    detail = employee_api.get(f"/api/staff/conversations/{mine['conversation_id']}/").json()
    assert [m["role"] for m in detail["messages"]] == ["user", "assistant"]
