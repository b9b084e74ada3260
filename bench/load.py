"""The load generator: websocket clients (the ``websockets`` library) and HTTP callers,
each in worker processes so that both cores carry load.

Socket clients behave as frontend/static/frontend/live.js does: they resume with
``since=<stream>:<last seq>``, and after a lost connection retry with exponential
backoff and full jitter (0.5 s doubling to 20 s). On each retry they try the next
server, as a proxy in front would route around a dead one. They count what they
receive per stream by sequence number: a jump is a loss, a repeat a duplicate.

The harness drives a worker over a pipe: the worker connects, says ``ready``, then
answers ``status`` and ``stop`` (after which it reports everything and exits).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import traceback
from array import array
from dataclasses import dataclass
from urllib.parse import quote

BASE_DELAY = 0.5
MAX_DELAY = 20.0


@dataclass
class SocketSpec:
    index: int
    person: int
    stream: str  # the one stream the socket follows (team.<id>)
    cookie: str | None = None  # Kith: the Cookie header (the session)


class SocketClient:
    __slots__ = (
        "spec",
        "last",
        "first",
        "gaps",
        "dupes",
        "resets",
        "events",
        "readies",
        "drops",
        "failed_connects",
        "errors",
        "live",
        "dropped_at",
        "back_at",
        "refused",
        "ws",
    )

    def __init__(self, spec: SocketSpec):
        self.spec = spec
        self.last: dict[str, int] = {}
        self.first: dict[str, int] = {}
        self.gaps = 0
        self.dupes = 0
        self.resets = 0
        self.events = 0
        self.readies = 0
        self.drops = 0
        self.failed_connects = 0
        self.errors = 0
        self.live = False
        self.dropped_at: float | None = None  # the last time a live connection was lost
        self.back_at: float | None = None  # the first ready after that
        self.refused: int | None = None
        self.ws = None

    def summary(self) -> dict:
        return {
            "index": self.spec.index,
            "stream": self.spec.stream,
            "last": self.last,
            "first": self.first,
            "gaps": self.gaps,
            "dupes": self.dupes,
            "resets": self.resets,
            "events": self.events,
            "readies": self.readies,
            "drops": self.drops,
            "failed_connects": self.failed_connects,
            "errors": self.errors,
            "dropped_at": self.dropped_at,
            "back_at": self.back_at,
            "refused": self.refused,
        }


class SocketWorker:
    def __init__(self, specs: list[SocketSpec], opts: dict):
        self.clients = [SocketClient(spec) for spec in specs]
        self.mode = opts["mode"]  # "kith" or "bare" (or "bare-stock")
        self.servers = [tuple(server) for server in opts["servers"]]
        self.open_timeout = opts.get("open_timeout", 30)
        self.gate = asyncio.Semaphore(opts.get("connect_concurrency", 100))
        self.stopping = False
        self.delivered = 0
        self.first_recv: float | None = None
        self.last_recv: float | None = None
        self.latencies = array("d")
        self.claims: list[tuple[int, float]] = []
        self.first_ready = asyncio.Event()
        self.waiting = len(self.clients)
        self.tasks: list[asyncio.Task] = []

    def url(self, client: SocketClient, attempt: int) -> tuple[str, str]:
        host, port = self.servers[(client.spec.index + attempt) % len(self.servers)]
        base = f"ws://{host}:{port}"
        if self.mode == "kith":
            path = "/ws/live/"
            if client.last:
                since = ",".join(f"{s}:{n}" for s, n in sorted(client.last.items()))
                path += f"?since={quote(since, safe=':,')}"
        else:
            folder = "bare-stock" if self.mode == "bare-stock" else "bare"
            path = f"/ws/{folder}/?stream={quote(client.spec.stream)}"
        return base + path, f"http://{host}:{port}"

    async def run_client(self, client: SocketClient) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

        attempt = 0  # backoff exponent, reset by "ready" (live.js)
        tries = 0  # connection attempts: each goes to the next server
        first = True
        while not self.stopping:
            url, origin = self.url(client, tries)
            tries += 1
            headers = {"Cookie": client.spec.cookie} if client.spec.cookie else {}
            ws = None
            was_live = False
            try:
                if first:
                    async with self.gate:
                        ws = await self._connect(connect, url, origin, headers)
                else:
                    ws = await self._connect(connect, url, origin, headers)
                client.ws = ws
                async for raw in ws:
                    if self.handle(client, raw):
                        was_live = True
                        attempt = 0
                        if first:
                            first = False
                            self._counted_ready()
            except ConnectionClosed:
                pass
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError):
                client.failed_connects += 1
            except Exception:
                # A message the client could not read: count it, drop the connection
                # and resume, rather than let the client die unnoticed.
                client.errors += 1
                if ws is not None:
                    await ws.close()
            finally:
                client.ws = None
            if was_live or client.live:
                client.live = False
                if not self.stopping:
                    client.drops += 1
                    client.dropped_at = time.time()
                    client.back_at = None
            if self.stopping:
                return
            code = ws.close_code if ws is not None else None
            if code in (4401, 4403, 4400):
                client.refused = code  # retrying will not help (live.js stops too)
                if first:
                    self._counted_ready()
                return
            ceiling = min(MAX_DELAY, BASE_DELAY * 2**attempt)
            attempt += 1
            await asyncio.sleep(random.random() * ceiling)

    async def _connect(self, connect, url, origin, headers):
        return await connect(
            url,
            origin=origin,
            additional_headers=headers,
            compression=None,
            proxy=None,
            open_timeout=self.open_timeout,
            ping_interval=None,
            close_timeout=2,
            max_size=None,
            max_queue=None,
        )

    def _counted_ready(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.first_ready.set()

    def handle(self, client: SocketClient, raw) -> bool:
        """Account for one message; True when it was a "ready"."""
        now = time.time()
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "event":
            client.events += 1
            self.delivered += 1
            if self.first_recv is None:
                self.first_recv = now
            self.last_recv = now
            stream, seq = message.get("stream"), message.get("seq")
            if seq is not None:
                last = client.last.get(stream)
                if last is None:
                    client.first[stream] = seq - 1
                elif seq <= last:
                    client.dupes += 1
                    return False
                elif seq > last + 1:
                    client.gaps += seq - last - 1
                client.last[stream] = seq
            data = message.get("data") or {}
            sent_at = data.get("sent_at")
            if sent_at is not None:
                self.latencies.append(now - sent_at)
            if (
                message.get("event") == "visit.claimed"
                and message.get("actor") != client.spec.person
            ):
                self.claims.append((data.get("visit"), now))
            return False
        if kind == "ready":
            for stream, head in (message.get("heads") or {}).items():
                # Only the first ready sets where counting starts: after a reconnect
                # the client keeps its own position (a bare server would say 0).
                if stream not in client.last:
                    client.last[stream] = head
                    client.first[stream] = head
            client.readies += 1
            client.live = True
            if client.dropped_at is not None and client.back_at is None:
                client.back_at = now
            return True
        if kind == "reset":
            client.resets += 1
            client.last[message["stream"]] = message["head"]
        return False

    def status(self) -> dict:
        down = sum(1 for c in self.clients if not c.live and c.refused is None)
        return {
            "sockets": len(self.clients),
            "live": sum(1 for c in self.clients if c.live),
            "down": down,
            "refused": sum(1 for c in self.clients if c.refused is not None),
            "dropped": sum(1 for c in self.clients if c.drops),
            "errors": sum(c.errors for c in self.clients),
            "delivered": self.delivered,
            "last_recv": self.last_recv,
        }

    async def stop(self) -> None:
        self.stopping = True
        open_sockets = [c.ws for c in self.clients if c.ws is not None]
        await asyncio.gather(*(ws.close() for ws in open_sockets), return_exceptions=True)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def result(self) -> dict:
        return {
            **self.status(),
            "first_recv": self.first_recv,
            "latencies": self.latencies.tobytes(),
            "claims": self.claims,
            "clients": [c.summary() for c in self.clients],
        }


def socket_worker(conn, specs: list[SocketSpec], opts: dict) -> None:
    """Process entry: connect ``specs``, then obey the harness until ``stop``."""
    try:
        asyncio.run(_socket_worker(conn, specs, opts))
    except Exception:
        conn.send(("error", traceback.format_exc()))


async def _socket_worker(conn, specs, opts) -> None:
    worker = SocketWorker(specs, opts)
    worker.tasks = [asyncio.create_task(worker.run_client(c)) for c in worker.clients]
    if not worker.clients:
        worker.first_ready.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(worker.first_ready.wait(), opts.get("connect_timeout", 300))
    conn.send(("ready", worker.status()))
    while True:
        command, *payload = await asyncio.to_thread(conn.recv)
        if command == "status":
            conn.send(("status", worker.status()))
        elif command == "stop":
            await worker.stop()
            conn.send(("result", worker.result()))
            return


# --- HTTP ---------------------------------------------------------------------------------


class HttpConnection:
    """A small HTTP/1.1 keep-alive client on asyncio streams: enough for JSON APIs, with
    no per-request cost beyond the socket (urllib would cost a thread per call)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return await self._response()
        except BaseException:
            self.close()
            raise

    async def _response(self) -> tuple[int, bytes]:
        assert self.reader is not None
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, chunked, close = None, False, False
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
            elif name == "connection" and value == "close":
                close = True
        if chunked:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        elif length is not None:
            body = await self.reader.readexactly(length)
        else:
            body = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    tag: int = 0  # the visit a claim is for


