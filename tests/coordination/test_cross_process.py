"""Two real daphne processes on PostgreSQL and Redis: a write on one reaches sockets on both.

This is the production shape of DESIGN.md section 4 in miniature: the servers share
the test database and the Redis pub/sub channel layer, a real websocket client
(``websockets``) connects with a session cookie, and a real HTTP client writes with a
DRF token. Every wait is bounded; the servers are stopped in the fixture's teardown.
"""

from __future__ import annotations

import json
import time

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from coordination.events.streams import person_stream
from teams.models import Team
from teams.services import details as detail_services
from tests.factories import api_token
from tests.servers import Daphne, Servers, database_url, http, server_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

WAIT = 5  # seconds for any one message


@pytest.fixture
def servers(postgres, redis_url, tmp_path):
    # The servers must use the test database (test_<name>), not the one DATABASE_URL
    # names; they share the test run's Redis so their channel layers meet.
    env = server_env(
        database_url=database_url(connection.settings_dict),
        redis_url=redis_url,
        secret_key=settings.SECRET_KEY,  # session cookies written here are checked there
    )
    started = Servers(env, tmp_path)
    try:
        yield started
    finally:
        try:
            started.stop_all()
        finally:
            # Shown by pytest only when the test fails.
            print(started.logs())


def session_for(person) -> str:
    """A session cookie for ``person``, written to the shared test database."""
    client = Client()
    client.force_login(person)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def open_socket(server: Daphne, query: str, session: str | None) -> ClientConnection:
    headers = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session}"} if session else {}
    return connect(
        f"{server.ws_url}/ws/live/{query}",
        origin=server.url,  # the router is wrapped in AllowedHostsOriginValidator
        additional_headers=headers,
        proxy=None,
        open_timeout=WAIT,
        close_timeout=2,
    )


def receive(socket: ClientConnection, timeout: float = WAIT) -> dict:
    return json.loads(socket.recv(timeout=timeout))


def until_ready(socket: ClientConnection) -> tuple[list[dict], dict]:
    """The replayed messages before {"type": "ready"}, and the ready message."""
    messages = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        message = receive(socket, timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "ready":
            return messages, message
        messages.append(message)
    raise AssertionError(f"no ready message within {WAIT} s; got {messages}")


def assert_silent(socket: ClientConnection, seconds: float = 0.5) -> None:
    with pytest.raises(TimeoutError):
        message = socket.recv(timeout=seconds)
        pytest.fail(f"expected nothing more, got {message}")


def patch_team(server: Daphne, team: Team, token: str, version: int, **changes):
    return http(
        "PATCH",
        f"{server.url}/api/v1/teams/{team.pk}",
        headers={"Authorization": f"Token {token}", "If-Match": f'"{version}"'},
        body=changes,
    )


def refusal(server: Daphne, query: str, session: str | None) -> int:
    """How the server refused the socket: an HTTP status, or a close code after accept."""
    try:
        with open_socket(server, query, session) as socket:
            message = socket.recv(timeout=WAIT)
    except InvalidStatus as exc:
        return exc.response.status_code
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else 1006
    raise AssertionError(f"the socket was accepted and received {message!r}")


def test_a_write_through_one_server_reaches_sockets_on_both(servers, personas):
    a, b = servers.start("a", "b")
    team, ana = personas.noord, personas.ana
    stream = team.stream
    token = api_token(ana)
    session = session_for(ana)

    with (
        open_socket(b, f"?since={stream}:0", session) as on_b,
        open_socket(a, f"?since={stream}:0", session) as on_a,
    ):
        for socket in (on_b, on_a):
            replayed, ready = until_ready(socket)
            assert replayed == []
            assert ready["heads"] == {stream: 0}

        response = patch_team(a, team, token, version=1, phone="0570 000 000")
        assert response.status == 200, response.body
        assert response.json()["phone"] == "0570 000 000"
        assert response.headers["ETag"] == '"2"'

        for socket in (on_b, on_a):
            message = receive(socket)
            assert {k: message[k] for k in ("type", "stream", "seq", "event", "actor")} == {
                "type": "event",
                "stream": stream,
                "seq": 1,
                "event": "team.details_changed",
                "actor": ana.pk,
            }
            assert message["data"] == {
                "team": team.pk,
                "version": 2,
                "changed": {"phone": "0570 000 000"},
            }
            assert_silent(socket, 0.3)


def test_an_outsider_is_refused_and_hears_nothing(servers, personas):
    a, b = servers.start("a", "b")
    stream = personas.noord.stream
    outsider = session_for(personas.cas)

    # Naming a stream of another team refuses the whole socket.
    assert refusal(b, f"?since={stream}:0", outsider) in {403, 4403}
    # So does coming without a session at all.
    assert refusal(b, f"?since={stream}:0", None) in {403, 4401}

    # Following only what cas may read, a write to Noord through the other server
    # never reaches cas's socket.
    with open_socket(b, "", outsider) as socket:
        _, ready = until_ready(socket)
        # Zuid's stream and cas's own notifications stream; nothing of Noord.
        assert ready["heads"][personas.zuid.stream] == 0
        assert ready["heads"][person_stream(personas.cas.pk)] == 0
        assert not {personas.noord.stream, personas.noord.shared_stream} & set(ready["heads"])
        token = api_token(personas.ana)
        response = patch_team(a, personas.noord, token, version=1, phone="0570 000 000")
        assert response.status == 200, response.body
        assert_silent(socket, 1.0)

    # And cas cannot make the write either: Noord is not among cas's teams.
    cas_token = api_token(personas.cas)
    response = patch_team(a, personas.noord, cas_token, version=2, phone="0000")
    assert response.status == 404, response.body
    assert Team.objects.get(pk=personas.noord.pk).phone == "0570 000 000"


def test_a_socket_that_was_away_gets_exactly_what_it_missed(servers, personas):
    a, b = servers.start("a", "b")
    team, ana = personas.noord, personas.ana
    stream = team.stream
    token = api_token(ana)
    session = session_for(ana)

    with open_socket(b, f"?since={stream}:0", session) as socket:
        until_ready(socket)
        assert patch_team(a, team, token, version=1, phone="0570 000 000").status == 200
        first = receive(socket)
        assert (first["stream"], first["seq"]) == (stream, 1)
    last_seen = first["seq"]

    # The server that made the write goes away; the log holds on.
    a.stop()
    assert a.process.returncode is not None
    with pytest.raises(OSError):
        http("GET", f"{a.url}/login/", timeout=2)

    # More happens while the socket is away (written here, through the same service).
    team = Team.objects.get(pk=team.pk)
    team = detail_services.team_update_details(
        actor=ana, team=team, version=2, phone="0570 111 111"
    )
    team = detail_services.team_update_details(
        actor=ana, team=team, version=3, email="noord@kith.test"
    )

    with open_socket(b, f"?since={stream}:{last_seen}", session) as socket:
        replayed, ready = until_ready(socket)
        assert [(m["type"], m["seq"], m["event"], m["data"]["changed"]) for m in replayed] == [
            ("event", 2, "team.details_changed", {"phone": "0570 111 111"}),
            ("event", 3, "team.details_changed", {"email": "noord@kith.test"}),
        ]
        assert ready["heads"] == {stream: 3}
        assert_silent(socket)

        # Live again: a write from this process reaches server B through Redis.
        detail_services.team_update_details(actor=ana, team=team, version=4, postcodes="7413, 7414")
        live = receive(socket)
        assert (live["type"], live["seq"], live["data"]["changed"]) == (
            "event",
            4,
            {"postcodes": "7413, 7414"},
        )
        assert_silent(socket, 0.3)


def closed_after_revoked(socket: ClientConnection, stream: str) -> int:
    """The socket says every stream is revoked, then closes: the close code."""
    message = receive(socket)
    assert message["type"] == "revoked" and stream in message["streams"], message
    with pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=WAIT)
    return closed.value.rcvd.code


