"""Startup checks that stop the server with one line instead of a traceback.

daphne imports ``config.asgi`` and runs no system checks, so the ASGI module calls
``run()`` before it serves. ``manage.py`` calls it for the commands that need the
services (migrate, seed_demo).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.db import DatabaseError, connections

from config.checks import production_problems


def problems(*, services: bool = True) -> list[str]:
    found = [reason for _id, reason in production_problems()]
    if found or not services:
        return found
    if (reason := _database_problem()) is not None:
        name = "DATABASE_URL" if settings.DATABASE_URL else "the SQLite database"
        found.append(f"{name}: cannot connect ({reason})")
    if settings.REDIS_URL:
        from config.health import redis_problem

        if (reason := redis_problem(settings.REDIS_URL, settings.REDIS_TIMEOUT)) is not None:
            found.append(f"REDIS_URL: cannot reach Redis ({reason})")
    return found


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _database_problem() -> str | None:
    connection = connections["default"]
    if connection.vendor != "postgresql":
        try:
            connection.ensure_connection()
        except DatabaseError as exc:
            return _first_line(exc)
        return None
    # One direct connection with a short timeout: the pool would retry for its whole
    # timeout and log every attempt.
    import psycopg

    params = {
        key: value
        for key, value in connection.get_connection_params().items()
        if key in {"dbname", "user", "password", "host", "port", "sslmode"}
    }
    try:
        psycopg.connect(**params, connect_timeout=3).close()
    except psycopg.Error as exc:
        return _first_line(exc)
    return None


def run(*, services: bool = True) -> None:
    found = problems(services=services)
    if found:
        print(f"Kith cannot start: {'; '.join(found)}", file=sys.stderr)
        raise SystemExit(2)
