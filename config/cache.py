"""The cache: Redis, shared by every server process, falling back to this process's
own memory while Redis cannot be reached.

The cache holds the counts of failed sign-ins (django-axes), so every process sees
every guess. Django's Redis backend raises when Redis is down, which made the sign-in
page, the token endpoint and the admin's sign-in a 500. Counting in each process
alone for a while is the right way to degrade: nobody is kept out, and a guesser
gains at most one limit per process, never an open door. Written here because
neither Django's backend nor django-axes has such a fallback (django-redis's
IGNORE_EXCEPTIONS would answer "no count" instead, which lets guesses through).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("kith.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, OSError)
WARN_EVERY = 60  # seconds between warnings while Redis stays down


def _falls_back(name: str):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(RedisCacheWithFallback, self), name)(*args, **kwargs)
        except UNAVAILABLE:
            self._warn()
            return getattr(self._local, name)(*args, **kwargs)

    method.__name__ = name
    return method


class RedisCacheWithFallback(RedisCache):
    """Django's ``RedisCache``; each operation that finds Redis unreachable is done in
    a cache inside this process instead (see the module)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._local = LocMemCache(f"fallback-{self.key_prefix}", {})
        self._warned = 0.0

    def _warn(self) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            logger.warning("the cache cannot reach Redis: counting in this process meanwhile")

    add = _falls_back("add")
    get = _falls_back("get")
    set = _falls_back("set")
    touch = _falls_back("touch")
    delete = _falls_back("delete")
    get_many = _falls_back("get_many")
    has_key = _falls_back("has_key")
    incr = _falls_back("incr")
    set_many = _falls_back("set_many")
    delete_many = _falls_back("delete_many")
    clear = _falls_back("clear")
