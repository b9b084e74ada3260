"""Access that ends, ends on open sockets too: every way it can end, at that moment.

The endings by the clock (a grant's expiry, the last day of a coach's term or of a
membership) are caught by the socket's own timer; the endings by an act (a revoke, a
decision, a logout, a password change, a deactivation) ring the person's group. In
both cases the socket asks again who is signed in and what they may read, revokes
what they may no longer read and closes when nothing is left; nothing is delivered
past the end, not even an event that arrives before the timer runs.
"""

from __future__ import annotations

import asyncio
import datetime

import pytest
import time_machine
from channels.db import database_sync_to_async
from django.test import Client as HttpClient
from django.utils import timezone

from care.services import clients as client_services
from coordination import consumers
from coordination.events import notify_access_changed
from coordination.events.streams import client_stream
from teams.models import CoachTerm, Membership
from tests.care.jansen import jansen_with_family
from tests.coordination.test_live_consumer import (
    assert_refused,
    connect,
    emit,
    receive_until_ready,
    session_cookie,
    through_the_wiring,
)

# Socket mechanics, with events of made-up payloads: logged, not refused (tests/conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loose_events")]


async def closed_with(socket, code: int) -> None:
    """The socket's next output is its close with ``code``."""
    output = await socket.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": code}


async def revoked_then_closed(socket, streams: list[str], code: int) -> None:
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "revoked"
    assert set(streams) <= set(message["streams"])
    await closed_with(socket, code)


@database_sync_to_async
def family_with_budget_grant(personas, *, expires_in: float):
    client, petra = jansen_with_family(personas, grants=("visits",))
    client_services.grant_scope(
        actor=personas.mrs_jansen,
        client=client,
        member=petra,
        scope="budget",
        expires_at=timezone.now() + datetime.timedelta(seconds=expires_in),
    )
    return client


# --- by the clock ----------------------------------------------------------------------


async def test_an_expired_grant_stops_its_scope_on_an_open_socket(personas):
    client = await family_with_budget_grant(personas, expires_in=2)
    budget, visits = client_stream(client.pk, "budget"), client_stream(client.pk, "visits")
    socket = connect(personas.daughter)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await emit(budget, "budget.entry_added", amount="-12.50")
    assert (await socket.receive_json_from(timeout=3))["stream"] == budget

    # The grant expires: the socket says so by itself, without anyone ringing it.
    message = await socket.receive_json_from(timeout=5)
    assert message == {"type": "revoked", "streams": [budget]}
    await emit(budget, "budget.entry_added", amount="-40.00")
    assert await socket.receive_nothing(timeout=0.5)
    # The scopes she still holds keep flowing.
    await emit(visits, "visit.planned")
    assert (await socket.receive_json_from(timeout=3))["stream"] == visits
    await socket.disconnect()


async def test_an_event_arriving_after_expiry_before_the_timer_is_not_delivered(
    personas, monkeypatch
):
    client = await family_with_budget_grant(personas, expires_in=1)
    budget = client_stream(client.pk, "budget")
    # The timer is late (a busy process): the deadline alone must hold the line.
    monkeypatch.setattr(consumers.LiveConsumer, "schedule", _schedule_without_timer)
    socket = connect(personas.daughter)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await asyncio.sleep(1.2)
    await emit(budget, "budget.entry_added", amount="-40.00")
    message = await socket.receive_json_from(timeout=3)
    assert message == {"type": "revoked", "streams": [budget]}
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


def _schedule_without_timer(self, until) -> None:
    self.stop_timer()
    self.deadline = until.timestamp() if until is not None else None


async def test_a_replay_never_reaches_a_stream_whose_grant_expired(personas):
    client = await family_with_budget_grant(personas, expires_in=1)
    budget = client_stream(client.pk, "budget")
    await emit(budget, "budget.entry_added", amount="-12.50")
    await asyncio.sleep(1.1)
    socket = connect(personas.daughter, f"?since={budget}:0")
    assert (await socket.connect())[0]
    await closed_with(socket, consumers.CLOSE_FORBIDDEN)


@database_sync_to_async
def invite_coach(personas, *, ends: datetime.date) -> None:
    from teams.services import proposals as proposal_services

    decision = proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind="general", title="Coach", purpose="Advice."
    )
    CoachTerm.objects.create(
        team=personas.noord,
        coach=personas.coach,
        starts=ends - datetime.timedelta(days=30),
        ends=ends,
        invited_by=decision,
    )


def _last_seconds_of(day: datetime.date) -> datetime.datetime:
    """Two seconds before ``day`` ends, in the deployment's time zone."""
    end = timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 58)))
    return end


