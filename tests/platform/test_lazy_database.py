"""Importing the settings starts no database; the first connection does (see embedded_backend).

Checked in a fresh interpreter with its own var directory, where a started server would leave
its data directory behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)


def _fresh_interpreter(var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        BANK_AI_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="bank_ai.settings", DJANGO_ENV="test"
    )
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_importing_the_settings_starts_no_database(tmp_path: Path) -> None:
    result = _fresh_interpreter(
        tmp_path,
        "-c",
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bank_ai.embedded_backend"
    assert not (tmp_path / "pgdata").exists()


def test_manage_py_check_starts_no_database(tmp_path: Path) -> None:
    result = _fresh_interpreter(tmp_path, "manage.py", "check")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "pgdata").exists()
