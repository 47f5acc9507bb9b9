"""Run the whole product in the foreground: daphne (HTTP + websockets) and a django-q2 cluster.

With `--setup` it first migrates and loads the demo bank. Ctrl-C stops the children and then
the embedded PostgreSQL (when the project runs its own), so nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, connections

from bank_ai.demo.users import DEMO_USERS
from bank_ai.embedded_db import stop

CHILD_STOP_SECONDS = 15


def daphne_arguments(host: str, port: int) -> list[str]:
    """How daphne listens: a deep accept queue and time for a handshake under load.

    Daphne's defaults (the kernel's listen backlog of 50, five seconds from TCP accept to the
    application accepting the socket) refused a fleet reconnecting at once: with 2,000 sockets
    opening in under a minute the queue overflowed and slow handshakes were cut, which the
    clients saw as failed handshakes (`WS_LISTEN_BACKLOG`, `WS_CONNECT_TIMEOUT`).
    """
    from daphne.endpoints import build_endpoint_description_strings

    [endpoint] = build_endpoint_description_strings(host=host, port=port)
    return [
        "-e",
        f"{endpoint}:backlog={settings.WS_LISTEN_BACKLOG}",
        "--websocket_connect_timeout",
        str(settings.WS_CONNECT_TIMEOUT),
        "--proxy-headers",
    ]


class Command(BaseCommand):
    help = "Serve the product (daphne + django-q2 cluster); --setup migrates and seeds first."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--setup", action="store_true", help="migrate and seed the demo bank")
        parser.add_argument("--no-cluster", action="store_true", help="do not start django-q2")

    def handle(
        self, *args: object, host: str, port: int, setup: bool, no_cluster: bool, **options: object
    ) -> None:
        if setup:
            self.stdout.write("Migrating the database...")
            call_command("migrate", interactive=False, verbosity=0)
            call_command("createcachetable", verbosity=0)
            self.stdout.write("Loading the demo bank...")
            call_command("seed_demo", stdout=self.stdout)
        # Up before the children: they would otherwise race to start the embedded server on
        # their first queries, and a database that cannot start should stop us here.
        connection.ensure_connection()
        children = self._start_children(host, port, no_cluster)
        self._print_banner(host, port)
        stopping = False

        def request_stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in children.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}; stopping")
                        exit_code = process.returncode or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self._stop_children(children)
            self._stop_database()
        if exit_code:
            sys.exit(exit_code)

    def _start_children(
        self, host: str, port: int, no_cluster: bool
    ) -> dict[str, subprocess.Popen]:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="bank_ai.settings", PYTHONUNBUFFERED="1")
        base_dir = Path(settings.BASE_DIR)
        bin_dir = Path(sys.executable).parent
        daphne = [
            str(bin_dir / "daphne"),
            *daphne_arguments(host, port),
            "bank_ai.asgi:application",
        ]
        env.setdefault("ASGI_THREADS", str(settings.ASGI_THREADS))
        # Both argv lists are built here from sys.executable and validated options only.
        children = {"daphne": subprocess.Popen(daphne, cwd=base_dir, env=env)}  # noqa: S603
        if not no_cluster:
            children["qcluster"] = subprocess.Popen(  # noqa: S603
                [sys.executable, str(base_dir / "manage.py"), "qcluster"], cwd=base_dir, env=env
            )
        return children

    def _stop_children(self, children: dict[str, subprocess.Popen]) -> None:
        for process in children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + CHILD_STOP_SECONDS
        for name, process in children.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stderr.write(f"{name} did not stop in time; killing it")
                process.kill()
                process.wait()

    def _stop_database(self) -> None:
        if not settings.USE_EMBEDDED_DATABASE:
            return
        connections.close_all()
        if stop(settings.EMBEDDED_PGDATA):
            self.stdout.write("Embedded PostgreSQL stopped.")

    def _print_banner(self, host: str, port: int) -> None:
        base = f"http://{host}:{port}"
        database = "DATABASE_URL"
        if settings.USE_EMBEDDED_DATABASE:
            database = "embedded PostgreSQL in var/pgdata"
        lines = [
            "",
            "Harbour Bank AI back office is starting",
            f"  Home            {base}/",
            f"  Operations      {base}/admin/",
            f"  Knowledge CMS   {base}/cms/",
            f"  Knowledge base  {base}/zh-hans/kb/  ({base}/en/kb/)",
            f"  API docs        {base}/api/docs/",
            f"  Health          {base}/healthz",
            f"  Avatar socket   ws://{host}:{port}/ws/avatar/?token=<device token>",
            f"  Avatar demo     {base}/devices/demo-kiosk/console/  (log in as ops; also "
            "demo-vtm, demo-app; all devices at /devices/)",
            "",
            f"  Demo users (password: {settings.DEMO_PASSWORD}):",
            *(
                f"    {name:<11} {group or 'superuser'}"
                for name, (group, *_rest) in DEMO_USERS.items()
            ),
            "  Device token:  .venv/bin/python manage.py issue_device_token demo-kiosk",
            f"  Database: {database}; channel layer: "
            f"{'Redis' if settings.REDIS_URL else 'in-memory'}",
            "  Press Ctrl-C to stop everything.",
            "",
        ]
        self.stdout.write("\n".join(lines))
