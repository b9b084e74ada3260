"""Backup and restore for real on PostgreSQL: manage.py backup -> a new, empty
database -> manage.py restore -> migrate --check passes and a client record opens."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from care.selectors.records import plan_of
from tests.care.jansen import jansen_with_family
from tests.servers import database_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def manage(*args: str, url: str, stdin=None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PG"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DEBUG": "1", "DATABASE_URL": url},
        stdin=stdin,
        capture_output=True,
        text=stdin is None,
        timeout=120,
    )


@pytest.fixture
def fresh_database(postgres):
    """A new, empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored_{uuid.uuid4().hex[:8]}"
    params = {**connection.settings_dict, "NAME": name}
    admin = {
        k: v
        for k, v in connection.get_connection_params().items()
        if k in {"user", "password", "host", "port"}
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url(params)
    with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def test_backup_then_restore_into_a_new_database(personas, fresh_database, tmp_path):
    client, _petra = jansen_with_family(personas)
    source = database_url(connection.settings_dict)
    dump = tmp_path / "kith.dump"

    backup = manage("backup", "--output", str(dump), url=source)
    assert backup.returncode == 0, backup.stderr
    assert dump.stat().st_size > 0
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    restored = manage("restore", str(dump), url=fresh_database)
    assert restored.returncode == 0, restored.stderr
    assert "Migrations: all applied" in restored.stdout
    assert f"client {client.pk} of team {client.team_id} opens" in restored.stdout
    assert "2 in the network" in restored.stdout
    # Nothing of the record itself is printed.
    assert "Jansen" not in restored.stdout + restored.stderr

    check = manage("migrate", "--check", url=fresh_database)
    assert check.returncode == 0, check.stdout + check.stderr
    # The restored rows are the source's.
    with psycopg.connect(fresh_database.replace("postgres://", "postgresql://", 1)) as conn:
        row = conn.execute(
            "SELECT last_name, team_id FROM care_client WHERE id = %s", [client.pk]
        ).fetchone()
    assert row == ("Jansen", client.team_id)
    assert plan_of(client).version == 1


def test_backup_to_standard_output_and_restore_from_standard_input(
    personas, fresh_database, tmp_path
):
    """As docker compose exec -T / run -T pipe them."""
    jansen_with_family(personas)
    dump = tmp_path / "piped.dump"
    with dump.open("wb") as out:
        result = subprocess.run(
            [sys.executable, "manage.py", "backup", "--output", "-"],
            cwd=ROOT,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("PG")},
                "DEBUG": "1",
                "DATABASE_URL": database_url(connection.settings_dict),
            },
            stdout=out,
            stderr=subprocess.PIPE,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert dump.read_bytes()[:5] == b"PGDMP"
    with dump.open("rb") as dump_in:
        restored = manage("restore", "-", url=fresh_database, stdin=dump_in)
    assert restored.returncode == 0, restored.stderr
    assert b"opens" in restored.stdout


def test_restore_never_writes_over_data(postgres, personas, tmp_path):
    jansen_with_family(personas)
    source = database_url(connection.settings_dict)
    dump = tmp_path / "kith.dump"
    assert manage("backup", "--output", str(dump), url=source).returncode == 0
    again = manage("restore", str(dump), url=source)
    assert again.returncode != 0
    assert "is not empty" in again.stderr and "createdb" in again.stderr


def test_a_backup_from_an_older_version_asks_for_migrate(personas, fresh_database, tmp_path):
    source = database_url(connection.settings_dict)
    dump = tmp_path / "kith.dump"
    assert manage("backup", "--output", str(dump), url=source).returncode == 0
    assert manage("restore", str(dump), url=fresh_database).returncode == 0
    # As if the backup came from the release before care's newest migration.
    with psycopg.connect(fresh_database.replace("postgres://", "postgresql://", 1)) as conn:
        (newest,) = conn.execute(
            "SELECT name FROM django_migrations WHERE app = 'care' ORDER BY name DESC LIMIT 1"
        ).fetchone()
        conn.execute("DELETE FROM django_migrations WHERE app = 'care' AND name = %s", [newest])
    check = manage("restore", "--check-only", url=fresh_database)
    assert check.returncode != 0
    assert "1 migrations are not applied" in check.stderr
    assert f"care.{newest[:4]}" in check.stderr and "manage.py migrate" in check.stderr


def test_a_broken_file_restores_nothing(postgres, fresh_database, tmp_path):
    broken = tmp_path / "broken.dump"
    broken.write_bytes(b"not a backup")
    result = manage("restore", str(broken), url=fresh_database)
    assert result.returncode != 0 and "pg_restore failed" in result.stderr
    with psycopg.connect(fresh_database.replace("postgres://", "postgresql://", 1)) as conn:
        count = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()[0]
    assert count == 0
