"""What every figure shares: settings, the bench database, daphne processes, worker
processes, and printing figures beside the bare stack.

The harness runs everything on this machine: a dedicated PostgreSQL database
(``kith_bench`` by default, created, migrated and seeded here, dropped with
``--drop``), the shared Redis under the bench's own channel prefix, daphne processes
it starts and stops itself, and load generators in worker processes (``spawn``, so
they share nothing with this process but the environment).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"

KITH_APP = "config.asgi:application"
BARE_APP = "bench.bare:application"
KITH_SETTINGS = "config.settings"
BENCH_SETTINGS = "bench.settings"

# Loopback only: never let an environment proxy sit between the bench and its servers.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_spawn = multiprocessing.get_context("spawn")


# --- arguments and settings ---------------------------------------------------------------


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every figure takes; each figure adds its own."""
    p = argparse.ArgumentParser(description=description)
    size = p.add_argument_group("size")
    size.add_argument("--teams", type=int, default=1000, help="teams (default 1000)")
    size.add_argument(
        "--per-team", type=int, default=10, help="members, one socket each (default 10)"
    )
    size.add_argument(
        "--duration", type=float, default=30, help="seconds each side is measured (default 30)"
    )
    size.add_argument(
        "--daphne-procs", type=int, default=2, help="daphne processes per side (default 2)"
    )
    size.add_argument(
        "--load-procs", type=int, default=2, help="websocket client processes (default 2)"
    )
    size.add_argument("--http-procs", type=int, default=1, help="HTTP client processes (default 1)")
    size.add_argument(
        "--clients-per-team", type=int, default=10, help="clients of each team (default 10)"
    )
    size.add_argument(
        "--claims-per-team",
        type=int,
        default=0,
        help="unassigned visits per team for the write path (default: enough for 400 claims/s)",
    )
    where = p.add_argument_group("services")
    where.add_argument(
        "--db", default="kith_bench", help="PostgreSQL database (default kith_bench)"
    )
    where.add_argument(
        "--pg", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL"
    )
    where.add_argument("--redis-url", default="redis://127.0.0.1:6379/5", help="Redis URL")
    where.add_argument(
        "--prefix", default="kithbench", help="channel-layer prefix of the bench's live events"
    )
    where.add_argument(
        "--fresh", action="store_true", help="drop and re-create the bench database first"
    )
    where.add_argument(
        "--drop", action="store_true", help="drop the bench database when the run ends"
    )
    return p


def claims_per_team(args) -> int:
    if args.claims_per_team:
        return args.claims_per_team
    # Enough for 400 claims/s for the whole measured time on each side, with room.
    return max(5, -(-int(400 * args.duration * 1.25) // max(1, args.teams)))


@dataclass
class Bench:
    """One run: where the database and Redis are, the key the servers share, the logs."""

    db: str
    pg: str
    redis_url: str
    prefix: str
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(64))
    run_dir: Path = field(
        default_factory=lambda: RESULTS / datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    )

    @classmethod
    def from_args(cls, args) -> Bench:
        return cls(db=args.db, pg=args.pg.rstrip("/"), redis_url=args.redis_url, prefix=args.prefix)

    @property
    def database_url(self) -> str:
        return f"{self.pg}/{self.db}"

    def env(self, settings_module: str = BENCH_SETTINGS) -> dict[str, str]:
        """The environment of every process of the run (servers, workers, this one)."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "KITH_", "PYTEST_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE=settings_module,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis_url,
            KITH_CHANNEL_PREFIX=self.prefix,
            # Production shape: DEBUG off (it would keep every query in memory), a
            # strong key (the preflight insists), plain HTTP on loopback.
            SECRET_KEY=self.secret_key,
            DEBUG="0",
            KITH_HTTPS="0",
            ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
            DB_POOL_MIN_SIZE="1",
            DB_POOL_MAX_SIZE="10",
            PYTHONUNBUFFERED="1",
        )
        return env

    def setup(self) -> None:
        """Point this process at the bench database and set Django up."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(self.env(BENCH_SETTINGS))
        import django

        django.setup()
        check_redis(self.redis_url)

    # --- the database ------------------------------------------------------------------

    def _admin(self):
        import psycopg

        return psycopg.connect(f"{self.pg}/postgres", autocommit=True, connect_timeout=5)

    def signature(self) -> str | None:
        with self._admin() as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [self.db],
            ).fetchone()
        return None if row is None else (row[0] or "")

    def drop(self) -> None:
        close_django_connections()
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db))
            )

    def create(self) -> None:
        from psycopg import sql

        self.drop()
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db)))
        say(f"migrating {self.db} ...")
        run = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env(KITH_SETTINGS),
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise SystemExit(f"migrate failed:\n{run.stdout}\n{run.stderr}")

    def mark_seeded(self, signature: str) -> None:
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(self.db), sql.Literal(signature)
                )
            )

    def ensure_seeded(self, args) -> dict:
        """Seed the database for these sizes unless it already holds exactly that.

        The sizes, a digest of the migrations and the seed's plan (board days, the
        claim day) are kept as the database's comment, so a second figure reuses it.
        """
        from bench import seed

        sizes = {
            "teams": args.teams,
            "per_team": args.per_team,
            "clients_per_team": args.clients_per_team,
            "claims_per_team": claims_per_team(args),
        }
        wanted = {"sizes": sizes, "migrations": migrations_digest()}
        current = None if args.fresh else self.signature()
        if current:
            try:
                stored = json.loads(current)
            except ValueError:
                stored = {}
            if reusable(stored, wanted):
                say(f"reusing {self.db} (seeded for these sizes)")
                return stored["plan"]
        self.create()
        started = time.monotonic()
        plan = seed.seed(**sizes)
        say(f"seeded {self.db} in {time.monotonic() - started:.1f} s")
        self.mark_seeded(json.dumps({**wanted, "plan": plan}, sort_keys=True))
        return plan


