from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def login(username: str, password: str) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


@pytest.fixture
def employee(db):  # noqa: ANN001, ANN201
    return get_user_model().objects.get(username="employee")


@pytest.fixture
def employee_client(demo_password: str) -> Client:
    return login("employee", demo_password)


@pytest.fixture
def employee_api(employee) -> APIClient:  # noqa: ANN001
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=employee)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def editor_client(demo_password: str) -> Client:
    return login("editor", demo_password)


# An answer a model (or a poisoned page) could produce: markup, quotes and an ampersand.
MARKUP_ANSWER = 'Fees <img src=x onerror="window.__pwned=1"> & <b>charges</b> aren\'t "high" [1].'


@contextmanager
def markup_answers(settings) -> Iterator[str]:  # noqa: ANN001
    """The Messages API (a local fake) answers every question with MARKUP_ANSWER."""
    from bank_ai.ai import runtime
    from tests.fakes.anthropic_server import FakeAnthropicServer, Reply

    with FakeAnthropicServer(lambda _request: Reply(MARKUP_ANSWER)) as server:
        settings.ANTHROPIC_API_KEY = server.api_key
        settings.ANTHROPIC_BASE_URL = server.base_url
        settings.LLM_TIMEOUT_SECONDS = 5
        runtime.get_llm.cache_clear()
        try:
            yield MARKUP_ANSWER
        finally:
            runtime.get_llm.cache_clear()


@pytest.fixture
def markup_llm(settings) -> Iterator[str]:  # noqa: ANN001
    with markup_answers(settings) as answer:
        yield answer
