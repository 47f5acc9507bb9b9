"""Real daphne processes for the avatar tests, on a copy of the seeded test database.

Like tests/platform/test_product_smoke.py: the servers commit for real, so they get their own
database (a template copy of the test database) and never touch the tests' transactions.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import psycopg
import pytest
from django.conf import settings
from django.db import connections

BASE_DIR = Path(settings.BASE_DIR)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _admin_connection() -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )


def database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    host = db["HOST"].replace("/", "%2F")
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT']}/{name}"


@dataclass
class Live:
    database: str
    env: dict[str, str]
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen] = field(default_factory=list)
    # Each server writes its log to a file: a pipe nobody reads while the test runs fills up
    # (64 KiB of request logs under the API fuzz) and then blocks the server mid-request.
    logs: list[IO[str]] = field(default_factory=list)

    def http(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def ws(self, index: int = 0) -> str:
        return f"ws://127.0.0.1:{self.ports[index]}/ws/avatar/"

    def manage(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Run one statement on the servers' database (committed); its rows, if it has any."""
        db = settings.DATABASES["default"]
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"],
            user=db["USER"],
            password=db.get("PASSWORD") or None,
            dbname=self.database,
        ) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []


def _wait_healthy(url: str, process: subprocess.Popen, log: IO[str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                if response.status in (200, 503):  # answering; the task queue is not started
                    return
        except urllib.error.HTTPError as error:
            if error.code == 503:
                return
        except OSError:
            pass
        time.sleep(0.5)
    process.kill()
    log.seek(0)
    output = log.read()
    pytest.fail(f"daphne at {url} did not come up:\n{output[-3000:]}")


@contextmanager
def live_servers(
    django_db_blocker,
    *,
    count: int = 1,
    redis_url: str | None = None,
    name: str = "avatar",
    extra_env: dict[str, str] | None = None,
) -> Iterator[Live]:
    """`count` daphne processes sharing one database (and Redis, when given)."""
    test_db = settings.DATABASES["default"]["NAME"]
    database = f"test_bank_ai_{name}"
    with django_db_blocker.unblock():
        connections.close_all()
        with _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{test_db}"')
    prefix = f"{name}{os.getpid()}"
    env = dict(
        os.environ,
        DATABASE_URL=database_url(database),
        DJANGO_ENV="development",
        CACHE_PREFIX=prefix,
        CHANNEL_PREFIX=prefix,
        PYTHONUNBUFFERED="1",
        **(extra_env or {}),
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    live = Live(database=database, env=env)
    if not redis_url:
        # Without Redis the servers cache in the database; a suite run under REDIS_URL caches in
        # Redis, so the test database it copied has no cache table yet.
        live.manage("createcachetable")
    daphne = str(Path(sys.executable).parent / "daphne")
    try:
        for _ in range(count):
            port = free_port()
            live.ports.append(port)
            log = tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace")  # noqa: SIM115 - closed after the servers stop, below
            live.logs.append(log)
            live.processes.append(
                subprocess.Popen(
                    [daphne, "-b", "127.0.0.1", "-p", str(port), "bank_ai.asgi:application"],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        for index, process in enumerate(live.processes):
            _wait_healthy(live.http(index), process, live.logs[index])
        yield live
    finally:
        for process in live.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in live.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in live.logs:
            log.close()
        with django_db_blocker.unblock(), _admin_connection() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
