"""Who in a team is online now: one entry per open socket, kept alive by a heartbeat.

Each live socket of a team member registers itself when it connects, refreshes its
entry every ``HEARTBEAT`` seconds and removes it when it closes. An entry whose
process died (a daphne killed in a deploy, a machine gone) simply expires after
``TTL``: nobody is shown online for long without a socket behind them.

With ``REDIS_URL`` the entries are a sorted set per person in Redis (member: the
socket's channel name, score: when it expires), shared by every daphne process; on
the embedded default they live in this process, which is the only one.

Presence is ephemeral by design: it is not an event in the durable log. When a
person's first socket opens or their last one closes, the consumer tells the team
group at once (``presence.changed``) and pages re-read who is online.

It is also a courtesy: when Redis cannot be reached, ``online`` raises
``Unavailable`` within ``REDIS_TIMEOUT`` seconds and pages show who is on a visit (read
from the database) and say that who is online is unknown, instead of failing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis  # imported when first used: only a Redis deployment needs it

logger = logging.getLogger("kith.presence")

TTL = 150.0  # seconds an entry lives without a heartbeat
HEARTBEAT = 60.0  # seconds between heartbeats of an open socket
POOL_SIZE = 50  # Redis connections per process for presence
POOL_WAIT = 20.0  # seconds a presence call waits for one before it fails


class Unavailable(Exception):
    """Who is online cannot be read just now (the store, Redis, does not answer)."""


class LocalPresence:
    """This process's sockets, for the embedded default (one daphne process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, dict[str, float]] = {}

    def _live(self, person_id: int, now: float) -> dict[str, float]:
        entries = self._entries.setdefault(person_id, {})
        for channel in [c for c, expires in entries.items() if expires <= now]:
            del entries[channel]
        return entries

    async def arrive(self, person_id: int, channel: str) -> bool:
        now = time.time()
        with self._lock:
            entries = self._live(person_id, now)
            first = not entries
            entries[channel] = now + TTL
        return first

    async def refresh(self, person_id: int, channel: str) -> None:
        await self.arrive(person_id, channel)

    async def leave(self, person_id: int, channel: str) -> bool:
        now = time.time()
        with self._lock:
            entries = self._live(person_id, now)
            entries.pop(channel, None)
            return not entries

    def online(self, person_ids: Iterable[int]) -> set[int]:
        now = time.time()
        with self._lock:
            return {pid for pid in person_ids if self._live(pid, now)}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisPresence:
    """Sorted sets in Redis: ``<prefix>:<person id>`` -> {channel name: expiry}."""

    def __init__(self, url: str, prefix: str, timeout: float = 3.0) -> None:
        self.url = url
        self.prefix = prefix
        # A Redis that does not answer costs a page or a socket this long, not the
        # operating system's connect timeout of minutes.
        self.timeout = timeout
        self._sync: redis.Redis | None = None
        # One asyncio client per event loop (a client is bound to the loop it runs on).
        self._async: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _key(self, person_id: int) -> str:
        return f"{self.prefix}:{person_id}"

    def _client(self):
        import redis.asyncio

        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            # A blocking pool: when every connection is busy (a reconnect storm brings
            # thousands of sockets at once) a caller waits its turn instead of failing.
            pool = redis.asyncio.BlockingConnectionPool.from_url(
                self.url,
                max_connections=POOL_SIZE,
                timeout=POOL_WAIT,
                socket_connect_timeout=self.timeout,
                socket_timeout=self.timeout,
            )
            client = redis.asyncio.Redis(connection_pool=pool)
            self._async[loop] = client
        return client

    async def _touch(self, person_id: int, channel: str) -> int:
        """Add or refresh the socket's entry; the number of live entries before it."""
        now = time.time()
        key = self._key(person_id)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zcard(key)
            pipe.zadd(key, {channel: now + TTL})
            pipe.expire(key, int(TTL) + 1)
            _, before, _, _ = await pipe.execute()
        return before

    async def arrive(self, person_id: int, channel: str) -> bool:
        return await self._touch(person_id, channel) == 0

    async def refresh(self, person_id: int, channel: str) -> None:
        await self._touch(person_id, channel)

    async def leave(self, person_id: int, channel: str) -> bool:
        key = self._key(person_id)
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.zrem(key, channel)
            pipe.zremrangebyscore(key, "-inf", time.time())
            pipe.zcard(key)
            _, _, after = await pipe.execute()
        return after == 0

    def online(self, person_ids: Iterable[int]) -> set[int]:
        import redis

        ids = list(person_ids)
        if not ids:
            return set()
        if self._sync is None:
            self._sync = redis.Redis.from_url(
                self.url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout
            )
        now = time.time()
        try:
            with self._sync.pipeline(transaction=False) as pipe:
                for pid in ids:
                    pipe.zcount(self._key(pid), f"({now}", "+inf")
                counts = pipe.execute()
        except redis.RedisError as exc:
            raise Unavailable(str(exc)) from exc
        return {pid for pid, count in zip(ids, counts, strict=True) if count}

    def clear(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url)
        keys = list(client.scan_iter(f"{self.prefix}:*"))
        if keys:
            client.delete(*keys)


