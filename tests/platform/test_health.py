from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_pgvector_and_channel_layer(client: Client) -> None:
    body = client.get("/healthz").json()
    assert body["parts"]["database"]["ok"] is True
    assert body["parts"]["database"]["pgvector"].startswith("0.")
    assert body["parts"]["channel_layer"]["ok"] is True
    assert body["parts"]["llm"]["provider"] == "local"


def test_healthz_is_503_and_names_the_task_queue_when_no_cluster_runs(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["task_queue"]
    assert "no django-q2 cluster" in body["parts"]["task_queue"]["error"]
