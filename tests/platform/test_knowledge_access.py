"""Knowledge pages are served only to those allowed to read them."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
RESTRICTED = "/zh-hans/kb/reg-aml-alert-escalation/"
INTERNAL = "/zh-hans/kb/reg-aml-cdd/"
PUBLIC = "/zh-hans/kb/faq-annual-fee-waiver/"


def _as(username: str | None, password: str) -> Client:
    client = Client()
    if username:
        assert client.login(username=username, password=password)
    return client


@pytest.mark.parametrize("path", [RESTRICTED, INTERNAL])
def test_anonymous_visitors_cannot_open_non_public_pages(path: str, demo_password: str) -> None:
    assert _as(None, demo_password).get(path).status_code == 404


def test_public_pages_are_open_to_everyone(demo_password: str) -> None:
    assert _as(None, demo_password).get(PUBLIC).status_code == 200


def test_employees_read_internal_but_not_restricted_pages(demo_password: str) -> None:
    employee = _as("employee", demo_password)
    assert employee.get(INTERNAL).status_code == 200
    assert employee.get(RESTRICTED).status_code == 404


def test_compliance_reads_restricted_pages(demo_password: str) -> None:
    assert _as("compliance", demo_password).get(RESTRICTED).status_code == 200
