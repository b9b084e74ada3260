"""Password guessing against a real daphne: what it costs everyone else.

Starts one daphne process (DEBUG off, the production password hasher) on its own
database, then measures how long a cheap request takes (the sign-in page, ``GET
/login/``, one after another from one client) first with nobody guessing, then while
``--attackers`` clients each send wrong passwords to ``/login/`` and to the token
endpoint as fast as they are answered. It prints the probe's latencies in both
phases, their ratio, and what the guessers were answered.

    python -m bench.logins                      # SQLite in a temporary folder
    python -m bench.logins --database-url postgres://postgres@127.0.0.1:5432/kith_logins
    python -m bench.logins --failure-limit 1000000   # as if there were no lockout

Not a test: it asserts nothing and prints figures (bench/README.md).
"""

from __future__ import annotations

import argparse
import collections
import http.cookiejar
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tests.servers import Daphne

ROOT = Path(__file__).resolve().parent.parent
USERNAME = "bench-nurse"
PASSWORD = "a-right-password-for-the-bench"


def env_for(database_url: str, args) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KITH_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(64),
        DEBUG="0",
        KITH_HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        PYTHONUNBUFFERED="1",
        KITH_LOGIN_FAILURE_LIMIT=str(args.failure_limit),
        # DEBUG off needs Redis (production shape); the prefix keeps the bench's
        # live events and cache keys apart from anything else on that server.
        REDIS_URL=args.redis_url,
        KITH_CHANNEL_PREFIX="kithloginbench",
    )
    return env


def prepare(env: dict[str, str]) -> None:
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)
    script = (
        "from teams.models import Person\n"
        f"p, _ = Person.objects.get_or_create(username={USERNAME!r})\n"
        f"p.set_password({PASSWORD!r}); p.save()\n"
    )
    subprocess.run([*manage, "shell", "-c", script], cwd=ROOT, env=env, check=True)


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    ), jar


def call(op, request, timeout=120) -> int:
    try:
        with op.open(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code
    except OSError:
        return 0


def probe(url: str, seconds: float) -> list[float]:
    op, _ = opener()
    took = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        start = time.perf_counter()
        call(op, urllib.request.Request(f"{url}/login/"))
        took.append((time.perf_counter() - start) * 1000)
    return took


def guess_page(url: str, stop: threading.Event, answers: collections.Counter, n: int) -> None:
    op, jar = opener()
    call(op, urllib.request.Request(f"{url}/login/"))
    token = next((c.value for c in jar if c.name == "csrftoken"), "")
    while not stop.is_set():
        body = urllib.parse.urlencode(
            {"username": f"guess{n}", "password": "wrong", "csrfmiddlewaretoken": token}
        ).encode()
        request = urllib.request.Request(
            f"{url}/login/", data=body, headers={"Referer": f"{url}/login/"}
        )
        answers[f"page {call(op, request)}"] += 1


def guess_token(url: str, stop: threading.Event, answers: collections.Counter, n: int) -> None:
    op, _ = opener()
    body = f'{{"username": "guess{n}", "password": "wrong", "name": "bench"}}'.encode()
    while not stop.is_set():
        request = urllib.request.Request(
            f"{url}/api/v1/auth/token",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        answers[f"token {call(op, request)}"] += 1


def summary(took: list[float]) -> str:
    ordered = sorted(took)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (
        f"{len(took)} requests, p50 {statistics.median(took):.1f} ms,"
        f" p90 {p(0.9):.1f} ms, p99 {p(0.99):.1f} ms, max {max(took):.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    )
    parser.add_argument("--attackers", type=int, default=12)
    parser.add_argument("--duration", type=float, default=20, help="seconds per phase")
    parser.add_argument("--failure-limit", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        env = env_for(database_url, args)
        prepare(env)
        server = Daphne("logins", env, Path(tmp))
        try:
            server.wait_ready(60)
            probe(server.url, 2)  # warm up
            quiet = probe(server.url, args.duration)
            stop = threading.Event()
            answers: collections.Counter = collections.Counter()
            guessers = [
                threading.Thread(
                    target=guess_page if n % 2 else guess_token,
                    args=(server.url, stop, answers, n),
                    daemon=True,
                )
                for n in range(args.attackers)
            ]
            for thread in guessers:
                thread.start()
            time.sleep(1)
            loud = probe(server.url, args.duration)
            stop.set()
            for thread in guessers:
                thread.join(timeout=120)
        finally:
            server.stop()
    print(f"quiet:  {summary(quiet)}")
    print(f"{args.attackers} guessing: {summary(loud)}")
    ratio = statistics.median(loud) / statistics.median(quiet)
    print(f"p50 ratio (guessing / quiet): {ratio:.1f}x")
    print("guessers were answered:", dict(sorted(answers.items())))


if __name__ == "__main__":
    main()