def http_worker(conn, calls: list[Call], opts: dict) -> None:
    """Process entry: on ``go``, make ``calls`` (once each, or repeated for the duration
    when ``repeat``), ``concurrency`` at a time, closed loop or paced at ``rate``/s."""
    try:
        asyncio.run(_http_worker(conn, calls, opts))
    except Exception:
        conn.send(("error", traceback.format_exc()))


async def _http_worker(conn, calls: list[Call], opts: dict) -> None:
    servers = [tuple(server) for server in opts["servers"]]
    concurrency = opts["concurrency"]
    duration = opts["duration"]
    rate = opts.get("rate") or 0
    repeat = opts.get("repeat", False)
    conn.send(("ready", {"calls": len(calls)}))
    command, *_ = await asyncio.to_thread(conn.recv)
    assert command == "go"

    records: list[tuple[int, float, float, int]] = []  # (tag, sent, answered, status)
    samples: dict[int, str] = {}  # status -> one answer body, for the report
    errors: dict[str, int] = {}
    started = time.time()
    deadline = time.monotonic() + duration
    counter = iter(range(10**12))

    async def caller(n: int) -> None:
        http = HttpConnection(*servers[n % len(servers)])
        while time.monotonic() < deadline:
            i = next(counter)
            if not repeat and i >= len(calls):
                break
            if rate:
                due = started + i / rate
                wait = due - time.time()
                if wait > 0:
                    await asyncio.sleep(wait)
            call = calls[i % len(calls)]
            sent = time.time()
            try:
                status, body = await http.request(call.method, call.path, call.headers)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                await asyncio.sleep(0.05)
                continue
            answered = time.time()
            records.append((call.tag, sent, answered, status))
            if status not in samples:
                samples[status] = body[:300].decode("utf-8", "replace")
        http.close()

    await asyncio.gather(*(caller(n) for n in range(concurrency)))
    conn.send(
        (
            "result",
            {
                "started": started,
                "finished": time.time(),
                "records": records,
                "samples": samples,
                "errors": errors,
            },
        )
    )
