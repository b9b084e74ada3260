"""The live socket: replay what a client missed from the log, then forward live events.

Protocol (JSON messages, server to client):
  {"type": "event", "stream", "seq", "event", "data", "actor", "at"}
  {"type": "ready", "heads": {stream: seq}}       after the replay, once per connect
  {"type": "reset", "stream", "head"}             too much was missed: reload state
  {"type": "revoked", "streams": [...]}           access to these streams ended
  {"type": "presence", "stream", "person", "online"}   a teammate came online or left
                                                  (only with ``presence=1`` in the query)

The client connects to ``/ws/live/?since=team.3:41,team.9:0``. Without ``since`` it
follows all its streams from now. A refused socket is accepted only to be closed at
once with a code the client can act on, and is sent nothing: 4401 not signed in,
4403 a named stream it may not read (or none at all), 4400 a malformed ``since``,
4503 the server is too busy opening other sockets just now: try again after a
backoff. (A socket closed before accept reaches a browser as a bare 1006,
indistinguishable from a network failure, so the client would retry forever.)

Opening a socket costs two trips to the database, on a small pool of threads of its
own (not Channels' one shared database thread, which would queue every connect of a
reconnect storm behind the others): who is asking and what they may read (the
session, the user and their streams), then, once the socket has joined its groups,
the stream heads and everything to replay in one more trip. The socket is accepted
before either (the client counts itself live at "ready", not at the handshake), and
at most ``LIVE_OPEN_SLOTS`` sockets per process make their trips at once; one that
waits longer than ``LIVE_OPEN_WAIT`` seconds for a slot is closed with 4503 and
tries again after a backoff, so a storm drains instead of piling up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from coordination import access, presence
from coordination import events as log

logger = logging.getLogger("kith.live")

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400
CLOSE_TRY_AGAIN = 4503  # busy: try again after a backoff (1013 is not ours to send)

# One gate per event loop (a daphne process has one; tests make one per test).
_gates: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# The opening trips run on a few threads of their own: enough to overlap database
# round trips, few enough that they do not starve the event loop of the interpreter
# lock while thousands of sockets open at once.
_opening_threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="live-open")


def _on_opening_thread(func):
    return database_sync_to_async(func, thread_sensitive=False, executor=_opening_threads)


def _gate() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    gate = _gates.get(loop)
    if gate is None:
        gate = _gates[loop] = asyncio.Semaphore(settings.LIVE_OPEN_SLOTS)
    return gate


def who_may_read(scope) -> tuple[object, list[str]]:
    """First trip: the person asking (from the session, unless the scope names them)
    and every stream they may read now."""
    person = scope.get("user")
    if person is None:
        session = scope.get("session")
        if session is None:
            return AnonymousUser(), []
        # Django's own session check (hash, fallbacks), on this worker thread.
        person = auth.get_user(SimpleNamespace(session=session))
    if not person.is_authenticated:
        return person, []
    return person, access.readable_streams(person)


def heads_and_missed(
    streams: list[str], since: dict[str, int], limit: int
) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """Second trip: each stream's head, and the events each resuming stream missed
    (when no more than ``limit``), oldest first, in two queries."""
    heads = log.heads(streams)
    wanted = {
        stream: after
        for stream, after in since.items()
        if stream in heads and after < heads[stream] and heads[stream] - after <= limit
    }
    missed: dict[str, list[dict]] = {stream: [] for stream in wanted}
    if wanted:
        match = Q()
        for stream, after in wanted.items():
            match |= Q(stream=stream, seq__gt=after, seq__lte=heads[stream])
        for record in log.EventRecord.objects.filter(match).order_by("stream", "seq"):
            missed[record.stream].append(record.as_message())
    return heads, missed


def parse_since(query_string: bytes) -> dict[str, int] | None:
    """``since=team.3:41,team.9:0`` as {"team.3": 41, "team.9": 0}; None when absent."""
    values = parse_qs(query_string.decode("latin-1")).get("since")
    if not values:
        return None
    since = {}
    for item in ",".join(values).split(","):
        if not item:
            continue
        stream, sep, seq = item.rpartition(":")
        if not sep or not stream or not seq.isdecimal():
            raise ValueError(item)
        since[stream] = int(seq)
    return since


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        # Channels would hop to its one shared database thread (aclose_old_connections)
        # before every message: a third of the server's CPU under fan-out, and in a
        # reconnect storm every connect and disconnect queued on that one thread. No
        # handler here touches the database but through database_sync_to_async, which
        # closes stale connections itself, so none needs the hop.
        if message["type"] == log.MESSAGE_TYPE:
            await self.stream_event(message)
            return
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.last: dict[str, int] = {}
        self.person = None
        try:
            since = parse_since(self.scope.get("query_string", b""))
        except ValueError:
            await self.refuse(CLOSE_BAD_REQUEST)
            return
        # Accept at once: the handshake never waits on the database, so a client
        # queued behind a reconnect storm waits on an open socket for its "ready"
        # instead of timing out its handshake and trying again (work done for a
        # client that has gone is what turns a storm into a collapse).
        await self.accept()
        gate = _gate()
        try:
            await asyncio.wait_for(gate.acquire(), timeout=settings.LIVE_OPEN_WAIT)
        except TimeoutError:
            await self.refuse(CLOSE_TRY_AGAIN)
            return
        try:
            await self.open(since)
        finally:
            gate.release()

    async def open(self, since: dict[str, int] | None) -> None:
        person, allowed = await _on_opening_thread(who_may_read)(self.scope)
        if not person.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.person = self.scope["user"] = person
        if since is None:
            since = {}
            wanted = allowed
        else:
            wanted = sorted(since)
            if not set(wanted) <= set(allowed):
                await self.refuse(CLOSE_FORBIDDEN)
                return
        if not wanted:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        # Join the groups first, then read the log: an event committed in between
        # arrives both ways and is dropped the second time by its sequence number.
        groups = {log.person_group(person.pk)} | {log.group_for_stream(s) for s in wanted}
        for group in sorted(groups):
            await self.channel_layer.group_add(group, self.channel_name)
        limit = settings.EVENT_REPLAY_LIMIT
        heads, missed = await _on_opening_thread(heads_and_missed)(wanted, since, limit)
        for stream in wanted:
            head = heads[stream]
            if stream not in since:
                self.last[stream] = head
                continue
            after = since[stream]
            self.last[stream] = after
            if after > head or head - after > limit:
                # The client's position is unknown to us or too far behind to replay.
                self.last[stream] = head
                await self.send_json({"type": "reset", "stream": stream, "head": head})
                continue
            for message in missed.get(stream, ()):
                if message["seq"] == self.last[stream] + 1:
                    self.last[stream] = message["seq"]
                    await self.send_json(message)
        await self.send_json({"type": "ready", "heads": dict(self.last)})
        await self.arrive()

    # --- presence: a member's sockets keep them online for their teams ------------------

    def team_streams(self) -> list[str]:
        return [s for s in self.last if s.startswith("team.")]

    def presence_group(self, stream: str) -> str:
        return f"{log.group_for_stream(stream)}.presence"

    async def arrive(self) -> None:
        self.heartbeat = None
        if not self.team_streams():
            return  # only team members appear online, and only to their teams
        # Any socket of a member counts them online; only pages that show presence
        # ask to hear about it (presence=1), so other clients get events alone.
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.hears_presence = query.get("presence") == ["1"]
        if self.hears_presence:
            for stream in self.team_streams():
                await self.channel_layer.group_add(self.presence_group(stream), self.channel_name)
        # Presence is a courtesy: when Redis cannot record it just now the socket still
        # carries events, and the next heartbeat records it.
        try:
            first = await presence.store().arrive(self.person.pk, self.channel_name)
        except Exception:
            logger.warning("presence not recorded for person %s", self.person.pk, exc_info=True)
            first = False
        self.heartbeat = asyncio.ensure_future(self.beat())
        if first:
            await self.announce(online=True)

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(presence.HEARTBEAT)
            try:
                await presence.store().refresh(self.person.pk, self.channel_name)
            except Exception:
                logger.warning("presence heartbeat failed for person %s", self.person.pk)

    async def announce(self, *, online: bool) -> None:
        for stream in self.team_streams():
            await self.channel_layer.group_send(
                self.presence_group(stream),
                {
                    "type": "presence.changed",
                    "stream": stream,
                    "person": self.person.pk,
                    "online": online,
                },
            )

    async def presence_changed(self, message):
        if message["stream"] in self.last:
            await self.send_json({**message, "type": "presence"})

    async def refuse(self, code: int) -> None:
        if not getattr(self, "accepted", False):
            await self.accept()
        await self.close(code=code)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.accepted = True

    async def catch_up(self, stream: str, *, upto: int | None = None) -> None:
        """Send the stream's events after what this socket has seen, from the log."""
        limit = settings.EVENT_REPLAY_LIMIT
        after = self.last[stream]
        if after > (upto if upto is not None else after) or (
            upto is not None and upto - after > limit
        ):
            # The client's position is unknown to us or too far behind to replay.
            self.last[stream] = upto if upto is not None else after
            await self.send_json({"type": "reset", "stream": stream, "head": self.last[stream]})
            return
        records = await _on_opening_thread(log.read)(stream, after=after, limit=limit)
        for record in records:
            if record.seq == self.last[stream] + 1:
                self.last[stream] = record.seq
                await self.send_json(record.as_message())

    async def stream_event(self, message):
        stream, seq = message["stream"], message["seq"]
        last = self.last.get(stream)
        if last is None or seq <= last:
            return  # not ours any more, or already sent during replay
        if seq > last + 1:
            await self.catch_up(stream, upto=seq)  # a delivery was lost: heal from the log
            return
        self.last[stream] = seq
        try:
            await self.send(text_data=message["text"])  # serialised once, at publish
        except Exception:
            # The socket closed under us (its disconnect is on its way): nothing to do.
            logger.debug("live event not sent: socket closed")

    async def access_changed(self, message):
        allowed = set(await _on_opening_thread(access.readable_streams)(self.person))
        lost = sorted(set(self.last) - allowed)
        for stream in lost:
            await self.channel_layer.group_discard(log.group_for_stream(stream), self.channel_name)
            await self.channel_layer.group_discard(self.presence_group(stream), self.channel_name)
            del self.last[stream]
        if lost:
            await self.send_json({"type": "revoked", "streams": lost})
        if getattr(self, "heartbeat", None) is not None and not self.team_streams():
            # No longer a member of any team this socket follows: not online for them.
            self.heartbeat.cancel()
            self.heartbeat = None
            await presence.store().leave(self.person.pk, self.channel_name)
        if not self.last:
            await self.close(code=CLOSE_FORBIDDEN)

    async def disconnect(self, code):
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is not None:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            try:
                gone = await presence.store().leave(self.person.pk, self.channel_name)
            except Exception:  # the entry expires by itself (presence.TTL)
                logger.warning("presence not cleared for person %s", self.person.pk)
                gone = False
            if gone:
                await self.announce(online=False)
            if getattr(self, "hears_presence", False):
                for stream in self.team_streams():
                    await self.channel_layer.group_discard(
                        self.presence_group(stream), self.channel_name
                    )
        if getattr(self, "person", None) is not None:
            await self.channel_layer.group_discard(
                log.person_group(self.person.pk), self.channel_name
            )
        for stream in getattr(self, "last", {}):
            await self.channel_layer.group_discard(log.group_for_stream(stream), self.channel_name)
