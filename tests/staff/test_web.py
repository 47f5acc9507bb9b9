"""The staff assistant's web UI: sign-in, streamed answers, history, feedback, editors' queue."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from staff_assistant.models import Conversation, Feedback, Message
from tests.staff.conftest import login

pytestmark = pytest.mark.django_db
CARD = "6225881234567894"


def _events(response) -> list[tuple[str, dict]]:  # noqa: ANN001
    body = b"".join(response.streaming_content).decode()
    events = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def _ask(client: Client, question: str, **fields: str):  # noqa: ANN202
    return client.post("/staff/ask/", {"question": question, "language": "zh-hans", **fields})


def test_signed_out_visitors_are_sent_to_the_staff_sign_in() -> None:
    response = Client().get("/staff/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_the_sign_in_page_takes_an_employee_to_the_chat(demo_password: str) -> None:
    client = Client()
    assert "staff-login" in client.get("/staff/login/").content.decode()
    response = client.post(
        "/staff/login/", {"username": "employee", "password": demo_password}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/staff/"
    assert 'id="staff-chat"' in response.content.decode()


def test_a_colleague_without_the_permission_is_refused(demo_password: str) -> None:
    ops = login("ops", demo_password)
    assert ops.get("/staff/", HTTP_ACCEPT="text/html").status_code == 403
    assert _ask(ops, "年费怎么免？").status_code == 403


def test_the_chat_page_offers_the_quick_filters_in_both_languages(employee_client: Client) -> None:
    zh = employee_client.get("/staff/").content.decode()
    assert 'data-filter="regulations"' in zh
    assert "法规制度" in zh
    assert "快捷筛选" in zh
    employee_client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    en = employee_client.get("/staff/").content.decode()
    assert "Regulations" in en
    assert "Campaigns" in en


def test_an_answer_streams_as_server_sent_events(employee_client: Client) -> None:
    response = _ask(employee_client, "借记卡密码忘了，在自助机上怎么重置？")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    events = _events(response)
    names = [name for name, _ in events]
    assert names[0] == "start"
    assert names[-1] == "done"
    assert names.count("delta") >= 2
    done = events[-1][1]
    assert done["sources"]
    assert all(s["url"].endswith(f"/revisions/{s['revision_id']}/") for s in done["sources"])
    assert Message.objects.get(pk=done["message_id"]).role == Message.Role.ASSISTANT


def test_the_question_is_stored_masked_even_if_answering_fails(
    employee_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object):  # noqa: ANN202
        raise RuntimeError("provider exploded")
        yield  # pragma: no cover - makes this a generator

    monkeypatch.setattr("staff_assistant.services.stream_answer", broken)
    events = _events(_ask(employee_client, f"客户卡号{CARD}丢了怎么办？"))
    assert [name for name, _ in events] == ["start", "error"]
    question = Message.objects.get(pk=events[0][1]["question_id"])
    assert CARD not in question.text
    assert "7894" in question.text


@pytest.mark.parametrize(
    ("fields", "status"),
    [({"question": "  "}, 400), ({"filter": "gossip"}, 400), ({"conversation": "999999"}, 404)],
)
def test_bad_requests_get_a_json_error_before_any_stream(
    employee_client: Client, fields: dict, status: int
) -> None:
    before = Message.objects.count()
    response = employee_client.post(
        "/staff/ask/", {"question": "年费怎么免？", "language": "zh-hans", **fields}
    )
    assert response.status_code == status
    assert response.json()["error"]
    assert Message.objects.count() == before


def test_a_deeply_nested_json_question_gets_a_json_error_not_a_crash(
    employee_client: Client,
) -> None:
    body = '{"question": ' + "[" * 1000 + "]" * 1000 + "}"
    response = employee_client.post("/staff/ask/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "bad_json"
    assert "nested deeper" in response.json()["detail"]


def test_history_shows_the_conversation_with_working_citation_links(
    employee_client: Client,
) -> None:
    done = _events(_ask(employee_client, "信用卡年费怎么减免？"))[-1][1]
    page = employee_client.get(f"/staff/c/{done['conversation_id']}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "信用卡年费怎么减免？" in html
    first = done["sources"][0]
    assert f'href="{first["url"]}"' in html
    assert employee_client.get(first["url"]).status_code == 200
    assert f'href="/staff/c/{done["conversation_id"]}/"' in html


def test_someone_elses_conversation_is_not_found(
    employee_client: Client, demo_password: str
) -> None:
    branch = login("branch", demo_password)
    done = _events(_ask(branch, "信用卡怎么激活？"))[-1][1]
    assert employee_client.get(f"/staff/c/{done['conversation_id']}/").status_code == 404


def test_feedback_from_the_chat_is_recorded(employee_client: Client) -> None:
    done = _events(_ask(employee_client, "信用卡怎么激活？"))[-1][1]
    response = employee_client.post(
        f"/staff/messages/{done['message_id']}/feedback/",
        json.dumps({"rating": -1, "correction": "激活后还需设置交易密码"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["status"] == "open"
    page = employee_client.get(f"/staff/c/{done['conversation_id']}/").content.decode()
    assert "激活后还需设置交易密码" in page


def test_editors_resolve_corrections_from_the_cms_queue(
    employee_client: Client, editor_client: Client
) -> None:
    done = _events(_ask(employee_client, "信用卡怎么激活？"))[-1][1]
    employee_client.post(
        f"/staff/messages/{done['message_id']}/feedback/",
        {"rating": "-1", "correction": "缺少VTM激活渠道"},
    )
    feedback = Feedback.objects.get(message_id=done["message_id"])
    queue = editor_client.get("/cms/staff-feedback/")
    assert queue.status_code == 200
    assert "缺少VTM激活渠道" in queue.content.decode()
    assert "信用卡怎么激活？" in queue.content.decode()

    response = editor_client.post(
        f"/cms/staff-feedback/{feedback.pk}/resolve/",
        {"status": "resolved", "note": "已补充VTM渠道"},
    )

    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.RESOLVED
    assert feedback.resolved_by.username == "editor"
    assert "缺少VTM激活渠道" not in editor_client.get("/cms/staff-feedback/").content.decode()


def test_streamed_deltas_and_the_final_answer_are_plain_text(
    employee_client: Client, markup_llm: str
) -> None:
    events = _events(_ask(employee_client, "出国前银行卡要做什么准备？", language="en"))

    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert streamed == markup_llm
    assert events[-1][0] == "done"
    assert events[-1][1]["answer"] == markup_llm


def test_a_stored_answer_with_markup_is_shown_as_text_in_the_history(
    employee_client: Client, markup_llm: str
) -> None:
    done = _events(_ask(employee_client, "出国前银行卡要做什么准备？", language="en"))[-1][1]

    html = employee_client.get(f"/staff/c/{done['conversation_id']}/").content.decode()

    assert "<img src=x" not in html
    assert "<b>charges</b>" not in html
    assert "&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;" in html


def test_the_feedback_queue_shows_a_markup_answer_as_text(
    employee_client: Client, editor_client: Client, markup_llm: str
) -> None:
    done = _events(_ask(employee_client, "出国前银行卡要做什么准备？", language="en"))[-1][1]
    employee_client.post(f"/staff/messages/{done['message_id']}/feedback/", {"rating": "-1"})

    html = editor_client.get("/cms/staff-feedback/").content.decode()

    assert "<img src=x" not in html
    assert "&lt;img src=x" in html


def test_compliance_can_read_the_queue_but_not_close_items(
    employee_client: Client, demo_password: str
) -> None:
    done = _events(_ask(employee_client, "信用卡怎么激活？"))[-1][1]
    employee_client.post(f"/staff/messages/{done['message_id']}/feedback/", {"rating": "-1"})
    feedback = Feedback.objects.get(message_id=done["message_id"])
    compliance = login("compliance", demo_password)
    assert compliance.get("/cms/staff-feedback/").status_code == 200
    response = compliance.post(
        f"/cms/staff-feedback/{feedback.pk}/resolve/", {"status": "dismissed"}
    )
    # Wagtail turns a refusal inside the CMS into a redirect home with an error message.
    assert response.status_code == 302
    assert response["Location"] == "/cms/"
    feedback.refresh_from_db()
    assert feedback.status == Feedback.Status.OPEN


def test_the_feedback_queue_is_in_the_cms_menu_for_editors(editor_client: Client) -> None:
    assert "/cms/staff-feedback/" in editor_client.get("/cms/").content.decode()


def test_conversations_are_listed_newest_first(employee_client: Client) -> None:
    first = _events(_ask(employee_client, "信用卡怎么激活？"))[-1][1]
    second = _events(_ask(employee_client, "信用卡年费怎么减免？"))[-1][1]
    html = employee_client.get("/staff/").content.decode()
    assert html.index(f"/staff/c/{second['conversation_id']}/") < html.index(
        f"/staff/c/{first['conversation_id']}/"
    )
    assert Conversation.objects.filter(user__username="employee").count() >= 2
