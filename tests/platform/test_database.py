from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from bank_ai.embedded_db import running_server

pytestmark = pytest.mark.django_db


def test_it_runs_on_postgresql_with_pgvector() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        (version,) = cursor.fetchone()
    assert connection.vendor == "postgresql"
    assert tuple(int(part) for part in version.split(".")[:2]) >= (0, 8)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="DATABASE_URL selects a server")
def test_it_starts_its_own_postgresql_18_without_database_url() -> None:
    assert settings.USE_EMBEDDED_DATABASE
    server = running_server(settings.EMBEDDED_PGDATA)
    assert connection.settings_dict["HOST"] == server.socket_dir
    assert connection.pg_version >= 180000


def test_it_stores_and_searches_vectors() -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE probe (id int, embedding vector(3))")
        cursor.execute("INSERT INTO probe VALUES (1, '[1,0,0]'), (2, '[0,1,0]')")
        cursor.execute("SELECT id FROM probe ORDER BY embedding <=> '[0.9,0.1,0]' LIMIT 1")
        assert cursor.fetchone() == (1,)
