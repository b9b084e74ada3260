"""Password checks on real daphne processes: hashes take turns while other requests are
answered, the lockout holds whatever address a client claims, and every process of a
deployment shares the count (Redis).

The servers use this test's database (``transactional_db``) and start with
``tests.gate_settings``, whose first hasher waits at a gate the test opens
(tests/gate.py), so a password check can be held in flight and watched.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import connection

from teams.models import Person
from tests.factories import PersonFactory
from tests.servers import Servers, database_url, http, server_env

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 15  # seconds, for anything that should happen


def eventually(check, within: float = WAIT) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return check()


@pytest.fixture
def gated(settings):
    """Makes a person whose password is checked by the gate hasher."""
    settings.PASSWORD_HASHERS = [
        "tests.gate.GateHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]

    def make(username: str, password: str = "right"):
        person = PersonFactory(username=username)
        Person.objects.filter(pk=person.pk).update(password=make_password(password, hasher="gate"))
        return person

    return make


@pytest.fixture
def gate(tmp_path):
    folder = tmp_path / "gate"
    folder.mkdir()
    return folder


def start(tmp_path, gate, *, names=("web",), redis_url: str = "", **extra) -> tuple[list, Servers]:
    env = server_env(
        database_url=database_url(connection.settings_dict),
        redis_url=redis_url,
        secret_key=settings.SECRET_KEY,
    )
    env.update(DJANGO_SETTINGS_MODULE="tests.gate_settings", KITH_TEST_GATE=str(gate), **extra)
    started = Servers(env, tmp_path)
    return started.start(*names), started


@pytest.fixture
def stop():
    running: list[Servers] = []
    yield running.append
    for servers in running:
        try:
            servers.stop_all()
        finally:
            print(servers.logs())  # shown by pytest when the test fails


def sign_in(url: str, username: str, password: str, **headers):
    return http(
        "POST",
        f"{url}/api/v1/auth/token",
        body={"username": username, "password": password},
        headers=headers,
        timeout=WAIT + 30,
    )


def test_hashes_take_turns_and_other_requests_are_answered_meanwhile(tmp_path, gate, gated, stop):
    gated("gated")
    (server,), servers = start(tmp_path, gate)
    stop(servers)
    entered = lambda: len(list(gate.glob("entered-*")))  # noqa: E731
    answers: list[int] = []
    guesses = [
        threading.Thread(
            target=lambda: answers.append(sign_in(server.url, "gated", "wrong").status)
        )
        for _ in range(3)
    ]
    for guess in guesses:
        guess.start()
    try:
        # One check is in the hasher, held at the gate.
        assert eventually(lambda: entered() >= 1)
        # Another request is answered while it is held.
        assert http("GET", f"{server.url}/login/", timeout=WAIT).status == 200
        # The other two wait for their turn: no second check starts while the first is
        # held (each would, on a thread of its own, without the bound).
        assert not eventually(lambda: entered() > 1, within=2)
        assert entered() == 1
    finally:
        (gate / "open").touch()
        for guess in guesses:
            guess.join(timeout=WAIT + 30)
    assert answers == [400, 400, 400]
    assert entered() == 3


def test_a_forwarded_for_header_does_not_dodge_the_lockout_on_a_real_server(
    tmp_path, gate, gated, stop
):
    (gate / "open").touch()
    gated("nurse")
    (server,), servers = start(tmp_path, gate)
    stop(servers)
    for n in range(30):  # the address's limit (KITH_LOGIN_ADDRESS_FAILURE_LIMIT)
        sign_in(server.url, f"guess{n}", "wrong", **{"X-Forwarded-For": f"203.0.113.{n}"})
    locked = sign_in(server.url, "nurse", "right", **{"X-Forwarded-For": "198.51.100.1"})
    assert locked.status == 429
    assert locked.json()["message"].startswith("Too many failed sign-ins")
    assert int(locked.headers["Retry-After"]) == 15 * 60


@pytest.mark.services
def test_every_process_shares_the_count(tmp_path, gate, gated, stop, postgres, redis_url):
    (gate / "open").touch()
    gated("nurse")
    # A prefix of this test's own: the count starts at nothing in a shared Redis.
    prefix = f"kith-lockout-{uuid.uuid4().hex[:12]}"
    (one, two), servers = start(
        tmp_path, gate, names=("one", "two"), redis_url=redis_url, KITH_CHANNEL_PREFIX=prefix
    )
    stop(servers)
    for server in (one, two, one, two):
        assert sign_in(server.url, "nurse", "wrong").status == 400
    assert sign_in(two.url, "nurse", "wrong").status == 429
    assert sign_in(one.url, "nurse", "right").status == 429


def test_an_operator_ends_a_lockout_the_server_holds(tmp_path, gate, gated, stop):
    """Without Redis the counts live in files (KITH_CACHE_DIR), so the operator's
    command, another process, reaches what the server counted."""
    import subprocess
    import sys

    from tests.servers import ROOT

    (gate / "open").touch()
    gated("nurse")
    (server,), servers = start(tmp_path, gate)
    stop(servers)
    for _ in range(5):
        sign_in(server.url, "nurse", "wrong")
    assert sign_in(server.url, "nurse", "right").status == 429
    env = {**servers.env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    reset = subprocess.run(
        [sys.executable, "manage.py", "axes_reset_username", "nurse"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert reset.returncode == 0, reset.stderr
    assert sign_in(server.url, "nurse", "right").status == 200
