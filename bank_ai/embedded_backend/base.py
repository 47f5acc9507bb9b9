"""The embedded-server database wrapper: PostgreSQL, with the server brought up lazily."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient as PostgreSQLDatabaseClient

from bank_ai.embedded_db import running_server


class DatabaseClient(PostgreSQLDatabaseClient):
    def runshell(self, parameters: Iterable[str]) -> None:
        # `manage.py dbshell` runs psql without connecting first: bring the server up for it.
        self.connection.get_connection_params()
        super().runshell(parameters)


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    """Connects like Django's PostgreSQL backend once the embedded server under PGDATA runs."""

    client_class = DatabaseClient

    def get_connection_params(self) -> dict[str, Any]:
        pgdata = self.settings_dict.get("PGDATA")
        if not pgdata:
            raise ImproperlyConfigured("The embedded database backend needs a PGDATA directory")
        server = running_server(Path(pgdata))
        # The socket directory and port are only known once the server runs; written into the
        # settings dict so everything reading HOST/PORT afterwards (tests, dbshell) sees them.
        self.settings_dict["HOST"] = server.socket_dir
        self.settings_dict["PORT"] = str(server.port)
        return super().get_connection_params()
