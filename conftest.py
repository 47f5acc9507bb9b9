"""Shared fixtures: the demo bank is loaded once per test session into the test database.

Tests run inside a transaction on top of it (the `db` fixture), so each one sees the same bank
and leaves it unchanged. Async code (consumers) is driven from sync tests through
`async_to_sync`, which keeps database work on the test's own connection and transaction.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:  # noqa: ANN001
    from bank_ai.demo import seed_all

    with django_db_blocker.unblock():
        seed_all(log=lambda line: None)
    return


@pytest.fixture
def demo_password() -> str:
    return settings.DEMO_PASSWORD


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("REDIS_URL is not set: the Redis-backed tests run in CI (.ci/run sets it)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at {url} does not answer: {exc}")
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # Leave the machine as we found it: stop the embedded server only if this run started it.
    if not settings.USE_EMBEDDED_DATABASE:
        return
    from bank_ai.embedded_db import started_by_this_process, stop

    if started_by_this_process(settings.EMBEDDED_PGDATA):
        from django.db import connections

        connections.close_all()
        stop(settings.EMBEDDED_PGDATA)
