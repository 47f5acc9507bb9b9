"""What editors get in Wagtail: hit counts per page, a hits report, trying a question."""

from __future__ import annotations

import pytest
from django.test import Client

from bank_ai.ai.engine import AskContext, ask
from bank_ai.ai.hooks import AnsweredQuestion
from bank_ai.ai.models import AnswerAudit
from content.models import FaqPage, KnowledgeArticle, QuestionHit
from content.selectors import page_question_hits
from content.services import question_hits_record, question_key

pytestmark = pytest.mark.django_db
CARD = "6225881234567894"


def _lost_card_page() -> FaqPage:
    return FaqPage.objects.get(slug="faq-lost-stolen-card", locale__language_code="zh-hans")


def test_every_cited_page_counts_a_hit_with_the_masked_question() -> None:
    page = _lost_card_page()
    question = f"{page.question_variants()[1]}卡号{CARD}"
    answer = ask(question, AskContext(language="zh-hans", channel="app"))
    hits = QuestionHit.objects.filter(audit_id=answer.audit_id)
    assert {hit.page_id for hit in hits} == {s["page_id"] for s in answer.sources}
    assert page.pk in {hit.page_id for hit in hits}
    assert all(CARD not in hit.question for hit in hits)
    assert hits.get(page_id=page.pk).revision_id == page.live_revision_id


def test_a_cited_page_deleted_since_counts_no_hit_and_a_purged_revision_is_left_out() -> None:
    page = _lost_card_page()
    audit_id = ask(page.title, AskContext(language="zh-hans", channel="app")).audit_id
    sources = (
        {"n": 1, "page_id": 987654321, "revision_id": None},  # deleted since
        {"n": 2, "page_id": page.pk, "revision_id": 987654321},  # revision purged since
        {"n": 3, "page_id": page.pk, "revision_id": page.live_revision_id},  # cited twice
    )
    answered = AnsweredQuestion(
        audit_id=audit_id,
        channel="app",
        language="zh-hans",
        masked_question="挂失？",
        answer_kind="generated",
        sources=sources,
    )
    assert question_hits_record(answered=answered) == 1
    hit = QuestionHit.objects.get(audit_id=audit_id, question="挂失？")
    assert (hit.page_id, hit.revision_id, hit.citation) == (page.pk, None, 2)
    assert hit.question_key == question_key("挂失？")


def test_the_same_question_worded_slightly_differently_is_counted_together() -> None:
    page = _lost_card_page()
    question = page.question_variants()[0]
    for variant in (question, question + "？", f"  {question}!! "):
        ask(variant, AskContext(language="zh-hans", channel="app"))
    top = page_question_hits(page.pk)
    assert top[0]["question_key"] == question_key(question)
    assert top[0]["hits"] == 3


def test_questions_tried_in_the_cms_are_audited_but_not_counted() -> None:
    before = QuestionHit.objects.count()
    answer = ask(_lost_card_page().title, AskContext(language="zh-hans", channel="cms"))
    assert AnswerAudit.objects.filter(pk=answer.audit_id, channel="cms").exists()
    assert QuestionHit.objects.count() == before


def test_editors_see_which_questions_hit_a_page_in_its_editor(editor_client: Client) -> None:
    page = _lost_card_page()
    ask("信用卡被偷了要怎么挂失", AskContext(language="zh-hans", channel="app"))
    response = editor_client.get(f"/cms/pages/{page.pk}/edit/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "信用卡被偷了要怎么挂失" in body
    assert 'class="kb-hit-count">1<' in body


def test_the_hits_report_ranks_pages_by_citations(editor_client: Client) -> None:
    page = _lost_card_page()
    for _ in range(2):
        ask(page.title, AskContext(language="zh-hans", channel="kiosk"))
    response = editor_client.get("/cms/knowledge/hits/?period=7")
    assert response.status_code == 200
    assert page.title in response.content.decode()


def test_an_editor_can_try_a_question_and_see_the_cited_revision(editor_client: Client) -> None:
    page = _lost_card_page()
    response = editor_client.post(
        "/cms/knowledge/try/",
        {"question": page.title, "language": "zh-hans", "audience": "customer", "page_type": ""},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-answer-kind="curated"' in body
    assert f"/revisions/{page.live_revision_id}/" in body
    assert f"/cms/pages/{page.pk}/edit/" in body


def test_trying_an_empty_question_shows_the_error_and_asks_nothing(editor_client: Client) -> None:
    before = AnswerAudit.objects.count()
    response = editor_client.post(
        "/cms/knowledge/try/", {"question": "   ", "language": "zh-hans", "audience": "customer"}
    )
    assert response.status_code == 200
    assert "data-answer-kind" not in response.content.decode()
    assert response.context["form"].errors["question"]
    assert AnswerAudit.objects.count() == before


def test_trying_as_myself_never_widens_an_editors_access(editor_client: Client) -> None:
    page = KnowledgeArticle.objects.get(slug="reg-aml-alert-escalation", locale__language_code="en")
    response = editor_client.post(
        "/cms/knowledge/try/",
        {"question": page.title, "language": "en", "audience": "me", "page_type": ""},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-answer-kind="' in body
    assert f"/cms/pages/{page.pk}/edit/" not in body
    assert "<td>restricted</td>" not in body


def test_compliance_trying_as_themselves_is_answered_from_restricted_pages(
    demo_password: str,
) -> None:
    client = Client()
    assert client.login(username="compliance", password=demo_password)
    page = KnowledgeArticle.objects.get(slug="reg-aml-alert-escalation", locale__language_code="en")
    response = client.post(
        "/cms/knowledge/try/",
        {"question": page.title, "language": "en", "audience": "me", "page_type": "regulation"},
    )
    assert page.title in response.content.decode()


def test_the_knowledge_tools_are_in_the_cms_menu(editor_client: Client) -> None:
    body = editor_client.get("/cms/").content.decode()
    assert "/cms/knowledge/try/" in body
    assert "/cms/knowledge/hits/" in body
