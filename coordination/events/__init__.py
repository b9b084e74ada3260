"""The durable event log: the one way events leave a service.

``publish(event, streams=[...])`` appends the event to each stream with the next
sequence number, in the caller's transaction, and after commit rings the channel
group of each stream. The channel layer is the doorbell; the log is the truth: a
consumer that misses a delivery reads the gap back from here.

This package is a leaf: it imports Django and nothing of Kith's apps, so every app
may publish through it (an import-linter contract keeps it so).

Sequence numbers are gap-free and commit in order: the stream's counter row is
incremented with an UPDATE that holds its row lock until the transaction ends, so a
second publisher on the same stream waits, and a rollback takes the number back
with everything else.

Other parts of Kith may react to every publish without this package knowing them:
``on_publish(handler)`` registers a callable that ``publish`` calls with the event and
its records, inside the writer's transaction, right after appending (the
notifications are made this way). The registry holds callables only.

Every event's type is declared once by the app that publishes it
(``coordination.events.types``); ``publish`` checks the event against it. Stream
names are built in ``coordination.events.streams``, one function per kind.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from coordination.events import metrics, types
from coordination.events.models import EventRecord, Stream
from coordination.events.streams import NETWORK_STREAM, person_stream

logger = logging.getLogger("kith.events")

__all__ = [
    "NETWORK_STREAM",
    "Event",
    "EventMismatch",
    "EventRecord",
    "Stream",
    "group_for_stream",
    "head",
    "heads",
    "notify_access_changed",
    "on_publish",
    "person_group",
    "publish",
    "read",
]

MESSAGE_TYPE = "stream.event"
EventMismatch = types.EventMismatch

Handler = Callable[["Event", list[EventRecord]], None]
_handlers: list[Handler] = []


@dataclass(frozen=True)
class Event:
    """What happened: a dotted type and its data (ids and changed fields only)."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    actor: int | None = None


def group_for_stream(stream: str) -> str:
    # Channel group names allow letters, digits, '-', '_' and '.': stream names are
    # built from those ("team.12", "client.7").
    return f"s.{stream}"


def person_group(person_id: int) -> str:
    """Where "access changed" reaches a person's open sockets: the group of their own
    stream (``person.<id>``), which every socket of theirs joins, so a socket costs
    one subscription fewer."""
    return group_for_stream(person_stream(person_id))


def on_publish(handler: Handler) -> Handler:
    """Call ``handler(event, records)`` on every publish, in the writer's transaction,
    after the event is appended (once per publish, with the records of all its streams).

    What a handler writes commits or rolls back with the write that caused the event;
    an exception it lets out fails that write, so a handler guards its own work.
    Registering the same handler again changes nothing.
    """
    if handler not in _handlers:
        _handlers.append(handler)
    return handler


def _next_seq(stream: str) -> int:
    table = connection.ops.quote_name(Stream._meta.db_table)
    sql = f"UPDATE {table} SET last_seq = last_seq + 1 WHERE name = %s RETURNING last_seq"  # noqa: S608
    with connection.cursor() as cursor:
        # One statement increments and returns: the row lock it takes is held until
        # commit, which serialises publishers per stream and keeps numbers gap-free.
        cursor.execute(sql, [stream])
        row = cursor.fetchone()
        if row is None:  # a new stream: create its counter (racing creators are fine)
            Stream.objects.bulk_create([Stream(name=stream)], ignore_conflicts=True)
            cursor.execute(sql, [stream])
            row = cursor.fetchone()
    seq: int = row[0]
    return seq


def _append(streams: list[str], event: Event, now: datetime.datetime) -> list[EventRecord]:
    """PostgreSQL: number the event in each stream and write its records in one
    statement (every publish of every write goes through here: one round trip, not
    one to number and one to write). The counters are locked in name order (FOR
    UPDATE in the CTE), so two publishers to the same streams never wait on each
    other in a cycle; a stream without a counter yet gets one, then the same
    statement numbers it. Elsewhere (SQLite, which serialises writers anyway)
    ``publish`` numbers each stream with ``_next_seq``."""
    counters = connection.ops.quote_name(Stream._meta.db_table)
    log = connection.ops.quote_name(EventRecord._meta.db_table)
    sql = (
        f"WITH locked AS (SELECT name FROM {counters} WHERE name = ANY(%s)"  # noqa: S608
        f" ORDER BY name FOR UPDATE),"
        f" numbered AS (UPDATE {counters} AS s SET last_seq = s.last_seq + 1 FROM locked"
        f" WHERE s.name = locked.name RETURNING s.name, s.last_seq)"
        f" INSERT INTO {log} (stream, seq, type, data, actor_id, at)"
        f" SELECT name, last_seq, %s, %s::jsonb, %s, %s FROM numbered"
        f" RETURNING id, stream, seq"
    )
    data = json.dumps(event.data)  # as the JSONField would store it (no custom encoder)
    with connection.cursor() as cursor:
        cursor.execute(sql, [streams, event.type, data, event.actor, now])
        rows = cursor.fetchall()
        missing = sorted(set(streams) - {stream for _, stream, _ in rows})
        if missing:  # new streams: create their counters, then number them
            Stream.objects.bulk_create(
                [Stream(name=name) for name in missing], ignore_conflicts=True
            )
            cursor.execute(sql, [missing, event.type, data, event.actor, now])
            rows += cursor.fetchall()
    fields = [field.attname for field in EventRecord._meta.concrete_fields]
    written = {"type": event.type, "data": event.data, "actor_id": event.actor, "at": now}
    return [
        # As read from the database (the data is the event's own, as bulk_create keeps it).
        EventRecord.from_db(
            connection.alias,
            fields,
            [{"id": pk, "stream": stream, "seq": seq, **written}[name] for name in fields],
        )
        for pk, stream, seq in sorted(rows, key=lambda row: row[1])
    ]


