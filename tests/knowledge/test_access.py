"""Restricted knowledge answers only permitted groups; customer channels never see internal
pages."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from bank_ai.ai.engine import AskContext, ask
from bank_ai.ai.models import KnowledgeChunk
from bank_ai.ai.text import split_sentences
from content.models import Audience, KnowledgeArticle
from content.selectors import CUSTOMER_SCOPE, knowledge_scope_for_user
from devices.api.authentication import DevicePrincipal
from devices.models import Device

pytestmark = pytest.mark.django_db
RESTRICTED_KEYS = (
    "reg-aml-alert-escalation",
    "reg-credit-limit-override-matrix",
    "reg-complaint-scoring",
)
INTERNAL_KEYS = ("reg-aml-cdd", "reg-aml-large-suspicious-reporting", "reg-fair-debt-collection")


def _user(username: str):  # noqa: ANN202
    return get_user_model().objects.get(username=username)


def _context(username: str | None, language: str, channel: str = "staff") -> AskContext:
    user = _user(username) if username else None
    scope = knowledge_scope_for_user(user)
    return AskContext(
        language=language,
        channel=channel,
        audiences=scope.audiences,
        extra_collections=scope.extra_collections,
        user=user,
    )


def _page_ids(audience: str) -> set[int]:
    return set(KnowledgeArticle.objects.filter(audience=audience).values_list("pk", flat=True))


def _leaked_sentences(answer_text: str, page_ids: set[int]) -> list[str]:
    """Sentences of those pages' passages (12+ characters) that appear in the answer."""
    plain = html.unescape(answer_text)
    leaked = []
    for text in KnowledgeChunk.objects.filter(page_id__in=page_ids).values_list("text", flat=True):
        leaked.extend(s for s in split_sentences(text) if len(s) >= 12 and s in plain)
    return leaked


def test_employees_are_scoped_to_public_and_internal_knowledge() -> None:
    scope = knowledge_scope_for_user(_user("employee"))
    assert scope.audiences == ("public", "internal")
    assert scope.extra_collections == ()


def test_compliance_is_also_answered_from_the_restricted_collection() -> None:
    assert knowledge_scope_for_user(_user("compliance")).extra_collections == (
        "compliance-restricted",
    )


def test_devices_and_anonymous_callers_get_the_customer_scope() -> None:
    device = DevicePrincipal(Device.objects.get(name="demo-kiosk"))
    assert knowledge_scope_for_user(device) == CUSTOMER_SCOPE
    assert knowledge_scope_for_user(None) == CUSTOMER_SCOPE


@pytest.mark.parametrize("key", RESTRICTED_KEYS)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_restricted_passage_never_reaches_an_unpermitted_employee(
    key: str, language: str
) -> None:
    page = KnowledgeArticle.objects.get(slug=key, locale__language_code=language)
    restricted = _page_ids(Audience.RESTRICTED)
    # The page's own title and summary are the sharpest possible question for it.
    for question in (page.title, page.summary):
        answer = ask(question, _context("employee", language))
        assert not {s["page_id"] for s in answer.sources} & restricted, answer.sources
        assert not _leaked_sentences(answer.text, restricted)


ALERT_QUESTION = "How are AML monitoring alerts tiered and escalated?"


def test_the_same_question_cites_the_restricted_page_only_for_compliance() -> None:
    page = KnowledgeArticle.objects.get(slug="reg-aml-alert-escalation", locale__language_code="en")
    restricted = _page_ids(Audience.RESTRICTED)

    for_compliance = ask(ALERT_QUESTION, _context("compliance", "en"))
    for_employee = ask(ALERT_QUESTION, _context("employee", "en"))

    assert page.pk in {s["page_id"] for s in for_compliance.sources}
    assert _leaked_sentences(for_compliance.text, {page.pk})
    assert not {s["page_id"] for s in for_employee.sources} & restricted
    assert not _leaked_sentences(for_employee.text, restricted)


@pytest.mark.parametrize("key", INTERNAL_KEYS)
@pytest.mark.parametrize("channel", ["app", "kiosk"])
def test_customer_channels_never_see_internal_or_restricted_content(key: str, channel: str) -> None:
    page = KnowledgeArticle.objects.get(slug=key, locale__language_code="zh-hans")
    answer = ask(page.title, _context(None, "zh-hans", channel=channel))
    hidden = _page_ids(Audience.INTERNAL) | _page_ids(Audience.RESTRICTED)
    assert not {s["page_id"] for s in answer.sources} & hidden
    assert not _leaked_sentences(answer.text, hidden)


def test_a_restricted_pages_revision_link_is_not_found_for_an_employee(
    demo_password: str,
) -> None:
    page = KnowledgeArticle.objects.get(slug="reg-aml-alert-escalation", locale__language_code="en")
    url = f"{page.url}revisions/{page.live_revision_id}/"
    employee = Client()
    employee.login(username="employee", password=demo_password)
    compliance = Client()
    compliance.login(username="compliance", password=demo_password)
    assert Client().get(url).status_code == 404
    assert employee.get(url).status_code == 404
    assert compliance.get(url).status_code == 200


def test_a_revision_from_when_a_page_was_restricted_stays_hidden_after_it_opens_up(
    demo_password: str,
) -> None:
    page = KnowledgeArticle.objects.get(
        slug="reg-aml-alert-escalation", locale__language_code="en"
    ).specific
    restricted_revision = page.live_revision_id
    page.audience = Audience.PUBLIC
    page.collection = type(page.collection).objects.get(slug="customer-service")
    page.save_revision().publish()
    page.refresh_from_db()
    assert Client().get(page.url).status_code == 200
    assert Client().get(f"{page.url}revisions/{restricted_revision}/").status_code == 404
