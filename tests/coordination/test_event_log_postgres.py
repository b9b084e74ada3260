"""The event log under real concurrency on PostgreSQL: threads, each its own connection.

The claims of coordination.events under test: per-stream sequence numbers are
gap-free and unique however many publishers race, a rollback gives its number back,
events become visible in sequence order (a reader never sees n+1 without n), and
publishing to several streams in any order does not deadlock.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

import pytest
from django.db import connections, transaction

from coordination import events
from coordination.events import Event, EventRecord, publish

# The log's own mechanics, with made-up event types: logged, not refused (tests/conftest.py).
# Its streams are literal names of no row ("team.1"): the log takes any name it is given.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.services,
    pytest.mark.usefixtures("loose_events"),
]

THREADS = 8
PER_THREAD = 25
JOIN_TIMEOUT = 60  # seconds; every wait in this module is bounded


class Boom(Exception):
    """Raised inside a transaction to roll it back after publishing."""


def run_threads(target: Callable[[int], None], count: int, *, extra=()) -> None:
    """Run ``target(i)`` in ``count`` threads released together; re-raise the first error.

    ``extra`` are callables run in threads of their own (a reader), started first and
    joined last. Every thread closes its database connection, which hands it back to
    the pool: the pool (max 20 by default) is never drained by finished threads.
    """
    barrier = threading.Barrier(count + len(extra), timeout=JOIN_TIMEOUT)
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def body() -> None:
            try:
                barrier.wait()
                fn()
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()
            finally:
                connections.close_all()

        return body

    extra_threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in extra]
    threads = [
        threading.Thread(target=wrap(lambda i=i: target(i)), daemon=True) for i in range(count)
    ]
    for thread in extra_threads + threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads + extra_threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = [t for t in threads + extra_threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} threads still running after {JOIN_TIMEOUT} s"
    if errors:
        raise errors[0]


def seqs(stream: str) -> list[int]:
    return list(
        EventRecord.objects.filter(stream=stream).order_by("seq").values_list("seq", flat=True)
    )


def test_concurrent_publishers_get_unique_gap_free_numbers(postgres, captured_sends):
    stream = "team.9001"  # a new stream: the publishers also race to create its counter

    def publisher(thread: int) -> None:
        for i in range(PER_THREAD):
            with transaction.atomic():
                publish(Event("load.n", {"thread": thread, "i": i}), streams=[stream])

    run_threads(publisher, THREADS)

    total = THREADS * PER_THREAD
    assert seqs(stream) == list(range(1, total + 1))
    assert events.head(stream) == total
    published = {(r.data["thread"], r.data["i"]) for r in EventRecord.objects.filter(stream=stream)}
    assert published == {(t, i) for t in range(THREADS) for i in range(PER_THREAD)}
    # Every committed event rang its group once (in commit order or not: the consumer
    # reorders by sequence number and heals from the log).
    assert sorted(m["seq"] for _, m in captured_sends) == list(range(1, total + 1))
    assert {group for group, _ in captured_sends} == {f"s.{stream}"}


def test_rolled_back_publishes_leave_no_gap(postgres, captured_sends):
    stream = "team.9002"
    with transaction.atomic():
        publish(Event("seed"), streams=[stream])  # the counter exists: only the lock races

    def publisher(thread: int) -> None:
        rng = random.Random(thread)
        for i in range(PER_THREAD):
            try:
                with transaction.atomic():
                    publish(Event("maybe", {"thread": thread, "i": i}), streams=[stream])
                    # Hold the row lock a moment so the others queue behind a doomed one.
                    time.sleep(rng.random() / 1000)
                    if (thread + i) % 3 == 0:
                        raise Boom
            except Boom:
                pass

    run_threads(publisher, THREADS)

    kept = {(t, i) for t in range(THREADS) for i in range(PER_THREAD) if (t + i) % 3 != 0}
    total = 1 + len(kept)
    assert seqs(stream) == list(range(1, total + 1))
    assert events.head(stream) == total
    records = EventRecord.objects.filter(stream=stream, type="maybe")
    assert {(r.data["thread"], r.data["i"]) for r in records} == kept
    # Rolled-back events were never rung either.
    assert sorted(m["seq"] for _, m in captured_sends) == list(range(1, total + 1))
    assert all((m["data"]["thread"] + m["data"]["i"]) % 3 for _, m in captured_sends[1:])


def test_events_become_visible_in_sequence_order(postgres, captured_sends):
    """A reader polling while writers publish only ever sees a prefix 1..k."""
    stream = "team.9003"
    with transaction.atomic():
        publish(Event("seed"), streams=[stream])
    total = 1 + THREADS * PER_THREAD
    writers_done = threading.Event()
    finished = threading.Lock()
    remaining = [THREADS]
    snapshots: list[tuple[int, list[int]]] = []  # (head read first, seqs read after)
    increments: list[list[int]] = []  # what read(after=last) returned, as the consumer reads

    def publisher(thread: int) -> None:
        rng = random.Random(thread)
        try:
            for i in range(PER_THREAD):
                with transaction.atomic():
                    publish(Event("n", {"thread": thread, "i": i}), streams=[stream])
                    # Work after publishing, inside the transaction: a later number
                    # must still not become visible before this one commits.
                    time.sleep(rng.random() / 500)
        finally:
            with finished:
                remaining[0] -= 1
                if remaining[0] == 0:
                    writers_done.set()

    def reader() -> None:
        last = 0
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline:
            done = writers_done.is_set()
            seen_head = events.head(stream)
            snapshots.append(
                (seen_head, [r.seq for r in events.read(stream, after=0, limit=total + 10)])
            )
            batch = [r.seq for r in events.read(stream, after=last, limit=total + 10)]
            if batch:
                increments.append(batch)
                last = batch[-1]
            if done:
                return
        raise AssertionError("the writers did not finish while the reader polled")

    run_threads(publisher, THREADS, extra=[reader])

    assert len(snapshots) > 10, "the reader hardly overlapped the writers"
    previous = 0
    for seen_head, snapshot in snapshots:
        assert snapshot == list(range(1, len(snapshot) + 1)), f"a gap was visible: {snapshot}"
        # The consumer reads heads, then the log up to them: the log must already
        # hold everything the head counted.
        assert len(snapshot) >= seen_head
        assert len(snapshot) >= previous, "a later read saw fewer events"
        previous = len(snapshot)
    assert snapshots[-1][1] == list(range(1, total + 1))
    # Reading on from the last number seen, as a reconnecting socket does, never skips.
    assert [seq for batch in increments for seq in batch] == list(range(1, total + 1))
    assert len({len(s) for _, s in snapshots}) > 2, "the reader never saw writes in progress"


def test_publishing_to_two_streams_in_opposite_orders_does_not_deadlock(postgres, captured_sends):
    first, second = "team.9004", "team.9005"
    with transaction.atomic():
        publish(Event("seed"), streams=[first, second])

    def publisher(thread: int) -> None:
        order = [first, second] if thread % 2 else [second, first]
        rng = random.Random(thread)
        for i in range(PER_THREAD):
            with transaction.atomic():
                publish(Event("both", {"thread": thread, "i": i}), streams=order)
                time.sleep(rng.random() / 1000)

    # PostgreSQL detects a deadlock within deadlock_timeout (1 s) and aborts one side
    # with an error, which run_threads re-raises: a pass means none happened.
    run_threads(publisher, THREADS)

    total = 1 + THREADS * PER_THREAD
    assert seqs(first) == list(range(1, total + 1))
    assert seqs(second) == list(range(1, total + 1))
    assert events.heads([first, second]) == {first: total, second: total}
    # One event, one number per stream, taken in the same transaction.
    by_event = {}
    for record in EventRecord.objects.filter(type="both"):
        by_event.setdefault((record.data["thread"], record.data["i"]), set()).add(record.stream)
    assert len(by_event) == THREADS * PER_THREAD
    assert all(streams == {first, second} for streams in by_event.values())


def test_the_records_publish_returns_are_the_rows_it_wrote(postgres, captured_sends):
    """On PostgreSQL one statement numbers and writes the records: what publish returns
    is what the log holds, for streams with a counter and a new one in one event."""
    with transaction.atomic():
        publish(Event("first"), streams=["team.71"])
    with transaction.atomic():
        records = publish(
            Event("both", {"visit": 3, "note": "é"}, actor=5),
            streams=["team.71", "client.9.visits"],
        )
    assert [(r.stream, r.seq) for r in records] == [("client.9.visits", 1), ("team.71", 2)]
    for record in records:
        stored = EventRecord.objects.get(pk=record.pk)
        assert stored.as_message() == record.as_message()
        assert (stored.stream, stored.seq, stored.type, stored.actor_id) == (
            record.stream,
            record.seq,
            "both",
            5,
        )
    assert events.heads(["team.71", "client.9.visits"]) == {"team.71": 2, "client.9.visits": 1}