def publish(event: Event, *, streams: list[str]) -> list[EventRecord]:
    """Append ``event`` to each stream and ring their groups once the caller commits.

    Call it from services, inside the transaction of the write that caused the event.
    """
    if not streams:
        raise ValueError("publish needs at least one stream")
    _check(event, streams)
    # Inside the caller's transaction no savepoint is needed (a failure fails the
    # write that caused the event anyway); alone, this is the event's own transaction.
    with transaction.atomic(savepoint=False):
        now = timezone.now()
        if connection.vendor == "postgresql":
            records = _append(sorted(set(streams)), event, now)
        else:
            records = EventRecord.objects.bulk_create(
                [
                    EventRecord(
                        stream=stream,
                        seq=_next_seq(stream),
                        type=event.type,
                        data=event.data,
                        actor_id=event.actor,
                        at=now,
                    )
                    for stream in sorted(set(streams))
                ]
            )
        transaction.on_commit(partial(_ring, records), robust=True)
        # After the rings are queued, so what handlers publish rings after its cause.
        for handler in list(_handlers):
            handler(event, records)
    return records


def _check(event: Event, streams: list[str]) -> None:
    """The event against its type's declaration: an error when strict (DEBUG, tests),
    else a warning, and the event is published all the same (see ``types``)."""
    problems = types.check(event.type, event.data, streams)
    if not problems:
        return
    if getattr(settings, "EVENTS_STRICT", settings.DEBUG):
        raise EventMismatch("; ".join(problems))
    logger.warning("event published against its declaration: %s", "; ".join(problems))


def _send(group: str, message: dict[str, Any]) -> None:
    _send_all([(group, message)])


def _send_all(messages: list[tuple[str, dict[str, Any]]]) -> None:
    """``group_send`` each (group, message), all in one hop to the event loop: a
    service runs on a request's one worker thread, which waits for the hop, so an
    event in two streams (the team's and the client's) costs one wait, not two.
    Raises the first failure once every message was tried."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return

    async def send_all() -> None:
        results = await asyncio.gather(
            *(layer.group_send(group, message) for group, message in messages),
            return_exceptions=True,
        )
        failures = [result for result in results if isinstance(result, BaseException)]
        if failures:
            raise failures[0]

    async_to_sync(send_all)()


def live_message(record: EventRecord) -> dict[str, Any]:
    """What the channel layer carries to each socket of a stream: the position (to
    order, drop repeats and find gaps) and the client's message as JSON text, written
    once here rather than once per socket."""
    return {
        "type": MESSAGE_TYPE,
        "stream": record.stream,
        "seq": record.seq,
        "text": json.dumps(record.as_message(), cls=DjangoJSONEncoder),
    }


def _ring(records: list[EventRecord]) -> None:
    # Counted once committed: a publish rolled back with its write happened to no one.
    metrics.published(records[0].type)
    try:
        _send_all([(group_for_stream(r.stream), live_message(r)) for r in records])
    except Exception:
        # The events are already in the log; consumers heal the gap from there.
        metrics.ring_failed()
        logger.warning(
            "live delivery failed for %s", ", ".join(f"{r.stream}#{r.seq}" for r in records)
        )


def notify_access_changed(person_id: int) -> None:
    """After commit, tell the person's open sockets to check what they may still see."""

    def ring() -> None:
        try:
            _send(person_group(person_id), {"type": "access.changed"})
        except Exception:
            logger.warning("access change not delivered to person %s", person_id)

    transaction.on_commit(ring, robust=True)


def read(stream: str, *, after: int = 0, limit: int = 500) -> list[EventRecord]:
    """Events of ``stream`` with seq > ``after``, oldest first, at most ``limit``."""
    return list(EventRecord.objects.filter(stream=stream, seq__gt=after).order_by("seq")[:limit])


def head(stream: str) -> int:
    """The last sequence number of ``stream`` (0 when nothing was published)."""
    return heads([stream]).get(stream, 0)


def heads(streams: list[str]) -> dict[str, int]:
    found = dict(Stream.objects.filter(name__in=streams).values_list("name", "last_seq"))
    return {stream: found.get(stream, 0) for stream in streams}
