from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from bank_ai import health

pytestmark = pytest.mark.django_db

SOCKET_ERROR = (
    'connection to server on socket "/srv/bank/var/pgdata/.s.PGSQL.5432" failed: '
    "No such file or directory"
)


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> dict:
        raise OperationalError(SOCKET_ERROR)

    monkeypatch.setitem(health.CHECKS, "database", refuse)


def test_healthz_reports_database_pgvector_and_channel_layer(admin_client: Client) -> None:
    body = admin_client.get("/healthz").json()
    assert body["parts"]["database"]["ok"] is True
    assert body["parts"]["database"]["pgvector"].startswith("0.")
    assert body["parts"]["channel_layer"]["ok"] is True
    assert body["parts"]["llm"]["provider"] == "local"


def test_healthz_is_503_and_names_the_task_queue_when_no_cluster_runs(
    admin_client: Client,
) -> None:
    response = admin_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["task_queue"]
    assert "no django-q2 cluster" in body["parts"]["task_queue"]["error"]


def test_healthz_names_a_down_database_to_anonymous_callers_without_its_socket_path(
    client: Client, database_down: None
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert "database" in body["failing"]
    assert body["parts"]["database"] == {"ok": False}
    assert "PGSQL" not in response.content.decode()
    assert "pgdata" not in response.content.decode()


def test_healthz_shows_anonymous_callers_no_versions(client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["parts"]["database"] == {"ok": True}
    assert set(body["parts"]) == {"database", "channel_layer", "task_queue", "llm"}


def test_healthz_shows_staff_why_the_database_is_down(
    admin_client: Client, database_down: None
) -> None:
    body = admin_client.get("/healthz").json()
    assert "s.PGSQL.5432" in body["parts"]["database"]["error"]