def test_endings_through_one_server_close_sockets_on_the_other(servers, personas):
    """A logout, a password change and a revoked token, each done through server a,
    close the person's sockets on server b within a few seconds."""
    a, b = servers.start("a", "b")
    stream = personas.noord.stream
    ana = personas.ana

    # A logout on a (the page's own form) ends the sockets of that session on b.
    browser = Client()
    browser.force_login(ana)
    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    with open_socket(b, "", session) as socket:
        until_ready(socket)
        csrf = http("GET", f"{a.url}/login/")
        cookies = {settings.SESSION_COOKIE_NAME: session}
        token_cookie = csrf.headers.get("Set-Cookie", "").split(";")[0]
        cookie_header = "; ".join([f"{k}={v}" for k, v in cookies.items()] + [token_cookie])
        csrf_value = token_cookie.split("=", 1)[1]
        response = http(
            "POST",
            f"{a.url}/logout/",
            headers={
                "Cookie": cookie_header,
                "X-CSRFToken": csrf_value,
                "Origin": a.url,
                "Referer": f"{a.url}/",
            },
        )
        assert response.status in {200, 302}, response.body
        assert closed_after_revoked(socket, stream) == 4401

    # A password change (any door: here the model's own) ends every session's sockets.
    with open_socket(b, "", session_for(ana)) as socket:
        until_ready(socket)
        ana.set_password("a long new passphrase for Ana")
        ana.save()
        assert closed_after_revoked(socket, stream) == 4401

    # A token revoked through a's API closes the socket that program opened on b.
    raw = api_token(ana)
    with connect(
        f"{b.ws_url}/ws/live/",
        additional_headers={"Authorization": f"Token {raw}"},
        proxy=None,
        open_timeout=WAIT,
        close_timeout=2,
    ) as socket:
        until_ready(socket)
        response = http(
            "DELETE", f"{a.url}/api/v1/auth/token", headers={"Authorization": f"Token {raw}"}
        )
        assert response.status == 204, response.body
        assert closed_after_revoked(socket, stream) == 4401
