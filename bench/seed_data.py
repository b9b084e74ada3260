"""The data database of figures 5 to 7 (practice search, the network feed, indicators).

Figures 1 to 4 use ``kith_bench``, which the harness drops and re-creates whenever its
sizes or the migrations change; a seed of a million notes and five million visits
takes minutes, so figures 5 to 7 keep a database of their own, ``kith_bench_search``
(``--data-db``), migrated like any Kith database. Three seeds live in it, each redone
only when its own sizes change:

- ``network``: ``--data-teams`` teams of eleven members (one team in five lost a
  member and gained one in the last year) and twenty coaches
  (this module);
- ``notes``: the practice notes, their tags, Omaha links, answers and feed entries
  (``bench/seed_practice.py``);
- ``indicators``: clients, a year of visits, care plans with outcome ratings,
  budgets with their visit debits, experience surveys
  (``bench/seed_indicators.py``).

What each seed was made with is kept in the table ``bench_seed`` beside the
migration files the database was migrated with. New migrations are applied to the
database as it is, keeping the seeds; a migration that changed after it was applied
re-creates the database (and every seed). Rows go in with ``INSERT ... SELECT`` and
``COPY``: ``insert_select`` fills every column the seed does not choose with the
model field's default, as the ORM would.

    .venv/bin/python -m bench.seed_data --notes 1000000 --indicator-visits 5000000
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import subprocess
import sys
import time

from bench import harness
from bench.harness import say

DATA_DB = "kith_bench_search"
SEED_TABLE = "bench_seed"
MEMBERS_PER_TEAM = 11
COACHES = 20
# Members 1 to 9 of every team carry the visits (bench_carer); 10 left a churn team
# during the last year and 11 joined it.
CARERS_PER_TEAM = 9
CHURN_EVERY = 5  # one team in five
NETWORK_VERSION = 1


def add_arguments(p) -> None:
    g = p.add_argument_group("data figures (5 to 7)")
    g.add_argument(
        "--data-db",
        default=DATA_DB,
        help=f"PostgreSQL database of figures 5 to 7 (default {DATA_DB})",
    )
    g.add_argument(
        "--data-teams",
        type=int,
        default=1000,
        help="teams in that database, for notes and indicators (default 1000)",
    )
    g.add_argument(
        "--fresh-data",
        action="store_true",
        help="drop and re-create that database (and every seed in it) first",
    )
    g.add_argument("--drop-data", action="store_true", help="drop that database when the run ends")


# --- the database ---------------------------------------------------------------------


def migration_files() -> dict[str, str]:
    """Each migration file (app/name) with a digest of its text."""
    found = {}
    for path in sorted(harness.ROOT.glob("*/migrations/*.py")):
        if path.name == "__init__.py":
            continue
        digest = hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()[:16]
        found[f"{path.parent.parent.name}/{path.stem}"] = digest
    return found


class DataDatabase:
    """The data database: created, migrated and seeded on demand, and Django pointed
    at it while a figure runs (``connected``)."""

    def __init__(self, bench: harness.Bench, name: str):
        self.bench = bench
        self.name = name

    @property
    def url(self) -> str:
        return f"{self.bench.pg}/{self.name}"

    def _admin(self):
        return self.bench._admin()

    def exists(self) -> bool:
        with self._admin() as conn:
            return bool(
                conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name]).fetchone()
            )

    def drop(self) -> None:
        harness.close_django_connections()
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def create(self) -> None:
        from psycopg import sql

        self.drop()
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.migrate()
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE {SEED_TABLE} (name text PRIMARY KEY, signature jsonb NOT NULL,"
                " plan jsonb, seconds double precision, at timestamptz NOT NULL DEFAULT now())"
            )
        self.mark("migrations", migration_files())

    def migrate(self, *target: str) -> None:
        say(f"migrating {self.name} {' '.join(target)}...")
        env = {**self.bench.env(harness.KITH_SETTINGS), "DATABASE_URL": self.url}
        run = subprocess.run(
            [sys.executable, "manage.py", "migrate", *target, "--no-input", "-v", "0"],
            cwd=harness.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(
                f"migrate {' '.join(target)} of {self.name} failed:\n{run.stdout}\n{run.stderr}"
            )

    def _connect(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def signature(self, name: str) -> dict | None:
        with self._connect() as conn:
            row = conn.execute(
                f"SELECT signature FROM {SEED_TABLE} WHERE name = %s", [name]
            ).fetchone()
        return None if row is None else row[0]

    def plan(self, name: str) -> dict:
        """What a seed recorded for the figures (its dates, its counts)."""
        with self._connect() as conn:
            row = conn.execute(f"SELECT plan FROM {SEED_TABLE} WHERE name = %s", [name]).fetchone()
        return (row[0] if row else None) or {}

    def mark(
        self,
        name: str,
        signature: dict | None,
        seconds: float | None = None,
        plan: dict | None = None,
    ) -> None:
        with self._connect() as conn:
            if signature is None:
                conn.execute(f"DELETE FROM {SEED_TABLE} WHERE name = %s", [name])
                return
            conn.execute(
                f"INSERT INTO {SEED_TABLE} (name, signature, plan, seconds)"
                " VALUES (%s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET"
                " signature = EXCLUDED.signature, plan = EXCLUDED.plan,"
                " seconds = EXCLUDED.seconds, at = now()",
                [
                    name,
                    json.dumps(signature, sort_keys=True),
                    json.dumps(plan, sort_keys=True, default=str) if plan is not None else None,
                    seconds,
                ],
            )

    def ensure(self, fresh: bool = False) -> None:
        """The database exists and is migrated. New migrations are applied to it as it
        is; a migration that changed after it was applied is unapplied (with the
        later ones of its app) and applied again, which empties the tables it made:
        ``prepare`` then redoes the seeds that lost rows or whose tables changed. If
        unapplying fails, the database is re-created."""
        if fresh or not self.exists():
            say(f"creating {self.name}")
            self.create()
            return
        try:
            applied = self.signature("migrations")
        except Exception:  # no seed table: not a database this module made
            applied = None
        if applied is None:
            say(f"{self.name} was not made by the bench: re-creating it")
            self.create()
            return
        now = migration_files()
        changed = sorted(name for name, digest in applied.items() if now.get(name) != digest)
        if changed:
            try:
                for app, changed_name, before in _rollback_targets(changed, applied):
                    say(
                        f"{self.name}: {app}/{changed_name} changed since it was applied;"
                        f" unapplying {app} back to {before}"
                    )
                    self.migrate(app, before)
            except SystemExit as failed:
                say(f"{self.name}: could not unapply it ({failed}); re-creating the database")
                self.create()
                return
        if changed or set(now) - set(applied):
            self.migrate()
            self.mark("migrations", now)

    @contextlib.contextmanager
    def connected(self):
        """Django's default connection on this database for the block (then back)."""
        from django.db import connections

        _release_default()
        settings = connections.settings["default"]
        before = settings["NAME"]
        settings["NAME"] = self.name
        try:
            yield
        finally:
            _release_default()
            settings["NAME"] = before


