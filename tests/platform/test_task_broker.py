"""django-q2's broker: a Redis list when REDIS_URL is set (workers on several machines share it),
the database otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from multiprocessing import Event, Value
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.models import Task
from django_q.monitor import monitor
from django_q.pusher import pusher
from django_q.queues import Queue
from django_q.tasks import async_task, result
from django_q.worker import worker


@pytest.fixture
def real_commits(django_db_setup: None, django_db_blocker: Any) -> Iterator[list[str]]:
    """No test transaction: a worker closes connections that are not in autocommit mode, as
    the cluster does between tasks. The task rows listed are deleted after."""
    task_ids: list[str] = []
    with django_db_blocker.unblock():
        try:
            yield task_ids
        finally:
            Task.objects.filter(id__in=task_ids).delete()
            connection.close()


def _cluster_settings(**env: str) -> str:
    """Q_CLUSTER as a fresh interpreter builds it from `env` (nothing connects on import)."""
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "Q_BROKER"}}
    code = (
        "import bank_ai.settings as s; "
        "print(sorted(k for k in ('redis', 'orm') if k in s.Q_CLUSTER), s.Q_CLUSTER.get('redis'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_ENV": "development", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_cluster_uses_redis_when_redis_url_is_set() -> None:
    assert _cluster_settings(REDIS_URL="redis://127.0.0.1:6379/5") == (
        "['redis'] redis://127.0.0.1:6379/5"
    )


def test_the_cluster_uses_the_database_without_redis() -> None:
    assert _cluster_settings() == "['orm'] None"


def test_a_redis_broker_without_redis_url_is_refused() -> None:
    clean = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    done = subprocess.run(
        [sys.executable, "-c", "import bank_ai.settings"],
        cwd=settings.BASE_DIR,
        env={**clean, "DJANGO_ENV": "development", "Q_BROKER": "redis"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "Q_BROKER=redis needs REDIS_URL" in done.stderr


@pytest.mark.redis
def test_a_task_queued_on_redis_is_taken_and_run_by_a_worker(
    redis_url: str, monkeypatch: pytest.MonkeyPatch, real_commits: list[str]
) -> None:
    monkeypatch.setattr(Conf, "REDIS", redis_url)
    broker = Redis(list_key=f"perf-test-{uuid.uuid4().hex[:8]}")
    try:
        task_id = async_task("math.factorial", 10, broker=broker)
        real_commits.append(task_id)
        assert broker.queue_size() == 1  # on the Redis list, not in the database
        tasks, results = Queue(), Queue()
        stop = Event()
        stop.set()  # the pusher takes what is queued once, then returns
        pusher(tasks, stop, broker=broker)
        assert broker.queue_size() == 0
        tasks.put("STOP")
        worker(tasks, results, Value("f", -1))
        results.put("STOP")
        monitor(results, broker)
        assert result(task_id) == 3628800
    finally:
        broker.delete_queue()
