"""The live socket: who may connect, replay from the log, then live events."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.db import transaction

from coordination.events import Event, notify_access_changed, publish
from coordination.events.streams import team_stream
from coordination.routing import websocket_urlpatterns
from teams.models import Membership

# The log's own mechanics, with made-up event types: logged, not refused (tests/conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loose_events")]

ORIGIN = (b"origin", b"http://localhost")


def app():
    return AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))


def connect(person, query: str = "", headers=(ORIGIN,)):
    communicator = WebsocketCommunicator(app(), f"/ws/live/{query}", headers=list(headers))
    communicator.scope["user"] = person
    return communicator


@database_sync_to_async
def emit(stream: str, kind: str, **data):
    with transaction.atomic():
        return publish(Event(kind, data), streams=[stream])[0].seq


async def assert_refused(socket, code: int) -> None:
    """Accepted only to be closed at once with ``code``; nothing else is sent."""
    connected, _ = await socket.connect()
    assert connected
    assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": code}
    assert await socket.receive_nothing(timeout=0.2)


async def receive_until_ready(communicator) -> list[dict]:
    messages = []
    while True:
        message = await communicator.receive_json_from(timeout=3)
        if message["type"] == "ready":
            return messages
        messages.append(message)


async def test_member_gets_missed_events_in_order_then_live_ones(personas):
    stream = personas.noord.stream
    for i in range(1, 6):
        await emit(stream, "n", i=i)
    socket = connect(personas.ana, f"?since={stream}:2")
    connected, _ = await socket.connect()
    assert connected
    replayed = await receive_until_ready(socket)
    assert [(m["seq"], m["data"]["i"]) for m in replayed] == [(3, 3), (4, 4), (5, 5)]
    await emit(stream, "n", i=6)
    live = await socket.receive_json_from(timeout=3)
    assert (live["type"], live["stream"], live["seq"], live["event"]) == ("event", stream, 6, "n")
    await socket.disconnect()


async def test_without_since_it_follows_all_its_streams_from_now(personas):
    stream = personas.noord.stream
    await emit(stream, "old")
    socket = connect(personas.ana)
    assert (await socket.connect())[0]
    assert await receive_until_ready(socket) == []
    await emit(stream, "new")
    assert (await socket.receive_json_from(timeout=3))["event"] == "new"
    await socket.disconnect()


async def test_a_lost_live_delivery_is_healed_from_the_log(personas, monkeypatch):
    from coordination import events

    stream = personas.noord.stream
    socket = connect(personas.ana, f"?since={stream}:0")
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    real_send = events._send_all
    dropped = []

    def lossy(messages):
        for group, message in messages:
            if message.get("seq") == 1:
                dropped.append(message)  # the channel layer loses this one
            else:
                real_send([(group, message)])

    monkeypatch.setattr(events, "_send_all", lossy)
    await emit(stream, "first")
    await emit(stream, "second")
    got = [await socket.receive_json_from(timeout=3) for _ in range(2)]
    assert dropped and [m["seq"] for m in got] == [1, 2]
    assert [m["event"] for m in got] == ["first", "second"]
    await socket.disconnect()


async def test_replaying_too_much_says_reset(personas, settings):
    settings.EVENT_REPLAY_LIMIT = 3
    stream = personas.noord.stream
    for _ in range(5):
        await emit(stream, "n")
    socket = connect(personas.ana, f"?since={stream}:0")
    assert (await socket.connect())[0]
    messages = await receive_until_ready(socket)
    assert messages == [{"type": "reset", "stream": stream, "head": 5}]
    await emit(stream, "after")
    assert (await socket.receive_json_from(timeout=3))["seq"] == 6
    await socket.disconnect()


async def test_anonymous_is_refused(personas):
    from django.contrib.auth.models import AnonymousUser

    await assert_refused(connect(AnonymousUser()), 4401)


@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
async def test_everyone_else_is_refused_and_hears_nothing(personas, outsiders, who):
    stream = personas.noord.stream
    await emit(stream, "secret")
    await assert_refused(connect(outsiders[who], f"?since={stream}:0"), 4403)
    if who == "outsider":
        # cas may follow his own team's stream, and hears nothing of Noord's.
        own = connect(outsiders[who])
        assert (await own.connect())[0]
        await receive_until_ready(own)
        await emit(stream, "secret again")
        assert await own.receive_nothing(timeout=0.3)
        await own.disconnect()


async def test_a_foreign_origin_is_refused(personas):
    socket = connect(personas.ana, headers=[(b"origin", b"http://evil.example")])
    connected, _ = await socket.connect()
    assert not connected


async def test_malformed_since_is_refused(personas):
    await assert_refused(connect(personas.ana, "?since=team.1:abc"), 4400)


async def test_leaving_the_team_stops_delivery_on_an_open_socket(personas):
    stream = personas.noord.stream
    socket = connect(personas.ben, f"?since={stream}:0")
    assert (await socket.connect())[0]
    await receive_until_ready(socket)

    @database_sync_to_async
    def leave():
        from django.utils import timezone

        with transaction.atomic():
            Membership.objects.filter(person=personas.ben, team=personas.noord).update(
                left=timezone.localdate()
            )
            notify_access_changed(personas.ben.pk)

    await leave()
    assert await socket.receive_json_from(timeout=3) == {"type": "revoked", "streams": [stream]}
    closed = await socket.receive_output(timeout=3)
    assert closed == {"type": "websocket.close", "code": 4403}
    await emit(stream, "after leaving")


async def test_many_events_arrive_in_order_without_loss(personas):
    stream = personas.noord.stream
    socket = connect(personas.ana, f"?since={stream}:0")
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    for i in range(40):
        await emit(stream, "n", i=i)
    got = [await socket.receive_json_from(timeout=3) for _ in range(40)]
    assert [m["seq"] for m in got] == list(range(1, 41))
    await asyncio.sleep(0)
    await socket.disconnect()


# --- opening a socket: the session, the gate, two trips to the database -------------------


@database_sync_to_async
def session_cookie(person) -> bytes:
    from django.test import Client

    client = Client()
    client.force_login(person)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def through_the_wiring(query: str = "", cookie: bytes | None = None):
    """The socket as daphne serves it: config.asgi's stack, user from the session."""
    import os
    from unittest import mock

    # The preflight (a production check of settings and services) is not under test.
    with mock.patch.dict(os.environ, {"KITH_SKIP_PREFLIGHT": "1"}):
        from config.asgi import application

    headers = [ORIGIN, (b"host", b"localhost")] + ([(b"cookie", cookie)] if cookie else [])
    return WebsocketCommunicator(application, f"/ws/live/{query}", headers=headers)


