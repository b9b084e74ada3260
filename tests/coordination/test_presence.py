"""Presence: who in a team is online, told to teammates at once, on one process or many."""

from __future__ import annotations

import asyncio
import datetime
import time

import pytest
from django.test import Client as Browser

from coordination import presence
from tests.coordination.test_live_consumer import connect, receive_until_ready
from tests.factories import ClientFactory, VisitFactory


async def join(person):
    """Connect a team member; they hear their own arrival like everyone in the team."""
    socket = connect(person, "?presence=1")
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    own = await socket.receive_json_from(timeout=3)
    assert (own["type"], own["person"], own["online"]) == ("presence", person.pk, True)
    return socket


@pytest.fixture(autouse=True)
def fresh_store(settings):
    presence.reset_store()
    presence.store().clear()
    yield
    presence.store().clear()
    presence.reset_store()


# --- the two stores behave the same -------------------------------------------------------------


async def exercise(store) -> None:
    assert await store.arrive(1, "a") is True  # first socket: now online
    assert await store.arrive(1, "b") is False  # a second tab changes nothing
    assert store.online([1, 2]) == {1}
    assert await store.leave(1, "a") is False  # one tab left: still online
    assert store.online([1]) == {1}
    assert await store.leave(1, "b") is True  # last socket closed: offline
    assert store.online([1]) == set()
    assert await store.leave(1, "b") is True  # leaving twice is harmless


async def test_local_store():
    await exercise(presence.LocalPresence())


@pytest.mark.django_db
async def test_redis_store_is_shared_between_processes(redis_url):
    one = presence.RedisPresence(redis_url, "kith-test:presence")
    other = presence.RedisPresence(redis_url, "kith-test:presence")
    try:
        await exercise(one)
        assert await one.arrive(7, "p1.sock") is True
        # Another process (its own client) sees the person online and adds a socket.
        assert other.online([7]) == {7}
        assert await other.arrive(7, "p2.sock") is False
        assert await one.leave(7, "p1.sock") is False
        assert await other.leave(7, "p2.sock") is True
    finally:
        one.clear()


async def test_an_entry_without_heartbeat_expires(monkeypatch):
    store = presence.LocalPresence()
    await store.arrive(3, "dead-process")
    later = time.time() + presence.TTL + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert store.online([3]) == set()
    # A socket arriving after the dead one expired is the first again.
    assert await store.arrive(3, "new") is True


@pytest.mark.django_db
async def test_redis_entry_without_heartbeat_expires(redis_url, monkeypatch):
    store = presence.RedisPresence(redis_url, "kith-test:presence")
    try:
        await store.arrive(3, "dead-process")
        later = time.time() + presence.TTL + 1
        monkeypatch.setattr(presence.time, "time", lambda: later)
        assert store.online([3]) == set()
        assert await store.arrive(3, "new") is True
    finally:
        store.clear()


# --- the socket -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_teammates_are_told_when_someone_comes_online_and_leaves(personas):
    stream = personas.noord.stream
    ben = await join(personas.ben)
    ana = await join(personas.ana)
    came = await ben.receive_json_from(timeout=3)
    assert came == {"type": "presence", "stream": stream, "person": personas.ana.pk, "online": True}
    assert presence.online([personas.ana.pk, personas.ben.pk]) == {
        personas.ana.pk,
        personas.ben.pk,
    }
    # A second tab of Ana's announces nothing; closing one of two keeps her online.
    second = connect(personas.ana, "?presence=1")
    assert (await second.connect())[0]
    await receive_until_ready(second)
    await second.disconnect()
    assert await ben.receive_nothing(timeout=0.3)
    assert presence.online([personas.ana.pk]) == {personas.ana.pk}
    await ana.disconnect()
    left = await ben.receive_json_from(timeout=3)
    assert left == {
        "type": "presence",
        "stream": stream,
        "person": personas.ana.pk,
        "online": False,
    }
    assert presence.online([personas.ana.pk]) == set()
    await ben.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_other_teams_clients_and_coaches_hear_nothing_and_are_not_online(personas, outsiders):
    listeners = []
    for person in outsiders.values():
        socket = connect(person, "?presence=1")
        connected, _ = await socket.connect()
        assert connected
        first = await socket.receive_output(timeout=3)
        if first.get("type") == "websocket.close":
            continue  # nothing to follow at all: refused, hears nothing anyway
        if person == personas.cas:
            await socket.receive_json_from(timeout=3)  # Cas's own arrival in Zuid
        listeners.append(socket)
    ana = await join(personas.ana)
    for socket in listeners:
        assert await socket.receive_nothing(timeout=0.3)
    # Only team members can be online to a team.
    assert presence.online(p.pk for p in outsiders.values() if p != personas.cas) == set()
    for socket in [*listeners, ana]:
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_that_does_not_ask_hears_no_presence_but_counts_as_online(personas):
    ben = connect(personas.ben)
    assert (await ben.connect())[0]
    await receive_until_ready(ben)
    ana = await join(personas.ana)
    assert await ben.receive_nothing(timeout=0.3)
    assert presence.online([personas.ben.pk]) == {personas.ben.pk}
    for socket in (ana, ben):
        await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_heartbeat_refreshes_the_entry(personas, monkeypatch):
    monkeypatch.setattr(presence, "HEARTBEAT", 0.05)
    refreshed = asyncio.Event()
    store = presence.store()
    real = store.refresh

    async def spy(person_id, channel):
        await real(person_id, channel)
        refreshed.set()

    monkeypatch.setattr(store, "refresh", spy)
    ana = connect(personas.ana)
    assert (await ana.connect())[0]
    await receive_until_ready(ana)
    await asyncio.wait_for(refreshed.wait(), timeout=3)
    await ana.disconnect()
    assert presence.online([personas.ana.pk]) == set()


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_team_page_shows_who_is_online_and_who_is_on_a_visit(personas, monkeypatch):
    from care.models import Visit

    client = ClientFactory(team=personas.noord, first_name="Wilma", last_name="Jansen")
    start = datetime.datetime(2026, 12, 1, 9, 5, tzinfo=datetime.UTC)
    VisitFactory(
        client=client, window_start=start, assignee=personas.ben, status=Visit.Status.IN_PROGRESS
    )
    monkeypatch.setattr(presence, "online", lambda ids: {personas.ana.pk} & set(ids))
    browser = Browser()
    browser.force_login(personas.ana)
    for url in ["/teams/noord/", "/teams/noord/sections/around/"]:
        html = browser.get(url).content.decode()
        assert "1 online" in html
        assert f'data-person-id="{personas.ana.pk}" data-online="yes"' in html
        assert f'data-person-id="{personas.ben.pk}" data-online="no"' in html
        assert "on a visit to Wilma" in html
    browser.force_login(personas.cas)
    assert browser.get("/teams/noord/sections/around/").status_code == 404