async def test_a_coach_whose_term_ends_stops_hearing_what_the_team_shares(personas):
    day = datetime.date(2027, 3, 31)
    await invite_coach(personas, ends=day)
    shared = personas.noord.shared_stream
    with time_machine.travel(_last_seconds_of(day), tick=True):
        socket = connect(personas.coach, f"?since={shared}:0")
        assert (await socket.connect())[0]
        await receive_until_ready(socket)
        await emit(shared, "proposal.raised")
        assert (await socket.receive_json_from(timeout=3))["stream"] == shared
        # Midnight: the term is over and it was the socket's only stream.
        await revoked_then_closed(socket, [shared], consumers.CLOSE_FORBIDDEN)
        await emit(shared, "proposal.raised")


@database_sync_to_async
def agree_last_day(personas, day: datetime.date) -> None:
    Membership.objects.current().filter(person=personas.ben).update(until=day)


async def test_a_membership_ends_on_its_agreed_last_day_on_an_open_socket(personas):
    day = datetime.date(2027, 1, 31)
    await agree_last_day(personas, day)
    team = personas.noord.stream
    with time_machine.travel(_last_seconds_of(day), tick=True):
        socket = connect(personas.ben)
        assert (await socket.connect())[0]
        await receive_until_ready(socket)
        await emit(team, "visit.claimed")
        assert (await socket.receive_json_from(timeout=3))["stream"] == team
        message = await socket.receive_json_from(timeout=5)
        assert message["type"] == "revoked"
        assert team in message["streams"]
        await emit(team, "visit.claimed")
        # Nothing more of the team; his own stream stays (his notifications).
        assert await socket.receive_nothing(timeout=0.5)
        await socket.disconnect()


# --- by an act, rung on the person's group ----------------------------------------------


async def test_removal_from_the_network_ends_every_scope_on_an_open_socket(personas):
    client, petra = await database_sync_to_async(jansen_with_family)(
        personas, grants=("visits", "diary")
    )
    streams = [client_stream(client.pk, "visits"), client_stream(client.pk, "diary")]
    socket = connect(personas.daughter)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await emit(streams[0], "visit.planned")
    assert (await socket.receive_json_from(timeout=3))["stream"] == streams[0]

    from care.services import invitations

    await database_sync_to_async(invitations.network_remove)(
        actor=personas.mrs_jansen, member=petra
    )
    # Both streams of the record go at once; her own stream (her notifications) stays.
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "revoked" and set(streams) <= set(message["streams"])
    await emit(streams[0], "visit.planned")
    await emit(streams[1], "diary.added")
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_logout_closes_the_sockets_of_that_session(personas):
    cookie = await session_cookie(personas.ana)
    socket = through_the_wiring(cookie=cookie)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)

    @database_sync_to_async
    def log_out() -> None:
        browser = HttpClient()
        name, value = cookie.decode().split("=", 1)
        browser.cookies[name] = value
        assert browser.post("/logout/").status_code == 302

    await log_out()
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)


async def test_a_password_change_closes_sockets_signed_in_with_the_old_one(personas):
    socket = through_the_wiring(cookie=await session_cookie(personas.ana))
    assert (await socket.connect())[0]
    await receive_until_ready(socket)

    @database_sync_to_async
    def change_password() -> None:
        personas.ana.set_password("another long passphrase")
        personas.ana.save()

    await change_password()
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)


async def test_deactivation_closes_every_socket_of_the_person(personas):
    by_session = through_the_wiring(cookie=await session_cookie(personas.ana))
    named = connect(personas.ana)
    for socket in (by_session, named):
        assert (await socket.connect())[0]
        await receive_until_ready(socket)

    @database_sync_to_async
    def deactivate() -> None:
        personas.ana.is_active = False
        personas.ana.save()

    await deactivate()
    for socket in (by_session, named):
        await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)


async def test_a_session_past_its_idle_deadline_closes_its_socket(personas, settings):
    from teams import sessions

    settings.SESSION_IDLE_HOURS = 1
    cookie = await session_cookie(personas.ana)

    @database_sync_to_async
    def last_used(ago: datetime.timedelta) -> None:
        from django.contrib.sessions.models import Session

        key = cookie.decode().split("=", 1)[1]
        store = consumers._session(key)
        store[sessions.LAST_SEEN] = (timezone.now() - ago).timestamp()
        store.save()
        assert Session.objects.filter(session_key=key).exists()

    # Last used 59 min 58 s ago: the socket opens, and closes by itself when the
    # hour of idleness is up, with nobody ringing it.
    await last_used(datetime.timedelta(minutes=59, seconds=58))
    socket = through_the_wiring(cookie=cookie)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)
    # And a socket opening on it now is refused as signed out.
    await assert_refused(through_the_wiring(cookie=cookie), consumers.CLOSE_UNAUTHENTICATED)


