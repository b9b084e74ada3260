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
4403 a named stream it may not read (or none at all), 4400 a malformed ``since``.
(A socket closed before accept reaches a browser as a bare 1006, indistinguishable
from a network failure, so the client would retry forever.)
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from coordination import access, presence
from coordination import events as log

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_BAD_REQUEST = 4400


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
        if not sep or not stream or not seq.isdigit():
            raise ValueError(item)
        since[stream] = int(seq)
    return since


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):
        # Forwarding a live event touches no database; Channels would otherwise hop to
        # the sync thread (aclose_old_connections) before every message, which costs a
        # third of the server's CPU under fan-out. Handlers that need the database use
        # database_sync_to_async, which closes stale connections itself.
        if message["type"] == log.MESSAGE_TYPE:
            await self.stream_event(message)
        else:
            await super().dispatch(message)

    async def connect(self):
        self.last: dict[str, int] = {}
        self.person = self.scope.get("user")
        if self.person is None or not self.person.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        try:
            since = parse_since(self.scope.get("query_string", b""))
        except ValueError:
            await self.refuse(CLOSE_BAD_REQUEST)
            return
        allowed = await database_sync_to_async(access.readable_streams)(self.person)
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
        await self.channel_layer.group_add(log.person_group(self.person.pk), self.channel_name)
        for stream in wanted:
            await self.channel_layer.group_add(log.group_for_stream(stream), self.channel_name)
        await self.accept()
        heads = await database_sync_to_async(log.heads)(wanted)
        for stream in wanted:
            if stream in since:
                self.last[stream] = since[stream]
                await self.catch_up(stream, upto=heads[stream])
            else:
                self.last[stream] = heads[stream]
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
        first = await presence.store().arrive(self.person.pk, self.channel_name)
        self.heartbeat = asyncio.ensure_future(self.beat())
        if first:
            await self.announce(online=True)

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(presence.HEARTBEAT)
            await presence.store().refresh(self.person.pk, self.channel_name)

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
        await self.accept()
        await self.close(code=code)

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
        records = await database_sync_to_async(log.read)(stream, after=after, limit=limit)
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
        message = dict(message)
        message["type"] = "event"
        await self.send_json(message)

    async def access_changed(self, message):
        allowed = set(await database_sync_to_async(access.readable_streams)(self.person))
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
            if await presence.store().leave(self.person.pk, self.channel_name):
                await self.announce(online=False)
            if getattr(self, "hears_presence", False):
                for stream in self.team_streams():
                    await self.channel_layer.group_discard(
                        self.presence_group(stream), self.channel_name
                    )
        if getattr(self, "person", None) is not None and self.person.is_authenticated:
            await self.channel_layer.group_discard(
                log.person_group(self.person.pk), self.channel_name
            )
        for stream in getattr(self, "last", {}):
            await self.channel_layer.group_discard(log.group_for_stream(stream), self.channel_name)