async def test_the_session_cookie_signs_the_socket_in(personas):
    stream = personas.noord.stream
    socket = through_the_wiring(cookie=await session_cookie(personas.ana))
    assert (await socket.connect())[0]
    assert await receive_until_ready(socket) == []
    await emit(stream, "after")
    assert (await socket.receive_json_from(timeout=3))["event"] == "after"
    await socket.disconnect()


async def test_no_session_or_a_stale_one_is_refused_as_signed_out(personas):
    await assert_refused(through_the_wiring(), 4401)
    await assert_refused(through_the_wiring(cookie=b"sessionid=not-a-session"), 4401)
    cookie = await session_cookie(personas.ana)

    @database_sync_to_async
    def change_password():
        personas.ana.set_password("a new one")
        personas.ana.save()

    # A password change ends every session signed in with the old one (Django's hash).
    await change_password()
    await assert_refused(through_the_wiring(cookie=cookie), 4401)


async def test_a_socket_that_waits_too_long_to_open_is_told_to_try_again(personas, settings):
    from coordination import consumers

    settings.LIVE_OPEN_SLOTS = 1
    settings.LIVE_OPEN_WAIT = 0.2
    consumers._gates.clear()
    gate = consumers._gate()
    await gate.acquire()  # another socket is opening and holds the only slot
    try:
        await assert_refused(connect(personas.ana), consumers.CLOSE_TRY_AGAIN)
    finally:
        gate.release()
    socket = connect(personas.ana)  # the slot is free again: it opens
    assert (await socket.connect())[0]
    assert await receive_until_ready(socket) == []
    await socket.disconnect()
    consumers._gates.clear()


async def test_many_sockets_opening_at_once_all_open(personas, settings):
    from coordination import consumers

    settings.LIVE_OPEN_SLOTS = 2
    consumers._gates.clear()
    sockets = [connect(personas.ana) for _ in range(8)]
    results = await asyncio.gather(*(s.connect() for s in sockets))
    assert all(connected for connected, _ in results)
    for socket in sockets:
        assert await receive_until_ready(socket) == []
        await socket.disconnect()
    consumers._gates.clear()


@pytest.mark.parametrize("streams", [1, 3, 6])
def test_heads_and_everything_missed_take_two_queries_for_any_number_of_streams(
    streams, django_assert_num_queries
):
    from coordination.consumers import heads_and_missed

    names = [team_stream(900 + i) for i in range(streams)]
    with transaction.atomic():
        for name in names:
            for i in range(4):
                publish(Event("n", {"i": i}), streams=[name])
    since = dict.fromkeys(names, 1)
    with django_assert_num_queries(2):
        heads, missed = heads_and_missed(names, since, limit=10)
    assert heads == dict.fromkeys(names, 4)
    assert {name: [m["seq"] for m in missed[name]] for name in names} == {
        name: [2, 3, 4] for name in names
    }
    # Too far behind to replay: no rows read for it (the consumer sends "reset").
    heads, missed = heads_and_missed(names, since, limit=2)
    assert missed == {}


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["ana", "cas", "coach", "inspector", "mrs_jansen", "daughter"])
def test_what_a_socket_may_read_is_one_query_and_matches_each_apps_rules(
    personas, who, django_assert_num_queries
):
    from care import access as care_access
    from care.services import clients as client_services
    from coordination import access
    from coordination.events import NETWORK_STREAM
    from coordination.practice import access as practice_access
    from teams import access as team_access
    from tests.factories import ClientFactory

    # The client and her daughter (one scope granted).
    client = ClientFactory(
        team=personas.noord, first_name="Wilma", last_name="Jansen", account=personas.mrs_jansen
    )
    entry = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        account=personas.daughter,
    )
    client_services.grant_scope(
        actor=personas.mrs_jansen, client=client, member=entry, scope="visits"
    )
    # (An invited coach's "shared" streams: tests/teams/test_decisions_live.py.)
    person = getattr(personas, who)
    with django_assert_num_queries(1):
        streams = access.readable_streams(person)
    teams = team_access.team_streams(person)
    expected = set(teams) | set(team_access.shared_streams(person))
    expected |= set(care_access.client_streams(person)) | {access.person_stream(person.pk)}
    if teams:
        expected.add(access.HELP_STREAM)
    if teams or practice_access.is_coach(person):
        expected.add(NETWORK_STREAM)
    assert streams == sorted(expected)
    # Beyond their own stream: members, clients and family follow their teams' or
    # clients' streams (a coach with no team inviting them, an inspector: nothing live).
    assert len(streams) > 1 or who in {"inspector", "coach"}