_store: LocalPresence | RedisPresence | None = None
_store_lock = threading.Lock()


def store() -> LocalPresence | RedisPresence:
    """The presence store for this process, built from settings on first use."""
    global _store
    with _store_lock:
        if _store is None:
            url = getattr(settings, "REDIS_URL", None)
            prefix = f"{getattr(settings, 'KITH_CHANNEL_PREFIX', 'kith')}:presence"
            timeout = getattr(settings, "REDIS_TIMEOUT", 3)
            _store = RedisPresence(url, prefix, timeout) if url else LocalPresence()
        return _store


def reset_store() -> None:
    """Forget the store (tests that change settings build a new one)."""
    global _store
    with _store_lock:
        _store = None


def online(person_ids: Iterable[int]) -> set[int]:
    """Of these people, those with at least one live socket now. Raises
    ``Unavailable`` when that cannot be read just now."""
    return store().online(person_ids)


# --- what a team page shows ---------------------------------------------------------------


@dataclass
class Around:
    """Who is around: one row per member (``person``, ``online``, ``visit``), and
    whether who is online could be read (``known``); when it could not, ``online``
    is False for everyone and only visits under way tell who is out."""

    rows: list[dict]
    known: bool = True

    @property
    def online_count(self) -> int:
        return sum(1 for r in self.rows if r["online"])

    @property
    def offline(self) -> list[dict]:
        """Those neither online nor on a visit; nobody when online is unknown."""
        if not self.known:
            return []
        return [r for r in self.rows if not r["online"] and not r["visit"]]


def who_is_around(team, members) -> Around:
    """The team's current members, each with whether they are online and the visit
    they are on now (started, not finished), in two queries whatever the team's size.
    ``members`` are the team's current memberships (with ``person``), as the page
    already has them. Without Redis the visits are still read (see ``Around``)."""
    from care.models import Visit

    people = [m.person for m in members]
    visiting = {
        v.assignee_id: v
        for v in Visit.objects.filter(
            client__team=team, status=Visit.Status.IN_PROGRESS, assignee__in=people
        ).select_related("client")
    }
    try:
        here, known = online(p.pk for p in people), True
    except Unavailable as exc:
        logger.warning("who is online is unavailable for team %s: %s", team.pk, exc)
        here, known = set(), False
    rows = [{"person": p, "online": p.pk in here, "visit": visiting.get(p.pk)} for p in people]
    # Those on a visit first, then those online, then the rest, each by name.
    rows.sort(key=lambda r: (r["visit"] is None, not r["online"], r["person"].display_name))
    return Around(rows, known)