@database_sync_to_async
def api_token(person, **kwargs) -> tuple:
    from teams.services import credentials

    return credentials.token_create(actor=person, name="Rota screen", **kwargs)


def with_token(raw: str, query: str = "", origin: bool = False):
    import os
    from unittest import mock

    from channels.testing import WebsocketCommunicator

    with mock.patch.dict(os.environ, {"KITH_SKIP_PREFLIGHT": "1"}):
        from config.asgi import application

    headers = [(b"host", b"localhost"), (b"authorization", f"Token {raw}".encode())]
    if origin:
        headers.append((b"origin", b"http://localhost"))
    return WebsocketCommunicator(application, f"/ws/live/{query}", headers=headers)


async def test_an_api_token_opens_a_socket_and_its_revocation_closes_it(personas):
    token, raw = await api_token(personas.ana)
    socket = with_token(raw)  # a program, not a browser: no Origin
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await emit(personas.noord.stream, "visit.claimed")
    assert (await socket.receive_json_from(timeout=3))["event"] == "visit.claimed"

    @database_sync_to_async
    def revoke() -> None:
        from teams.services import credentials

        credentials.token_revoke(actor=personas.ana, token=token)

    await revoke()
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)
    await assert_refused(with_token(raw), consumers.CLOSE_UNAUTHENTICATED)


async def test_a_socket_closes_when_its_token_expires(personas):
    token, raw = await api_token(personas.ana)

    @database_sync_to_async
    def expire_soon() -> None:
        from teams.models import ApiToken

        ApiToken.objects.filter(pk=token.pk).update(
            expires=timezone.now() + datetime.timedelta(seconds=2)
        )

    await expire_soon()
    socket = with_token(raw, origin=True)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)


@pytest.mark.parametrize("header", [b"Token not-a-token", b"Basic YW5hOmthdA==", b"Token "])
async def test_a_bad_authorization_header_is_refused_and_never_falls_back(personas, header):
    import os
    from unittest import mock

    from channels.testing import WebsocketCommunicator

    with mock.patch.dict(os.environ, {"KITH_SKIP_PREFLIGHT": "1"}):
        from config.asgi import application

    cookie = await session_cookie(personas.ana)
    socket = WebsocketCommunicator(
        application,
        "/ws/live/",
        headers=[
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", cookie),
            (b"authorization", header),
        ],
    )
    await assert_refused(socket, consumers.CLOSE_UNAUTHENTICATED)


async def test_a_session_deleted_elsewhere_closes_its_socket_when_rung(personas):
    """Whatever ends a session (an operator clearing sessions, "sign out everywhere"),
    the socket holds nothing it trusts: rung, it finds its session gone."""
    cookie = await session_cookie(personas.ana)
    socket = through_the_wiring(cookie=cookie)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)

    @database_sync_to_async
    def end_sessions() -> None:
        from django.contrib.sessions.models import Session

        Session.objects.all().delete()
        notify_access_changed(personas.ana.pk)

    await end_sessions()
    await revoked_then_closed(socket, [personas.noord.stream], consumers.CLOSE_UNAUTHENTICATED)


async def test_the_socket_checks_again_even_when_nobody_rings(personas, settings):
    """The safety net: an ending nobody rang (a row changed by hand) is caught by the
    periodic check."""
    settings.LIVE_RECHECK_EVERY = 1
    socket = connect(personas.ben)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)

    @database_sync_to_async
    def end_quietly() -> None:
        Membership.objects.filter(person=personas.ben).update(left=timezone.localdate())

    await end_quietly()
    message = await socket.receive_json_from(timeout=5)
    assert message["type"] == "revoked"
    assert personas.noord.stream in message["streams"]
    await socket.disconnect()


# --- what the client sends ----------------------------------------------------------------


@pytest.mark.parametrize(
    "frame",
    [{"bytes_data": b"\x00\xff\x10"}, {"text_data": "not json {"}, {"text_data": '{"a": 1}'}],
    ids=["binary", "not-json", "json"],
)
async def test_a_frame_from_the_client_is_answered_not_fatal(personas, frame):
    socket = connect(personas.ana)
    assert (await socket.connect())[0]
    await receive_until_ready(socket)
    if "bytes_data" in frame:
        await socket.send_to(bytes_data=frame["bytes_data"])
    else:
        await socket.send_to(text_data=frame["text_data"])
    answer = await socket.receive_json_from(timeout=3)
    assert answer["type"] == "error"
    assert "takes no messages" in answer["message"]
    # Still open and live.
    await emit(personas.noord.stream, "after")
    assert (await socket.receive_json_from(timeout=3))["event"] == "after"
    await socket.disconnect()


