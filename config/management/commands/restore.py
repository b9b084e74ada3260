"""manage.py restore: a backup (``manage.py backup``) into an empty database, checked.

    createdb kith_restored
    DATABASE_URL=postgres://.../kith_restored manage.py restore kith-20261207.dump
    manage.py restore - < kith.dump         # from standard input
    manage.py restore --check-only          # only the checks, on the configured database

It never writes over data: the configured database must have no tables. pg_restore runs
in one transaction (all or nothing). Then the checks: every migration this version of
Kith knows is applied (``migrate --check``; a backup from an older version asks for
``manage.py migrate`` first) and a client record opens (its plan and network read
through the same selectors the pages use; nothing of it is printed).
"""

from __future__ import annotations

import subprocess
import sys

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.management.commands.backup import pg_environment, tool


def tables() -> list[str]:
    with connection.cursor() as cursor:
        return connection.introspection.table_names(cursor)


def unapplied() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def open_a_client(pk: int | None) -> str:
    from care.models import Client
    from care.selectors.clients import network_of
    from care.selectors.records import plan_of

    clients = Client.objects.all()
    client = clients.filter(pk=pk).first() if pk is not None else clients.order_by("pk").first()
    if client is None:
        if pk is not None:
            raise CommandError(f"the restored database has no client {pk}")
        return "no client records in this database (nothing to open)"
    plan = plan_of(client)
    network = list(network_of(client))
    return (
        f"client {client.pk} of team {client.team_id} opens: "
        f"plan version {plan.version} with {len(plan.problems)} problems, "
        f"{len(network)} in the network"
    )


class Command(BaseCommand):
    help = "Restore a backup into an empty PostgreSQL database, then check it."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the backup (- for standard input)")
        parser.add_argument(
            "--check-only", action="store_true", help="only check the configured database"
        )
        parser.add_argument("--client", type=int, help="the client record to open (an id)")

    def handle(self, *args, file=None, check_only=False, client=None, **options):
        env = pg_environment()
        if not check_only:
            if not file:
                raise CommandError("name the backup file (or - for standard input)")
            if existing := tables():
                raise CommandError(
                    f"database {env['PGDATABASE']} is not empty ({len(existing)} tables): "
                    "restore into a new one (createdb), never over data"
                )
            command = [
                tool("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                env["PGDATABASE"],
            ]
            if file != "-":
                command.append(file)
            result = subprocess.run(
                command,
                env=env,
                stdin=sys.stdin if file == "-" else None,
                stderr=subprocess.PIPE,
                text=True,
            )
            if result.returncode != 0:
                raise CommandError(f"pg_restore failed, nothing restored: {result.stderr.strip()}")
            connection.close()  # the tables are new: no cached state from before
            self.stdout.write(f"Restored {file} into database {env['PGDATABASE']}")
        missing = unapplied()
        if missing:
            raise CommandError(
                f"{len(missing)} migrations are not applied (the backup is from an older "
                f"version, first: {missing[0]}): run manage.py migrate, then "
                "manage.py restore --check-only"
            )
        self.stdout.write("Migrations: all applied (migrate --check passes)")
        self.stdout.write(f"Client record: {open_a_client(client)}")