def _rollback_targets(changed: list[str], applied: dict) -> list[tuple[str, str, str]]:
    """For each app with a changed migration: (app, the first changed one, the
    migration to go back to: the applied one before it, or "zero")."""
    targets = []
    for app in sorted({name.split("/")[0] for name in changed}):
        names = sorted(n.split("/")[1] for n in applied if n.startswith(f"{app}/"))
        first = min(n.split("/")[1] for n in changed if n.startswith(f"{app}/"))
        earlier = [n for n in names if n < first]
        targets.append((app, first, earlier[-1] if earlier else "zero"))
    return targets


def _release_default() -> None:
    from django.db import connections

    conn = connections["default"]
    conn.close()
    if getattr(conn, "pool", None) is not None:
        conn.close_pool()
    with contextlib.suppress(AttributeError):
        del connections["default"]


def prepare(args, bench: harness.Bench, *wanted: str) -> DataDatabase:
    """The data database with the network and the ``wanted`` seeds ("notes",
    "indicators") for these arguments, seeding what is missing or stale: a seed is
    redone when its sizes or version changed, when the columns of its tables changed,
    or when one of its tables is empty (a migration was unapplied and applied again)."""
    data = DataDatabase(bench, args.data_db)
    fresh = args.fresh_data and not getattr(args, "_data_fresh_done", False)
    data.ensure(fresh=fresh)
    args._data_fresh_done = True  # one re-creation per run, however many figures
    with data.connected():
        network = {
            "teams": args.data_teams,
            "version": NETWORK_VERSION,
            "schema": schema_digest(network_models()),
        }
        if data.signature("network") != network or empty_tables(network_models()):
            if data.signature("network") is not None:
                say(f"{data.name}: the network changed; re-creating the database")
                data.create()
                network["schema"] = schema_digest(network_models())
            _timed(data, "network", network, lambda: seed_network(args.data_teams))
        for name in wanted:
            module = _seeders()[name]
            signature = {
                **module.signature(args),
                "network": network,
                "schema": schema_digest(module.models()),
            }
            stored = data.signature(name)
            empty = empty_tables(module.models())
            if stored != signature or empty:
                if stored is not None:
                    why = f"empty tables {empty}" if empty else "sizes or tables changed"
                    say(f"the {name} seed of {data.name} is stale ({why})")
                data.mark(name, None)
                _timed(data, name, signature, lambda m=module: m.seed(args))
            else:
                say(f"reusing the {name} seed of {data.name}")
    return data


