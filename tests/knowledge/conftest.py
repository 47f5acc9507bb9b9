"""Helpers for the knowledge tests: the task cluster's work run in-process, CMS clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django_q.models import OrmQ


@pytest.fixture
def run_queued_tasks() -> Callable[[], list[object]]:
    """Run (and dequeue) every task queued since the fixture was created, as the cluster would."""
    start = OrmQ.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def run() -> list[object]:
        results = []
        for queued in OrmQ.objects.filter(pk__gt=start).order_by("pk"):
            task = queued.task
            results.append(task["func"](*task.get("args", ()), **task.get("kwargs", {})))
            queued.delete()
        return results

    return run


def login(username: str, password: str) -> Client:
    client = Client()
    assert client.login(username=username, password=password)
    return client


@pytest.fixture
def admin_client(demo_password: str) -> Client:  # noqa: PT004 - overrides pytest-django's
    return login("admin", demo_password)


@pytest.fixture
def editor_client(demo_password: str) -> Client:
    return login("editor", demo_password)
