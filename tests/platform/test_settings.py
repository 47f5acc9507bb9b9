"""Production settings refuse unsafe configurations; they are checked in a fresh interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"].replace("/", "%2F")
    return f"postgres://{db['USER']}@{host}:{db['PORT']}/{db['NAME']}"


def _run(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ENV"}}
    env.update({"DATABASE_URL": _database_url(), **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = _run({"DJANGO_ENV": "production", "ALLOWED_HOSTS": "bank.example"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_with_debug_on() -> None:
    result = _run(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 60,
            "DEBUG": "true",
            "ALLOWED_HOSTS": "bank.example",
        },
        "check",
    )
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts() -> None:
    result = _run({"DJANGO_ENV": "production", "SECRET_KEY": "x" * 60}, "check")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


@pytest.mark.slow
def test_production_settings_pass_the_deployment_checklist() -> None:
    secret = "k3y-" + "Zq9!xW2#" * 8
    result = _run(
        {"DJANGO_ENV": "production", "SECRET_KEY": secret, "ALLOWED_HOSTS": "bank.example"},
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("f" * 40 + "-from-file-" + "Zq9!xW2#" * 4)
    result = _run(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY_FILE": str(secret_file),
            "ALLOWED_HOSTS": "bank.example",
        },
        "shell",
        "-v",
        "0",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY[-12:])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("Zq9!xW2#" * 4)[-12:]


def test_a_missing_secret_file_names_the_variable_and_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-secret"
    result = _run(
        {
            "DJANGO_ENV": "production",
            "SECRET_KEY_FILE": str(missing),
            "ALLOWED_HOSTS": "bank.example",
        },
        "check",
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "FileNotFoundError" not in result.stderr
    assert f"SECRET_KEY_FILE points at '{missing}'" in result.stderr


def test_any_unreadable_secret_file_is_a_configuration_error(tmp_path: Path) -> None:
    result = _run({"DJANGO_ENV": "test", "ANTHROPIC_API_KEY_FILE": str(tmp_path)}, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"ANTHROPIC_API_KEY_FILE points at '{tmp_path}'" in result.stderr


def test_production_refuses_to_start_with_allowed_hosts_star() -> None:
    result = _run(
        {"DJANGO_ENV": "production", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "bank.example,*"},
        "check",
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS='*' is refused in production" in result.stderr
