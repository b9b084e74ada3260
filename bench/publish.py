"""Publishers for the fan-out and storm figures, each in its own process.

Kith: ``coordination.events.publish`` inside a transaction, from worker threads of an
asyncio loop (``sync_to_async``), exactly as a service runs inside daphne: the event
goes into the durable log and, on commit, ``async_to_sync(group_send)`` hops back to
the loop, whose one channel-layer connection carries it to Redis.

Bare: raw ``channel_layer.group_send`` of a message of the same shape and size, with
a per-stream counter standing in for the log's sequence numbers.

Both are open loop: event ``i`` is due at ``start + i / rate`` and carries that due
time as ``sent_at``, so a publisher that falls behind shows up as latency instead of
quietly sending less (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
import traceback

EVENT_TYPE = "bench.tick"


def publisher(conn, mode: str, streams: list[str], opts: dict) -> None:
    """Process entry: set up, say ``ready``, publish on ``go`` until the duration ends
    or ``stop`` arrives, then report."""
    try:
        import django

        django.setup()
        # Imports and setup happen before "ready": the clock starts at "go".
        prepare = _kith if mode == "kith" else _bare
        send, finish = prepare(opts)
        conn.send(("ready", {"streams": len(streams)}))
        command, *_ = conn.recv()
        assert command == "go"
        try:
            result = asyncio.run(_paced(conn, streams, opts, send))
        finally:
            result_extra = finish()
        conn.send(("result", {**result, **result_extra}))
    except Exception:
        conn.send(("error", traceback.format_exc()))


def _pad(size: int) -> str:
    return "x" * max(0, size)


async def _paced(conn, streams: list[str], opts: dict, send) -> dict:
    """Call ``send(stream, due)`` for event i at its due time, round-robin over streams,
    at most ``concurrency`` in flight."""
    rate = float(opts["rate"])
    duration = opts.get("duration")  # None: until "stop"
    limit = asyncio.Semaphore(opts.get("concurrency", 4))
    started = time.time()
    published = failed = 0
    done: list[float] = []  # due -> published (committed and handed to Redis), seconds
    pending: set[asyncio.Task] = set()

    async def one(stream: str, due: float) -> None:
        nonlocal published, failed
        try:
            await send(stream, due)
            published += 1
            done.append(time.time() - due)
        except Exception:
            failed += 1
        finally:
            limit.release()

    i = 0
    next_poll = 0.0
    while True:
        due = started + i / rate
        # Stop at the end of the duration even when behind: what was due and never
        # sent counts as "offered" but not "published".
        if duration is not None and max(due, time.time()) >= started + duration:
            break
        if time.monotonic() >= next_poll:
            if conn.poll():
                break  # "stop"
            next_poll = time.monotonic() + 0.1
        wait = due - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        await limit.acquire()
        task = asyncio.create_task(one(streams[i % len(streams)], due))
        pending.add(task)
        task.add_done_callback(pending.discard)
        i += 1
    await asyncio.gather(*pending)
    return {
        "started": started,
        "finished": time.time(),
        "offered": int(rate * (time.time() - started))
        if duration is None
        else int(rate * duration),
        "published": published,
        "failed": failed,
        "done": done,
    }


def _kith(opts: dict):
    from concurrent.futures import ThreadPoolExecutor

    from asgiref.sync import sync_to_async
    from django.db import connection, transaction

    from coordination.events import Event, publish

    pad = _pad(opts["payload"])
    # One thread (and so one database connection, kept) per publish in flight, as
    # daphne's worker threads keep theirs between requests.
    concurrency = opts.get("concurrency", 4)
    threads = ThreadPoolExecutor(max_workers=concurrency)
    # Open every thread's connection before the clock starts (the barrier holds each
    # thread until all have one), so the first events do not pay for connecting.
    barrier = threading.Barrier(concurrency)

    def warm(_) -> None:
        connection.ensure_connection()
        barrier.wait(timeout=60)

    list(threads.map(warm, range(concurrency)))

    def publish_one(stream: str, due: float) -> None:
        with transaction.atomic():
            publish(Event(EVENT_TYPE, {"sent_at": due, "pad": pad}), streams=[stream])

    send = sync_to_async(publish_one, thread_sensitive=False, executor=threads)

    def finish() -> dict:
        threads.shutdown()
        return {}

    return send, finish


def _bare(opts: dict):
    from channels.layers import get_channel_layer

    from bench.bare import MESSAGE_TYPE, group_for_stream

    layer = get_channel_layer()
    pad = _pad(opts["payload"])
    seqs: dict[str, int] = {}

    async def send(stream: str, due: float) -> None:
        seq = seqs[stream] = seqs.get(stream, 0) + 1
        message = {
            "type": MESSAGE_TYPE,
            "stream": stream,
            "seq": seq,
            "event": EVENT_TYPE,
            "data": {"sent_at": due, "pad": pad},
            "actor": None,
            "at": datetime.datetime.now(datetime.UTC).isoformat(),
        }
        await layer.group_send(group_for_stream(stream), message)

    def finish() -> dict:
        return {"heads": seqs}

    return send, finish
