"""Shared fixtures: personas, service requirements, captured events.

Personas (DESIGN.md): ana and ben in team Noord, cas in team Zuid, coach, inspector,
client mrs_jansen and her daughter. Every permission test asks whether the outsider
(cas, for Noord) is refused.

Tests that need PostgreSQL or Redis use the ``postgres`` / ``redis_url`` fixtures:
they skip with a reason when the service is not configured, except under
KITH_REQUIRE_SERVICES=1 (CI), where any skip is a failure.
"""

from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection

from teams.models import Person
from tests.factories import PersonFactory, TeamFactory, member

REQUIRE_SERVICES = os.environ.get("KITH_REQUIRE_SERVICES") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if REQUIRE_SERVICES and report.skipped:
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = (
            f"skipped under KITH_REQUIRE_SERVICES=1, which counts as a failure: {reason}"
        )


def need(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", autouse=True)
def _close_connection_pools(django_db_setup, django_db_blocker):
    """Close PostgreSQL connections before the test database is dropped: a pooled one,
    or one still held by a worker thread of an async test, makes DROP DATABASE fail
    ("being accessed by other users")."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        conn = connections["default"]
        if conn.vendor != "postgresql":
            return
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        conn.close()
        if getattr(conn, "pool", None) is not None:
            conn.close_pool()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Production settings redirect to HTTPS (TLS ends at the proxy); tests speak HTTP.
    settings.SECURE_SSL_REDIRECT = False
    # Mail links are absolute, on the site's own address.
    settings.SITE_URL = "https://kith.test"
    # An event that does not match its declared type fails the write that published it.
    settings.EVENTS_STRICT = True
    # Pages link to static files by their own names, as in development: hashed names
    # need collectstatic first (tests/config/test_static.py runs it and checks them).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # A deliberately slow password hash costs 2 s per persona set; tests need no strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Failed sign-ins are counted in the cache: each test starts with none, in a cache
    # of its own process even when REDIS_URL is set (servers started by a test use
    # Redis, as in production).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "kith-tests",
        }
    }
    from axes.handlers.proxy import AxesProxyHandler
    from django.core.cache import caches

    caches["default"].clear()
    AxesProxyHandler.get_implementation(force=True)


@pytest.fixture
def loose_events(_test_settings, settings):
    """For tests of the log's own mechanics, which publish made-up event types: they
    are logged, not refused (as in production)."""
    settings.EVENTS_STRICT = False


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        need("needs PostgreSQL: set DATABASE_URL=postgres://...")
    return connection


@pytest.fixture
def redis_url():
    if not settings.REDIS_URL:
        need("needs Redis: set REDIS_URL=redis://...")
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        need(f"Redis at REDIS_URL is not reachable: {exc}")
    return settings.REDIS_URL


# Nothing listens here: a connection to "Redis" is refused at once.
REDIS_DOWN = "redis://127.0.0.1:6390/0"


@pytest.fixture
def redis_down(settings):
    """Redis configured but unreachable: presence, the channel layer and readiness all
    point at a port nothing listens on (the machine's own Redis is never touched)."""
    from axes.handlers.proxy import AxesProxyHandler
    from django.core.cache import caches as cache_handler

    from config.env import caches, channel_layers
    from coordination import presence

    settings.REDIS_URL = REDIS_DOWN
    settings.CHANNEL_LAYERS = channel_layers(REDIS_DOWN, max_connections=10, prefix="kith_down")
    settings.CACHES = caches(REDIS_DOWN, prefix="kith_down")
    AxesProxyHandler.get_implementation(force=True)  # it keeps the cache it started with
    cache_handler["default"]._local.clear()  # the process's own counts, from earlier tests
    presence.reset_store()
    yield REDIS_DOWN
    presence.reset_store()


@pytest.fixture
def personas(db):
    noord = TeamFactory(name="Noord", slug="noord")
    zuid = TeamFactory(name="Zuid", slug="zuid")
    return SimpleNamespace(
        noord=noord,
        zuid=zuid,
        ana=member("ana", noord, first_name="Ana", last_name="de Vries"),
        ben=member("ben", noord, first_name="Ben", last_name="Mulder"),
        cas=member("cas", zuid, first_name="Cas", last_name="Bakker"),
        coach=PersonFactory(username="coach", kind=Person.Kind.COACH),
        inspector=PersonFactory(username="inspector", kind=Person.Kind.INSPECTOR),
        mrs_jansen=PersonFactory(
            username="mrs_jansen", first_name="Wilma", last_name="Jansen", kind=Person.Kind.PORTAL
        ),
        daughter=PersonFactory(
            username="daughter", first_name="Petra", last_name="Jansen", kind=Person.Kind.PORTAL
        ),
    )


@pytest.fixture
def outsiders(personas):
    """Everyone who is not a member of team Noord, by name."""
    return {
        "outsider": personas.cas,
        "coach": personas.coach,
        "inspector": personas.inspector,
        "client": personas.mrs_jansen,
        "family": personas.daughter,
    }


@pytest.fixture
def captured_sends(monkeypatch):
    """Every group_send publish() makes after commit, as (group, message)."""
    from coordination import events

    sent: list[tuple[str, dict]] = []

    def capture(messages: list[tuple[str, dict]]) -> None:
        for group, message in messages:
            if "text" in message:  # a stream event: the client's JSON, written once
                message = {**json.loads(message["text"]), "type": message["type"]}
            sent.append((group, message))

    monkeypatch.setattr(events, "_send_all", capture)
    return sent
