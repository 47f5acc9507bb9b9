"""Django's PostgreSQL backend that starts the project's embedded server on first connection.

`DATABASES["default"]["ENGINE"]` names this package when DATABASE_URL is unset (see settings).
Importing settings therefore starts nothing: `manage.py check`, mypy's django plugin and
import-linter never touch a database; the first query of a process does.
"""
