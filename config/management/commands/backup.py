"""manage.py backup: the whole PostgreSQL database in one file (pg_dump's custom format).

    manage.py backup                      # kith-20261207-031500.dump here
    manage.py backup --output /backups/kith.dump
    manage.py backup --output - > kith.dump   # to standard output (docker compose exec -T)

``manage.py restore`` reads it back into an empty database and checks it. pg_dump must be
on PATH, of the server's major version or newer; the password goes to it in its
environment, never on its command line (where `ps` would show it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone


def pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database (pg_dump, pg_restore read them)."""
    if connection.vendor != "postgresql":
        raise CommandError(
            "backup and restore are for PostgreSQL (DATABASE_URL=postgres://...); "
            "the SQLite demo is one file: copy kith.sqlite3 while nothing runs"
        )
    params = connection.get_connection_params()
    names = {
        "dbname": "PGDATABASE",
        "user": "PGUSER",
        "password": "PGPASSWORD",
        "host": "PGHOST",
        "port": "PGPORT",
        "sslmode": "PGSSLMODE",
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update({names[k]: str(v) for k, v in params.items() if k in names and v not in ("", None)})
    return env


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CommandError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


class Command(BaseCommand):
    help = "Dump the PostgreSQL database to one file (pg_dump --format=custom)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            default=None,
            help="the file to write (default: kith-<date>-<time>.dump here; - for stdout)",
        )

    def handle(self, *args, output=None, **options):
        env = pg_environment()
        output = output or f"kith-{timezone.now():%Y%m%d-%H%M%S}.dump"
        command = [tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges"]
        if output != "-":
            if os.path.exists(output):
                raise CommandError(f"{output} exists already; name another file")
            command += ["--file", output]
        result = subprocess.run(command, env=env, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            if output != "-" and os.path.exists(output):
                os.remove(output)  # never leave half a backup that looks like one
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        # With the dump on standard output, the report goes to standard error.
        report = sys.stderr if output == "-" else self.stdout
        where = "standard output" if output == "-" else output
        report.write(f"Backed up database {env['PGDATABASE']} to {where}\n")