# --- degrade, never fall over ----------------------------------------------------------------


async def test_with_the_channel_layer_down_a_socket_is_told_to_try_again(personas, redis_down):
    socket = connect(personas.ana)
    connected, _ = await socket.connect(timeout=5)
    assert connected
    await closed_with(socket, consumers.CLOSE_TRY_AGAIN)


# --- the Origin: scheme, host and port ---------------------------------------------------------


def _handshake(origin: bytes | None, host: bytes = b"localhost", extra=()):
    import os
    from unittest import mock

    from channels.testing import WebsocketCommunicator

    with mock.patch.dict(os.environ, {"KITH_SKIP_PREFLIGHT": "1"}):
        from config.asgi import application

    headers = [(b"host", host), *extra]
    if origin is not None:
        headers.append((b"origin", origin))
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


@pytest.mark.parametrize(
    "origin",
    [
        b"http://localhost:8081",  # another port of an allowed host
        b"https://localhost",  # another scheme
        b"http://evil.example",  # another host
        b"http://localhost.evil.example",
        b"null",
    ],
)
async def test_a_handshake_from_another_origin_is_refused(personas, origin):
    socket = _handshake(origin, host=b"localhost")
    connected, _ = await socket.connect(timeout=3)
    assert not connected


async def test_a_handshake_without_an_origin_is_refused(personas):
    connected, _ = await _handshake(None).connect(timeout=3)
    assert not connected


@pytest.mark.parametrize(
    ("origin", "host", "extra"),
    [
        (b"http://localhost", b"localhost", ()),
        (b"http://localhost:8000", b"localhost:8000", ()),
        # Behind the proxy, which ends TLS and says so (KITH_HTTPS trusts the header).
        (b"https://localhost", b"localhost", ((b"x-forwarded-proto", b"https"),)),
    ],
)
async def test_kiths_own_origin_reaches_the_socket(personas, settings, origin, host, extra):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    socket = _handshake(origin, host=host, extra=extra)
    connected, _ = await socket.connect(timeout=3)
    assert connected  # accepted, and (with no session) closed as signed out
    await closed_with(socket, consumers.CLOSE_UNAUTHENTICATED)


async def test_a_trusted_origin_reaches_the_socket(personas, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://kith.example.org"]
    socket = _handshake(b"https://kith.example.org", host=b"localhost")
    assert (await socket.connect(timeout=3))[0]
    await closed_with(socket, consumers.CLOSE_UNAUTHENTICATED)


async def test_a_forwarded_https_is_ignored_unless_the_proxy_is_trusted(personas, settings):
    settings.SECURE_PROXY_SSL_HEADER = None
    socket = _handshake(b"https://localhost", extra=((b"x-forwarded-proto", b"https"),))
    assert not (await socket.connect(timeout=3))[0]


# --- what an operator sees ---------------------------------------------------------------------


async def test_sockets_count_themselves_open_delivered_and_replayed(personas):
    from coordination.events import metrics

    def value(metric, suffix="") -> float:
        for family in metric.collect():
            for sample in family.samples:
                if sample.name == family.name + suffix:
                    return sample.value
        raise AssertionError(f"no sample {suffix} in {metric}")

    stream = personas.noord.stream
    await emit(stream, "before")
    await emit(stream, "before")
    open_before = value(metrics.SOCKETS_OPEN)
    delivered_before = value(metrics.DELIVERED, "_total")
    replays_before = value(metrics.REPLAYED, "_count")
    replayed_sum_before = value(metrics.REPLAYED, "_sum")
    socket = connect(personas.ana, f"?since={stream}:0")
    assert (await socket.connect())[0]
    assert len(await receive_until_ready(socket)) == 2
    assert value(metrics.SOCKETS_OPEN) == open_before + 1
    assert value(metrics.REPLAYED, "_count") == replays_before + 1
    assert value(metrics.REPLAYED, "_sum") == replayed_sum_before + 2
    await emit(stream, "live")
    await socket.receive_json_from(timeout=3)
    assert value(metrics.DELIVERED, "_total") == delivered_before + 3
    await socket.disconnect()
    assert value(metrics.SOCKETS_OPEN) == open_before