def reusable(stored: dict, wanted: dict) -> bool:
    """Same sizes and migrations; a bigger claim pool than needed will do."""
    have, need = dict(stored.get("sizes") or {}), dict(wanted["sizes"])
    enough = have.pop("claims_per_team", 0) >= need.pop("claims_per_team")
    return (
        "plan" in stored
        and enough
        and have == need
        and stored.get("migrations") == wanted["migrations"]
    )


def migrations_digest() -> str:
    """Changes whenever a migration file changes: the seeded database is then stale."""
    digest = hashlib.sha1(usedforsecurity=False)
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def close_django_connections() -> None:
    """Close this process's database connections (and pools) so the database can go."""
    if "django" not in sys.modules:
        return
    from django.conf import settings

    if not settings.configured:
        return
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {url} is not reachable: {exc}") from None


# --- daphne -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 2) -> int:
    try:
        with _opener.open(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class Daphne:
    """One daphne process on a loopback port, in its own process group."""

    def __init__(self, app: str, env: dict[str, str], log_dir: Path, name: str):
        self.app = app
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"daphne-{name}-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(self.port), app],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"daphne {self.name} exited:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                if http_status(f"http://127.0.0.1:{self.port}/healthz") == 200:
                    return
            time.sleep(0.2)
        raise SystemExit(f"daphne {self.name} not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: the process dies without closing its sockets politely."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@contextlib.contextmanager
def servers(bench: Bench, side: str, count: int):
    """``count`` daphne processes of one side: Kith's real ASGI app, or the bare stack."""
    app, settings_module = (
        (KITH_APP, KITH_SETTINGS) if side == "kith" else (BARE_APP, BENCH_SETTINGS)
    )
    env = bench.env(settings_module)
    started = [Daphne(app, env, bench.run_dir, f"{side}{i}") for i in range(count)]
    try:
        for server in started:
            server.wait_ready()
        yield started
    finally:
        for server in started:
            server.stop()


# --- worker processes ---------------------------------------------------------------------


class Worker:
    """A spawned process that talks to this one over a pipe: (command, payload) tuples."""

    def __init__(self, target, *args):
        self.conn, child = _spawn.Pipe()
        self.process = _spawn.Process(target=target, args=(child, *args), daemon=True)
        self.process.start()
        child.close()

    def send(self, *message) -> None:
        self.conn.send(message)

    def expect(self, kind: str, timeout: float) -> object:
        if not self.conn.poll(timeout):
            raise TimeoutError(f"worker sent no {kind!r} within {timeout:.0f} s")
        try:
            got, payload = self.conn.recv()
        except EOFError:
            raise SystemExit(f"a worker died (exit {self.process.exitcode})") from None
        if got == "error":
            raise SystemExit(f"a worker failed:\n{payload}")
        if got != kind:
            raise RuntimeError(f"worker sent {got!r}, expected {kind!r}")
        return payload

    def close(self) -> None:
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


def ask_all(workers: list[Worker], command: str, reply: str, timeout: float, *payload) -> list:
    for worker in workers:
        worker.send(command, *payload)
    return [worker.expect(reply, timeout) for worker in workers]


# --- figures ------------------------------------------------------------------------------


def say(text: str) -> None:
    print(f"  . {text}", file=sys.stderr, flush=True)


def quantiles_ms(values) -> tuple[float | None, float | None]:
    """p50 and p99 of seconds, in milliseconds (None without data)."""
    values = list(values)
    if not values:
        return None, None
    if len(values) == 1:
        return values[0] * 1000, values[0] * 1000
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[98] * 1000


def ratio(kith, bare) -> float | None:
    """Kith over bare; none where it means nothing (a missing or non-positive figure)."""
    if not isinstance(kith, int | float) or not isinstance(bare, int | float):
        return None
    if isinstance(kith, bool) or kith < 0 or bare <= 0:
        return None
    return kith / bare


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}"
    return f"{text}{unit}"


@dataclass
class Figure:
    """One figure: rows of (what, Kith, bare), the ratio beside each, and its goals."""

    number: int
    title: str
    setup: str
    rows: list[tuple[str, object, object, str]] = field(default_factory=list)
    goals: list[tuple[str, bool | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def row(self, label: str, kith, bare=None, unit: str = "") -> None:
        self.rows.append((label, kith, bare, unit))

    def goal(self, text: str, met: bool | None) -> None:
        self.goals.append((text, met))

    def print(self) -> None:
        print(f"\nFigure {self.number}. {self.title}")
        print(f"  {self.setup}")
        print(f"  {'':32} {'Kith':>14} {'bare':>14} {'Kith/bare':>10}")
        for label, kith, bare, unit in self.rows:
            r = ratio(kith, bare)
            print(
                f"  {label:32} {fmt(kith, unit):>14} {fmt(bare, unit):>14}"
                f" {('x' + format(r, '.2f')) if r is not None else '':>10}"
            )
        for text, met in self.goals:
            verdict = "n/a" if met is None else ("met" if met else "NOT met")
            print(f"  goal: {text}: {verdict}")
        for note in self.notes:
            print(f"  note: {note}")
        sys.stdout.flush()

    def as_dict(self) -> dict:
        return {
            "number": self.number,
            "title": self.title,
            "setup": self.setup,
            "rows": [
                {"what": label, "kith": kith, "bare": bare, "unit": unit}
                for label, kith, bare, unit in self.rows
            ],
            "goals": [{"goal": text, "met": met} for text, met in self.goals],
            "notes": self.notes,
        }


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    versions = {}
    for package in ("django", "channels", "daphne", "channels_redis", "rest_framework"):
        with contextlib.suppress(Exception):
            versions[package] = __import__(package).__version__
    with contextlib.suppress(Exception):
        import websockets

        versions["websockets"] = websockets.__version__
    return {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": platform.platform(),
        "cpu": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "python": platform.python_version(),
        "packages": ", ".join(f"{k} {v}" for k, v in versions.items()),
    }


def services_versions(bench: Bench) -> str:
    found = []
    with contextlib.suppress(Exception), bench._admin() as conn:
        found.append("PostgreSQL " + conn.execute("SHOW server_version").fetchone()[0])
    with contextlib.suppress(Exception):
        import redis

        info = redis.Redis.from_url(bench.redis_url, socket_connect_timeout=3).info("server")
        found.append(f"Redis {info['redis_version']}")
    return ", ".join(found)


def redis_host(url: str) -> str:
    return urlsplit(url).hostname or url


# --- sockets and publishers ---------------------------------------------------------------


class Fleet:
    """Websocket clients spread over ``procs`` worker processes."""

    def __init__(self, specs: list, mode: str, servers: list[Daphne], procs: int, **opts):
        from bench.load import socket_worker

        procs = max(1, min(procs, len(specs) or 1))
        options = {"mode": mode, "servers": [s.address for s in servers], **opts}
        self.size = len(specs)
        self.workers = [Worker(socket_worker, specs[i::procs], options) for i in range(procs)]

    def wait_ready(self, timeout: float = 600) -> dict:
        started = time.monotonic()
        merged = merge_status(w.expect("ready", timeout) for w in self.workers)
        say(
            f"{merged['live']:,} of {self.size:,} sockets live in"
            f" {time.monotonic() - started:.1f} s ({merged['refused']} refused,"
            f" {merged['errors']} unreadable messages)"
        )
        return merged

    def status(self) -> dict:
        return merge_status(ask_all(self.workers, "status", "status", 30))

    def drain(self, quiet: float = 1.0, limit: float = 20) -> None:
        """Wait until deliveries stop growing for ``quiet`` seconds (at most ``limit``)."""
        deadline = time.monotonic() + limit
        last, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            delivered = self.status()["delivered"]
            if delivered != last:
                last, since = delivered, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return
            time.sleep(0.2)

    def stop(self) -> dict:
        results = ask_all(self.workers, "stop", "result", 120)
        for worker in self.workers:
            worker.close()
        from array import array

        latencies = array("d")
        for result in results:
            latencies.frombytes(result["latencies"])
        merged = merge_status(results)
        if merged["errors"]:
            say(f"WARNING: clients could not read {merged['errors']} messages (see load.py)")
        firsts = [r["first_recv"] for r in results if r["first_recv"] is not None]
        lasts = [r["last_recv"] for r in results if r["last_recv"] is not None]
        return {
            **merged,
            "first_recv": min(firsts) if firsts else None,
            "last_recv": max(lasts) if lasts else None,
            "latencies": latencies,
            "claims": [claim for r in results for claim in r["claims"]],
            "clients": [client for r in results for client in r["clients"]],
        }

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.kill()
            worker.close()


def merge_status(statuses) -> dict:
    merged = dict.fromkeys(
        ("sockets", "live", "down", "refused", "dropped", "errors", "delivered"), 0
    )
    for status in statuses:
        for key in merged:
            merged[key] += status[key]
    return merged


def loss(clients: list[dict], heads: dict[str, int]) -> dict:
    """What the sockets missed, by sequence number, against each stream's final head."""
    lost = dupes = resets = 0
    for client in clients:
        lost += client["gaps"]
        dupes += client["dupes"]
        resets += client["resets"]
        for stream, last in client["last"].items():
            lost += max(0, heads.get(stream, last) - last)
    return {"lost": lost, "dupes": dupes, "resets": resets}


class Publisher(Worker):
    def __init__(self, mode: str, streams: list[str], **opts):
        from bench.publish import publisher

        super().__init__(publisher, mode, streams, opts)
        self.expect("ready", 60)

    def go(self) -> None:
        self.send("go")

    def stop(self) -> None:
        self.send("stop")

    def result(self, timeout: float) -> dict:
        result = self.expect("result", timeout)
        self.close()
        return result


def kith_specs(teams: list[tuple[int, list[int]]], sessions: dict[int, str]) -> list:
    from django.conf import settings

    from bench.load import SocketSpec

    specs = []
    for team_id, members in teams:
        for person in members:
            cookie = f"{settings.SESSION_COOKIE_NAME}={sessions[person]}"
            specs.append(SocketSpec(len(specs), person, f"team.{team_id}", cookie))
    return specs


def bare_specs(teams: list[tuple[int, list[int]]]) -> list:
    from bench.load import SocketSpec

    specs = []
    for team_id, members in teams:
        for person in members:
            specs.append(SocketSpec(len(specs), person, f"team.{team_id}"))
    return specs


def heads(streams: list[str]) -> dict[str, int]:
    from coordination.events import heads as log_heads

    return log_heads(streams)


def run_one(doc: str, add_arguments, run) -> None:
    """The command line of one figure's script: parse, set up, seed, measure, print."""
    p = parser(doc.split("\n\n")[0])
    add_arguments(p)
    args = p.parse_args()
    bench = Bench.from_args(args)
    bench.setup()
    try:
        plan = bench.ensure_seeded(args)
        run(args, bench, plan).print()
    finally:
        if args.drop:
            bench.drop()
