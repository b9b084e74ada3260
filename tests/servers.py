"""Real daphne processes for browser and cross-process tests, with bounded waits.

pytest-django's live server speaks WSGI only, and Kith's pages need websockets, so
these tests start daphne itself: ``.venv/bin/daphne config.asgi:application`` on a
loopback port, pointed at the test database (the test must use ``transactional_db``
so the server sees committed rows) and the test run's Redis, with its output in a
log file that a failing test prints.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
DAPHNE = Path(sys.executable).with_name("daphne")

# Loopback only: never let an environment proxy sit between the test and its servers.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database a Django connection's settings name."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{Path(settings_dict['NAME']).resolve()}"
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{quote(str(settings_dict['NAME']), safe='')}"


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)


def http(method: str, url: str, *, headers=None, body=None, timeout: float = 10) -> Response:
    """One HTTP request through urllib; error statuses come back as responses."""
    data = None
    headers = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Response(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.read(), dict(error.headers))


class Daphne:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path, port: int | None = None):
        self.name = name
        self.port = port or free_port()
        self.log_path = log_dir / f"daphne-{name}-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches only it
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 20) -> None:
        """Poll /login/ until it answers 200; fail with the server's log otherwise."""
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"daphne {self.name} exited with {self.process.returncode}:\n{self.log()}"
                )
            try:
                response = http("GET", f"{self.url}/login/", timeout=2)
            except OSError as exc:
                last = repr(exc)
            else:
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
            time.sleep(0.1)
        raise RuntimeError(
            f"daphne {self.name} not ready after {timeout:.0f} s ({last}):\n{self.log()}"
        )

    def stop(self, timeout: float = 10) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=timeout)
        self._log.close()


class Servers:
    """Starts daphne processes on demand; ``stop_all`` ends every one it started."""

    def __init__(self, env: dict[str, str], log_dir: Path):
        # A cache of their own (the counts of failed sign-ins), so no test's guesses
        # lock out another's sign-ins, in files or in a Redis shared by the run.
        self.env = {
            "KITH_CACHE_DIR": str(log_dir / "cache"),
            "KITH_CACHE_PREFIX": f"kith-test-{uuid.uuid4().hex[:12]}",
            **env,
        }
        self.log_dir = log_dir
        self.started: list[Daphne] = []

    def start(self, *names: str, timeout: float = 20, port: int | None = None) -> list[Daphne]:
        """Start one server per name (``port`` only with a single name)."""
        if port is not None and len(names) != 1:
            raise ValueError("a fixed port is for one server")
        # Start them all, then wait: the processes boot side by side.
        servers = [Daphne(name, self.env, self.log_dir, port) for name in names]
        self.started.extend(servers)
        for server in servers:
            server.wait_ready(timeout)
        return servers

    def stop_all(self) -> None:
        errors = []
        for server in self.started:
            try:
                server.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]

    def logs(self) -> str:
        return "\n".join(f"--- daphne {s.name} :{s.port} ---\n{s.log()}" for s in self.started)


def server_env(*, database_url: str, redis_url: str, secret_key: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # The test run's own switches must not leak into the servers (the channel
        # prefix must: the test process and the servers share live events).
        if not key.startswith(("KITH_", "DJANGO_", "PYTEST_"))
        or key == "KITH_CHANNEL_PREFIX"
        and key not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    }
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        # The session cookie the test writes is checked against this key.
        SECRET_KEY=secret_key,
        DEBUG="1",  # the development key is allowed, and no HTTPS redirect
        KITH_HTTPS="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DB_POOL_MIN_SIZE="1",
        DB_POOL_MAX_SIZE="5",
        PYTHONUNBUFFERED="1",
    )
    return env
