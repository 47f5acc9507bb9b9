from __future__ import annotations

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