def _tables(models) -> list[str]:
    """The tables of these models and of their many-to-many fields."""
    found = set()
    for model in models:
        found.add(model._meta.db_table)
        for f in model._meta.local_many_to_many:
            found.add(f.remote_field.through._meta.db_table)
    return sorted(found)


def schema_digest(models) -> str:
    """A digest of the columns (names, types, nullability) of the models' tables."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable"
            " FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ANY(%s)"
            " ORDER BY table_name, column_name",
            [_tables(models)],
        )
        rows = cursor.fetchall()
    return hashlib.sha1(json.dumps(rows).encode(), usedforsecurity=False).hexdigest()[:16]


def empty_tables(models) -> list[str]:
    """The models' tables (not their many-to-many ones) that hold no row."""
    from django.db import connection

    empty = []
    with connection.cursor() as cursor:
        for model in models:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if not cursor.fetchone()[0]:
                empty.append(model._meta.db_table)
    return empty


def network_models() -> list:
    from teams.models import Membership, Person, Team

    return [Team, Person, Membership]


def _seeders() -> dict:
    from bench import seed_indicators, seed_practice

    return {"notes": seed_practice, "indicators": seed_indicators}


def _timed(data: DataDatabase, name: str, signature: dict, seed) -> None:
    say(f"seeding {name} in {data.name} ...")
    started = time.monotonic()
    plan = seed()
    seconds = time.monotonic() - started
    data.mark(name, signature, seconds, plan)
    say(f"seeded {name} in {seconds:.0f} s")


# --- writing rows fast ----------------------------------------------------------------


def insert_select(model, given: dict[str, str], source: str, params=()) -> int:
    """``INSERT INTO <model's table> (...) SELECT ... FROM <source>``.

    ``given`` maps columns to SQL expressions over ``source`` (no parameters in them);
    every other column gets the field's default as the ORM would give it (a column
    that may be NULL stays NULL; one that has neither is an error). Returns the
    number of rows."""
    from django.db import connection

    columns, expressions, values = [], [], []
    for f in model._meta.concrete_fields:
        if f.column in given:
            columns.append(f.column)
            expressions.append(given[f.column])
        elif f.primary_key or f.null:
            continue
        else:
            default = f.get_default()
            if default is None:
                raise ValueError(f"{model.__name__}.{f.name}: the seed must give a value")
            columns.append(f.column)
            expressions.append("%s")
            values.append(f.get_db_prep_save(default, connection))
    unknown = set(given) - set(columns)
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({quoted})"
        f" SELECT {', '.join(expressions)} FROM {source}"
    )
    params = [*values, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params or None)
        return cursor.rowcount


def execute(sql: str, params=None) -> int:
    """Run one statement (``%`` is a placeholder only when ``params`` are given)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def scalar(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@contextlib.contextmanager
def without_indexes(*tables: str):
    """Drop the tables' plain indexes (not those of primary keys or unique
    constraints) for a bulk insert, and build them again after it, as they were."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i"
            " WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)"
            " AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))"
            "::regclass)",
            [list(tables)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # Django's foreign keys are checked at commit; an index cannot be built while
        # checks are pending, so they run now (and check every row loaded).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _, definition in indexes:
            cursor.execute(definition)


def reset_sequences(*models) -> None:
    """Each table's id sequence past its largest id (rows went in with their ids)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                f" COALESCE((SELECT max(id) FROM {connection.ops.quote_name(table)}), 0) + 1,"
                " false)",
                [table],
            )


def vacuum(*models) -> None:
    """VACUUM ANALYZE after a bulk load: planner statistics and the visibility map as
    a table that has lived a while has them (outside any transaction)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for model in models:
            table = model if isinstance(model, str) else model._meta.db_table
            cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(table)}")


def bulk_session() -> None:
    """Settings for this transaction's bulk load: more sort memory for index builds
    and ordered inserts, and no waiting for the disk at commit."""
    execute("SET LOCAL maintenance_work_mem = '512MB'")
    execute("SET LOCAL work_mem = '256MB'")
    execute("SET LOCAL synchronous_commit = off")


# --- the network ----------------------------------------------------------------------


