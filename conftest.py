"""Shared fixtures: the demo bank is loaded once per test session into the test database.

Tests run inside a transaction on top of it (the `db` fixture), so each one sees the same bank
and leaves it unchanged. Async code (consumers) is driven from sync tests through
`async_to_sync`, which keeps database work on the test's own connection and transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker) -> Iterator[None]:  # noqa: ANN001
    from bank_ai.demo import seed_all

    with django_db_blocker.unblock():
        # No simulated traffic: tests that need history simulate a few days themselves.
        seed_all(log=lambda line: None, traffic_days=0)
    return


class InTestTransactionRunner:
    """Runs the avatar consumer's work on the test's own thread and database connection, so it
    sees, and is rolled back with, the test's transaction; and never closes that connection
    between messages (channels' usual tidying would end the test's transaction)."""

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        return sync_to_async(function, thread_sensitive=True)

    async def between_messages(self) -> None:
        return None


@pytest.fixture(scope="session", autouse=True)
def avatar_sockets_in_the_test_transaction() -> Iterator[None]:
    """In-process avatar sockets share the test's connection; the server-process beat (a
    background thread writing to the database) stays off. Live daphne servers started by tests
    run as in production."""
    from django.test import override_settings

    from devices.consumers import AvatarConsumer

    production_runner = AvatarConsumer.runner
    AvatarConsumer.runner = InTestTransactionRunner()
    with override_settings(AVATAR_PROCESS_BEAT_SECONDS=0):
        yield
    AvatarConsumer.runner = production_runner


class InTestTransactionTurns:
    """Runs a WeChat message's turn at once on the test's own thread and connection (the
    production runner uses threads of its own, which would not see the test's rows)."""

    def submit(self, function: Callable[..., None], *args: Any) -> Future[None]:
        future: Future[None] = Future()
        try:
            function(*args)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting callback, as a pool would
            future.set_exception(exc)
        else:
            future.set_result(None)
        return future


@pytest.fixture(scope="session", autouse=True)
def wechat_turns_in_the_test_transaction() -> Iterator[None]:
    from devices.omni import wechat

    production_runner = wechat.RUNNER
    wechat.RUNNER = InTestTransactionTurns()
    yield
    wechat.RUNNER = production_runner


@pytest.fixture(autouse=True)
def per_process_copies_start_fresh() -> None:
    """Each test starts without the process's cached flows, cards, console presence, BM25
    figures and intent names: a test's rolled-back transaction must not leave rows in them for
    the next test."""
    from bank_ai.ai.intents import forget_intent_names
    from bank_ai.ai.retrieval import forget_corpus_statistics
    from scenarios.definitions import forget_local
    from scenarios.takeover import console_presence_forget

    forget_local()
    console_presence_forget()
    forget_corpus_statistics()
    forget_intent_names()


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
