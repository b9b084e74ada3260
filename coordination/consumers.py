"""The live socket: replay what a client missed from the log, then forward live events.

Protocol (JSON messages, server to client):
  {"type": "event", "stream", "seq", "event", "data", "actor", "at"}
  {"type": "ready", "heads": {stream: seq}}       after the replay, once per connect
  {"type": "reset", "stream", "head"}             too much was missed: reload state
  {"type": "revoked", "streams": [...]}           access to these streams ended
  {"type": "error", "message"}                    the client sent a frame (it should send
                                                  none); the socket stays open
  {"type": "presence", "stream", "person", "online"}   a teammate came online or left
                                                  (only with ``presence=1`` in the query)

The client connects to ``/ws/live/?since=team.3:41,team.9:0``. Without ``since`` it
follows all its streams from now. A refused socket is accepted only to be closed at
once with a code the client can act on, and is sent nothing: 4401 not signed in,
4403 a named stream it may not read (or none at all), 4400 a malformed ``since``,
4503 the server is too busy opening other sockets just now, or cannot reach the
channel layer: try again after a backoff. (A socket closed before accept reaches a
browser as a bare 1006, indistinguishable from a network failure, so the client
would retry forever.)

Access ends on open sockets as it ends everywhere else. A socket keeps who it is
(the session it opened with) and a timer for the first moment something it reads
ends by the clock alone (a grant's expiry, the last day of a coach's term or of a
membership; ``coordination.access.readable_streams_until``). When that timer fires,
or the person's group is rung with "access changed" (a revoke, a decision, a logout,
a password change, a deactivation: every process's sockets of that person hear it),
the socket checks again: a session that ended closes it with 4401 after a
"revoked" of everything; streams no longer readable are revoked and left. An event
that arrives after the deadline but before the timer ran waits for that check, so
nothing is delivered past the end. Every ``LIVE_RECHECK_EVERY`` seconds (jittered)
each socket checks anyway, in case an ending was never rung.

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
import functools
import logging
import random
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from types import SimpleNamespace
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from coordination import access, presence
from coordination import events as log
from coordination.events import metrics
from coordination.events.streams import is_team_stream
from teams import sessions, tokens, two_factor
from teams.models import Person

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


class Reader:
    """Who is asking on a socket, what they may read now, until when (the first end by
    the clock of their access or of their credential), and the credential they opened
    with: a session's key or an API token's id (neither when the scope named the
    person, as tests do)."""

    __slots__ = ("person", "streams", "until", "session_key", "token_id")

    def __init__(self, person, streams=(), until=None, *, session_key=None, token_id=None):
        self.person = person
        self.streams = list(streams)
        self.until = until
        self.session_key = session_key
        self.token_id = token_id

    def refused(self) -> Reader:
        return Reader(AnonymousUser(), session_key=self.session_key, token_id=self.token_id)


def _session(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


def _token_from(scope) -> str | None:
    """An API token sent in the handshake's Authorization header ("Token <token>" or
    "Bearer <token>"), which a non-browser client can send and a browser cannot."""
    for name, value in scope.get("headers", ()):
        if name.lower() == b"authorization":
            scheme, _, raw = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() in {"token", "bearer"} and raw.strip():
                return raw.strip()
            return ""  # present but not a token: refused, never a session instead
    return None


def _signed_in(session):
    """The person a session stands for now, by Django's own check (hash, fallbacks,
    an active account), unless its idle or absolute deadline has passed, or it still
    owes the second step of a two-step sign-in (``teams.two_factor``)."""
    if sessions.session_ended(session) is not None:
        return AnonymousUser(), None
    person = auth.get_user(SimpleNamespace(session=session))
    if person.is_authenticated and not two_factor.session_complete(session, person):
        return AnonymousUser(), None
    return person, sessions.session_valid_until(session)


def _earliest(*moments):
    return min((m for m in moments if m is not None), default=None)


def who_may_read(scope) -> Reader:
    """First trip: the person asking (by an API token, else the session, unless the
    scope names them), every stream they may read now, and when the first of those, or
    the credential itself, ends by the clock."""
    person = scope.get("user")
    credential: dict = {}
    ends = None
    if person is None:
        raw = _token_from(scope)
        session = scope.get("session")
        if raw is not None:
            found = tokens.token_person(raw)
            if found is None:
                return Reader(AnonymousUser())
            person, token = found
            credential, ends = {"token_id": token.pk}, token.expires
        elif session is not None:
            person, ends = _signed_in(session)
            credential = {"session_key": session.session_key}
        else:
            return Reader(AnonymousUser())
    if not person.is_authenticated:
        return Reader(person)
    streams, until = access.readable_streams_until(person)
    return Reader(person, streams, _earliest(until, ends), **credential)


def who_may_read_now(reader: Reader) -> Reader:
    """The same question again for an open socket: is its credential still good for the
    same active person (a logout deletes the session, a password change or "sign out
    everywhere" changes the hash Django checks, a session's idle or absolute deadline
    passes, a token is revoked or expires, an account is deactivated), and what may
    they read now. Read afresh: nothing the socket holds is trusted."""
    ends = None
    if reader.session_key is not None:
        person, ends = _signed_in(_session(reader.session_key))
    elif reader.token_id is not None:
        token = tokens.active_token(reader.token_id)
        person = token.person if token is not None else AnonymousUser()
        ends = token.expires if token is not None else None
    else:
        person = Person.objects.filter(pk=reader.person.pk, is_active=True).first()
    if person is None or not person.is_authenticated or person.pk != reader.person.pk:
        return reader.refused()
    streams, until = access.readable_streams_until(person)
    return Reader(
        person,
        streams,
        _earliest(until, ends),
        session_key=reader.session_key,
        token_id=reader.token_id,
    )


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
    async def __call__(self, scope, receive, send):
        """Channels' own ``AsyncConsumer.__call__`` but for one thing: when the channel
        layer cannot give the socket a channel (Redis is down), the socket is accepted
        and closed with 4503, which the client retries after a backoff, instead of the
        handshake failing as a server error."""
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        try:
            self.channel_name = await self.channel_layer.new_channel()
        except Exception:
            logger.warning("live socket refused: the channel layer is unavailable", exc_info=True)
            await self.refuse_before_channel(receive)
            return
        self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        try:
            await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            self.stop_timer()

    async def refuse_before_channel(self, receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "websocket.connect":
                await self.base_send({"type": "websocket.accept"})
                await self.base_send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN})
            elif message["type"] == "websocket.disconnect":
                return

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
        self.reader: Reader | None = None
        self.deadline: float | None = None  # when something read here ends by the clock
        self.timer: asyncio.TimerHandle | None = None
        self.checking = asyncio.Lock()
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
        reader = await _on_opening_thread(who_may_read)(self.scope)
        person, allowed = reader.person, reader.streams
        if not person.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.person = self.scope["user"] = person
        self.reader = reader
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
        try:
            for group in sorted(groups):
                await self.channel_layer.group_add(group, self.channel_name)
        except Exception:
            logger.warning("live socket refused: the channel layer is unavailable", exc_info=True)
            await self.refuse(CLOSE_TRY_AGAIN)
            return
        self.schedule(reader.until)
        limit = settings.EVENT_REPLAY_LIMIT
        heads, missed = await _on_opening_thread(heads_and_missed)(wanted, since, limit)
        sent = 0
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
                    sent += 1
        if since:
            metrics.replayed(sent)
            metrics.events_delivered(sent)
        await self.send_json({"type": "ready", "heads": dict(self.last)})
        await self.arrive()

    # --- presence: a member's sockets keep them online for their teams ------------------

    def team_streams(self) -> list[str]:
        return [s for s in self.last if is_team_stream(s)]

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

    async def announce(self, *, online: bool, streams: list[str] | None = None) -> None:
        for stream in self.team_streams() if streams is None else streams:
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
        metrics.socket_opened()

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
        sent = 0
        for record in records:
            if record.seq == self.last[stream] + 1:
                self.last[stream] = record.seq
                await self.send_json(record.as_message())
                sent += 1
        metrics.replayed(sent)
        metrics.events_delivered(sent)

    async def stream_event(self, message):
        stream, seq = message["stream"], message["seq"]
        if self.deadline is not None and time.time() >= self.deadline:
            # Something this socket reads has ended by the clock and the timer has not
            # run yet: check first, so nothing is delivered past the end.
            await self.check_access()
        last = self.last.get(stream)
        if last is None or seq <= last:
            return  # not ours any more, or already sent during replay
        if seq > last + 1:
            await self.catch_up(stream, upto=seq)  # a delivery was lost: heal from the log
            return
        self.last[stream] = seq
        try:
            await self.send(text_data=message["text"])  # serialised once, at publish
            metrics.events_delivered()
        except Exception:
            # The socket closed under us (its disconnect is on its way): nothing to do.
            logger.debug("live event not sent: socket closed")

    async def access_changed(self, message):
        await self.check_access()

    # --- access that ends ------------------------------------------------------------

    def schedule(self, until) -> None:
        """Check again when ``until`` comes (the first end by the clock), or after
        about ``LIVE_RECHECK_EVERY`` seconds if that is sooner; jittered, so sockets
        opened together do not all check together."""
        self.stop_timer()
        every = settings.LIVE_RECHECK_EVERY
        delay = every * (0.75 + random.random() / 2)  # noqa: S311 (spreading, not secrecy)
        self.deadline = None
        if until is not None:
            self.deadline = until.timestamp()
            delay = min(delay, self.deadline - time.time())
        # A little past the end, so the database's "now" is past it too.
        self.timer = asyncio.get_running_loop().call_later(
            max(delay, 0) + 0.05, lambda: asyncio.ensure_future(self.check_access())
        )

    def stop_timer(self) -> None:
        timer = getattr(self, "timer", None)
        if timer is not None:
            timer.cancel()
            self.timer = None

    async def check_access(self) -> None:
        """Is the socket's person still signed in, and what may they read now? Drop
        what they may not; close when nothing is left (see the module)."""
        if self.reader is None:
            return
        async with self.checking:
            if self.reader is None:
                return  # ended meanwhile
            reader = await _on_opening_thread(who_may_read_now)(self.reader)
            if not reader.person.is_authenticated:
                await self.end(CLOSE_UNAUTHENTICATED)
                return
            self.reader = reader
            allowed = set(reader.streams)
            lost = sorted(set(self.last) - allowed)
            teams = self.team_streams()
            for stream in lost:
                del self.last[stream]
            if lost:
                await self.send_json({"type": "revoked", "streams": lost})
                await self.leave_groups(lost)
            if teams and not self.team_streams():
                await self.go_offline(teams)
            if not self.last:
                await self.end(CLOSE_FORBIDDEN)
                return
            self.schedule(reader.until)

    async def end(self, code: int) -> None:
        """Access ended altogether: say so, stop delivering at once, close."""
        self.stop_timer()
        self.reader = None
        self.deadline = None
        gone, teams = sorted(self.last), self.team_streams()
        self.last = {}
        if gone:
            await self.send_json({"type": "revoked", "streams": gone})
        await self.leave_groups(gone)
        await self.go_offline(teams)
        await self.close(code=code)

    async def leave_groups(self, streams: list[str]) -> None:
        await self.leave_groups_quietly(
            group
            for stream in streams
            for group in (log.group_for_stream(stream), self.presence_group(stream))
        )

    async def go_offline(self, teams: list[str]) -> None:
        """This socket no longer counts its person online for ``teams`` (the team
        streams it followed); when it was their last, those teams hear they left."""
        heartbeat = getattr(self, "heartbeat", None)
        if heartbeat is None:
            return
        heartbeat.cancel()
        self.heartbeat = None
        try:
            gone = await presence.store().leave(self.person.pk, self.channel_name)
        except Exception:  # the entry expires by itself (presence.TTL)
            logger.warning("presence not cleared for person %s", self.person.pk)
            return
        if gone:
            await self.announce(online=False, streams=teams)

    # --- what the client sends -------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """The client sends nothing on this socket; whatever it does send (text, JSON
        or binary) is answered with an error frame and changes nothing."""
        kind = "binary" if bytes_data is not None else "text"
        await self.send_json(
            {
                "type": "error",
                "message": f"This socket takes no messages (a {kind} frame was ignored).",
            }
        )

    async def disconnect(self, code):
        self.stop_timer()
        self.reader = None
        if getattr(self, "accepted", False):
            metrics.socket_closed()
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
                await self.leave_groups_quietly(
                    self.presence_group(stream) for stream in self.team_streams()
                )
        groups = [log.group_for_stream(stream) for stream in getattr(self, "last", {})]
        if getattr(self, "person", None) is not None:
            groups.append(log.person_group(self.person.pk))
        await self.leave_groups_quietly(groups)

    async def leave_groups_quietly(self, groups) -> None:
        # A socket that goes while the channel layer is down leaves nothing behind that
        # matters: its channel is gone with it, and the layer forgets it in time.
        try:
            for group in groups:
                await self.channel_layer.group_discard(group, self.channel_name)
        except Exception:
            logger.warning("live socket left its groups uncleanly", exc_info=True)
