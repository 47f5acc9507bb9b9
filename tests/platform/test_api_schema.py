"""The OpenAPI schema documents the errors each operation can give, and the fuzz gate holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from bank_ai.management.commands.api_fuzz import FuzzResult, _read_junit
from tests.avatar.live import live_servers

BASE_DIR = Path(settings.BASE_DIR)


@pytest.fixture
def schema(db, client: Client) -> dict:  # noqa: ANN001
    response = client.get("/api/schema/", {"format": "json"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def _statuses(schema: dict, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def test_a_conflict_operation_documents_400_401_403_404_and_409(schema: dict) -> None:
    statuses = _statuses(schema, "post", "/api/sessions/{session_id}/turns/")
    assert {"200", "400", "401", "403", "404", "409"} <= statuses


def test_an_operation_with_a_body_documents_413_and_415(schema: dict) -> None:
    assert {"400", "413", "415"} <= _statuses(schema, "post", "/api/sessions/")


def test_an_operation_without_path_parameters_documents_no_404(schema: dict) -> None:
    statuses = _statuses(schema, "get", "/api/whoami/")
    assert {"200", "401", "403"} <= statuses
    assert "404" not in statuses
    assert "400" not in statuses


def test_every_operation_documents_401_with_the_shared_error_body(schema: dict) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            unauthorized = operation["responses"].get("401")
            assert unauthorized, f"{method.upper()} {path} does not document 401"
            body = unauthorized["content"]["application/json"]["schema"]
            assert body == {"$ref": "#/components/schemas/ApiError"}


def test_a_view_lists_the_statuses_only_its_own_state_produces(schema: dict) -> None:
    assert "400" in _statuses(schema, "get", "/api/broadcasts/")
    assert "409" in _statuses(schema, "post", "/api/tickets/{ticket_id}/recall/")
    # found by the fuzz: a `conversation` in the body that is someone else's is a 404
    assert "404" in _statuses(schema, "post", "/api/staff/ask/")
    assert "409" not in _statuses(schema, "get", "/api/sessions/{session_id}/")


def test_the_fuzz_report_counts_failures_and_errors(tmp_path: Path) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="schemathesis">'
        '<testcase name="GET /api/whoami/"/>'
        '<testcase name="POST /api/tickets/"><failure message="Server error"/></testcase>'
        '<testcase name="GET /api/broadcasts/"><error message="timeout"/></testcase>'
        "</testsuite></testsuites>"
    )
    result = FuzzResult(principal="device demo-app", returncode=1)
    _read_junit(report, result)
    assert result.operations == 3
    assert result.failures == ["POST /api/tickets/: Server error"]
    assert result.errors == ["GET /api/broadcasts/: timeout"]
    assert not result.ok


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_undocumented_status(django_db_blocker) -> None:  # noqa: ANN001
    with live_servers(django_db_blocker, count=1, name="apifuzz") as live:
        result = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "api_fuzz",
                "--url",
                live.http(),
                "--max-examples",
                "5",
                "--seed",
                "20261204",
            ],
            cwd=BASE_DIR,
            env=live.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert result.stdout.count("0 failures, 0 errors") == 2, result.stdout[-8000:]
