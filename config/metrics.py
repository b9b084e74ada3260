"""Metrics for an operator, in Prometheus' text format: requests, latency, failed
logins, tick runs (here) and the live side, events and sockets
(``coordination.events.metrics``); and the access log's line for every answer.

Each process serves its own metrics on a port of its own (``KITH_METRICS_PORT``,
9100), apart from the site: daphne's web processes and the tick alike, and Prometheus
scrapes every one of them. That port is never published nor proxied; the metrics are
off unless ``KITH_METRICS_TOKEN`` is set, and then answer only a request that carries
it as a bearer token: anyone else gets a 404. Why a port per process: several daphne
processes (in containers of their own, all of them pid 1) cannot share
prometheus_client's multiprocess directory, and a gauge such as the sockets open is
a fact about one process; the site's own port goes through the proxy, which picks a
process at random, and answers only the hosts of ALLOWED_HOSTS.

Labels are bounded: a request is counted by method, route name and status class,
never by its path (ids in paths would make a new series for every client).
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from wsgiref.simple_server import WSGIRequestHandler, make_server

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from prometheus_client import REGISTRY, Counter, Gauge, Histogram, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

logger = logging.getLogger("kith.metrics")
# One line per answer, in the log's own format and with its request id (on unless
# DEBUG: KITH_ACCESS_LOG). The path without its query string: search terms are no
# business of a log file.
access = logging.getLogger("kith.access")

METRICS_PATH = "/metrics"

REQUESTS = Counter(
    "kith_http_requests",
    "HTTP requests answered, by method, route name and status class.",
    ["method", "view", "status"],
)
LATENCY = Histogram(
    "kith_http_request_duration_seconds",
    "Time from a request reaching Django's middleware to its answer, by method and route.",
    ["method", "view"],
)
LOGIN_FAILURES = Counter(
    "kith_login_failures",
    "Sign-ins refused for a wrong username or password, at every door (page, API, admin).",
)
TICK_RUNS = Counter("kith_tick_runs", "Passes of the tick (manage.py tick) completed.")
TICK_LAST_RUN = Gauge(
    "kith_tick_last_run_timestamp_seconds", "When the tick last completed a pass (Unix time)."
)

# Anything else a client may send as a method would be a label value of its choosing.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _observe(request, response, started: float) -> None:
    took = time.perf_counter() - started
    method = request.method if request.method in METHODS else "other"
    match = getattr(request, "resolver_match", None)
    # The route's name (or its view's dotted path), never the path itself.
    view = match.view_name if match is not None else "unrouted"
    status = response.status_code
    REQUESTS.labels(method, view, f"{status // 100}xx").inc()
    LATENCY.labels(method, view).observe(took)
    access.info(
        "%s %s %s",
        method,
        request.path,
        status,
        extra={"route": view, "status": status, "duration_ms": round(took * 1000, 1)},
    )


class RequestMetricsMiddleware:
    """Counts and times every answer. Async under daphne (no hop to a worker thread
    for a counter), sync under a sync caller such as the test client."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.is_async:
            return self.__acall__(request)
        started = time.perf_counter()
        response = self.get_response(request)
        _observe(request, response, started)
        return response

    async def __acall__(self, request):
        started = time.perf_counter()
        response = await self.get_response(request)
        _observe(request, response, started)
        return response


def count_failed_login(sender, credentials=None, request=None, **kwargs) -> None:
    """Receiver of Django's ``user_login_failed`` (connected in config.apps); who was
    named stays out of the metrics."""
    LOGIN_FAILURES.inc()


def tick_ran() -> None:
    TICK_RUNS.inc()
    TICK_LAST_RUN.set_to_current_time()


def protected(app, token: str):
    """``app`` (WSGI) answering only ``GET /metrics`` with ``Authorization: Bearer
    <token>``; a 404 to anything else, as if nothing were there."""
    expected = f"Bearer {token}".encode()

    def guarded(environ, start_response):
        given = environ.get("HTTP_AUTHORIZATION", "").encode("latin-1")
        if environ.get("PATH_INFO") == METRICS_PATH and secrets.compare_digest(given, expected):
            return app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Not Found\n"]

    return guarded


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002  (the standard library's name)
        """A scrape every few seconds is no news: log nothing."""


def serve(*, port: int, token: str, addr: str = "0.0.0.0", registry=REGISTRY):  # noqa: S104
    """Serve this process's metrics on ``addr:port`` from a thread; returns the server
    (``shutdown()`` stops it). All interfaces by default, so that Prometheus reaches
    it inside a container; the token guards it, and the port is never published."""
    try:
        server = make_server(
            addr,
            port,
            protected(make_wsgi_app(registry), token),
            server_class=ThreadingWSGIServer,
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        raise SystemExit(f"Kith cannot start: KITH_METRICS_PORT={port}: {exc}") from None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    logger.info("metrics on port %s", server.server_port)
    return server


def serve_from_settings():
    """Serve metrics when KITH_METRICS_TOKEN is set (daphne's processes, the tick)."""
    from django.conf import settings

    if not settings.METRICS_TOKEN:
        return None
    return serve(port=settings.METRICS_PORT, token=settings.METRICS_TOKEN)
