"""Metrics of the live side: events published and delivered, replays, open sockets.

They live in the event log's package because it is the leaf every app may import
(it imports no app code): ``publish`` counts here itself, and the live socket
(``coordination.consumers``) reports through the small functions below. The rest of
Kith's metrics, and the port they are served on, are the wiring's (``config.metrics``).
Counts are per process; each process is scraped on its own.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

PUBLISHED = Counter(
    "kith_events_published",
    "Events appended to the log, by type (one per publish, whatever its streams).",
    ["type"],
)
RING_FAILURES = Counter(
    "kith_events_ring_failures",
    "Publishes whose live delivery failed after commit (sockets heal from the log).",
)
DELIVERED = Counter("kith_events_delivered", "Events sent to open sockets, replays included.")
REPLAYED = Histogram(
    "kith_live_replay_events",
    "Events replayed to one socket as it resumed (since=) or healed a gap.",
    buckets=(0, 1, 5, 10, 25, 50, 100, 250, 500, 1000),
)
SOCKETS_OPEN = Gauge("kith_live_sockets_open", "Live sockets open in this process.")


def published(event_type: str) -> None:
    PUBLISHED.labels(event_type).inc()


def ring_failed() -> None:
    RING_FAILURES.inc()


def socket_opened() -> None:
    """A live socket was accepted."""
    SOCKETS_OPEN.inc()


def socket_closed() -> None:
    """A live socket that ``socket_opened`` counted has closed."""
    SOCKETS_OPEN.dec()


def events_delivered(n: int = 1) -> None:
    """``n`` events were sent to a socket (live or replayed)."""
    if n > 0:
        DELIVERED.inc(n)


def replayed(n: int) -> None:
    """A socket was replayed ``n`` events from the log in one go (0 counts too)."""
    REPLAYED.observe(n)