def seed_network(teams: int) -> None:
    """``teams`` teams of eleven members and twenty coaches, with memberships; the
    helper table ``bench_carer`` (team, slot 1 to 9, person) names who does visits."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from teams.models import Membership, Person, Team

    today = timezone.localdate()
    password = make_password(None)  # nobody signs in to the data database
    with transaction.atomic():
        bulk_session()
        insert_select(
            Team,
            {
                "name": "'Data team ' || lpad(g::text, 5, '0')",
                "slug": "'data-' || lpad(g::text, 5, '0')",
                "town": "(ARRAY['Almere','Zwolle','Leeds','Bristol','Utrecht','Norwich',"
                "'Deventer','Sheffield'])[1 + mod(g, 8)]",
                "created": "now() - interval '4 years'",
            },
            "generate_series(1, %s) g",
            [teams],
        )
        execute(
            "CREATE TEMPORARY TABLE bench_people ON COMMIT DROP AS"
            " SELECT t.id AS team_id, t.g, m"
            " FROM (SELECT id, substr(slug, 6)::int AS g FROM teams_team"
            "       WHERE slug LIKE 'data-%%') t"
            " CROSS JOIN generate_series(1, %s) m",
            [MEMBERS_PER_TEAM],
        )
        _people(password)
        joined_long_ago = today - datetime.timedelta(days=3 * 365)
        churn_left = today - datetime.timedelta(days=160)
        churn_joined = today - datetime.timedelta(days=150)
        insert_select(
            Membership,
            {
                "team_id": "b.team_id",
                "person_id": "p.id",
                "joined": f"CASE WHEN b.m = {MEMBERS_PER_TEAM} AND mod(b.g, {CHURN_EVERY}) = 0"
                f" THEN DATE '{churn_joined}' ELSE DATE '{joined_long_ago}' END",
                "left": f"CASE WHEN b.m = {MEMBERS_PER_TEAM - 1} AND mod(b.g, {CHURN_EVERY}) = 0"
                f" THEN DATE '{churn_left}' END",
                "left_reason": f"CASE WHEN b.m = {MEMBERS_PER_TEAM - 1}"
                f" AND mod(b.g, {CHURN_EVERY}) = 0 THEN 'Moved away' ELSE '' END",
            },
            "bench_people b JOIN teams_person p ON p.username ="
            " 'data-' || lpad(b.g::text, 5, '0') || '-' || lpad(b.m::text, 2, '0')",
        )
        execute(
            "CREATE TABLE bench_carer (team_id bigint, slot int, person_id bigint,"
            " PRIMARY KEY (team_id, slot))"
        )
        execute(
            "INSERT INTO bench_carer SELECT b.team_id, b.m, p.id FROM bench_people b"
            " JOIN teams_person p ON p.username ="
            " 'data-' || lpad(b.g::text, 5, '0') || '-' || lpad(b.m::text, 2, '0')"
            " WHERE b.m <= %s",
            [CARERS_PER_TEAM],
        )
    vacuum(Team, Person, Membership, "bench_carer")


def _people(password: str) -> None:
    from teams.models import Person

    insert_select(
        Person,
        {
            "password": "p.password",
            "username": "p.username",
            "first_name": "p.first_name",
            "last_name": "p.last_name",
            "kind": "p.kind",
        },
        "(SELECT %s AS password,"
        " 'data-' || lpad(g::text, 5, '0') || '-' || lpad(m::text, 2, '0') AS username,"
        " 'Member' || lpad(m::text, 2, '0') AS first_name,"
        " 'Team' || lpad(g::text, 5, '0') AS last_name, 'member' AS kind, g, m"
        " FROM bench_people"
        " UNION ALL SELECT %s, 'data-coach-' || lpad(c::text, 2, '0'), 'Coach',"
        " lpad(c::text, 2, '0'), 'coach', 1000000 + c, 0 FROM generate_series(1, %s) c"
        " ORDER BY g, m) p",
        [password, password, COACHES],
    )


def members_by_team() -> dict[int, list[int]]:
    """The data network's teams with their current members' ids."""
    from teams.models import Membership

    found: dict[int, list[int]] = {}
    for team_id, person_id in (
        Membership.objects.current()
        .filter(team__slug__startswith="data-")
        .order_by("team_id", "person_id")
        .values_list("team_id", "person_id")
    ):
        found.setdefault(team_id, []).append(person_id)
    return found


def coaches() -> list[int]:
    from teams.models import Person

    return list(
        Person.objects.filter(username__startswith="data-coach-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def member(team_index: int = 0):
    """A current member of one of the data network's teams (a network participant)."""
    from teams.models import Person

    return Person.objects.get(username=f"data-{team_index + 1:05d}-01")


# --- command line ---------------------------------------------------------------------


def main() -> None:
    from bench import seed_indicators, seed_practice

    p = harness.parser("Seed the data database of figures 5 to 7 (the figures do it too).")
    add_arguments(p)
    seed_practice.add_arguments(p)
    seed_indicators.add_arguments(p)
    args = p.parse_args()
    bench = harness.Bench.from_args(args)
    bench.setup()
    data = prepare(args, bench, "notes", "indicators")
    if args.drop_data:
        data.drop()


if __name__ == "__main__":
    main()
