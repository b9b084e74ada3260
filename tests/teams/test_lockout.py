"""Password guessing is limited at every door: the sign-in page, the token endpoint, the
admin's sign-in and the password change page share one count per username and one per
address. The ``KITH_LOGIN_FAILURE_LIMIT``th (5th) failure in a row is answered with
the lockout, and sign-in is refused for ``KITH_LOGIN_LOCKOUT_MINUTES`` (15), a correct
password included, with a clear message; then it works again. An operator can end a
lockout at once.
"""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.doors import two_step
from tests.factories import PASSWORD, PersonFactory

pytestmark = pytest.mark.django_db

LIMIT = 5
ADDRESS_LIMIT = 30
LOCKOUT = datetime.timedelta(minutes=15)


def page(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def token(client: APIClient, username: str, password: str):
    return client.post(
        "/api/v1/auth/token", {"username": username, "password": password}, format="json"
    )


def admin(client: Client, username: str, password: str):
    return client.post(
        "/ops/admin/login/",
        {"username": username, "password": password, "next": "/ops/admin/"},
    )


DOORS = {"page": (page, Client), "token": (token, APIClient), "admin": (admin, Client)}


def signed_in(door: str, response) -> bool:
    if door == "token":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


def refused_for_lockout(door: str, response) -> bool:
    if response.status_code != 429 or response["Retry-After"] != str(15 * 60):
        return False
    if door == "token":
        body = response.json()
        return (
            body["message"].startswith("Too many failed sign-ins")
            and "retry_at" in body["extra"]
            and body["extra"]["retry_after"] == 15 * 60
        )
    text = response.content.decode()
    return "Too many failed sign-ins" in text and "Try again after" in text


@pytest.fixture
def operator_ana(personas):
    """Ana may use the admin too (its sign-in door admits only staff)."""
    personas.ana.is_staff = True
    personas.ana.save()
    return personas.ana


@pytest.mark.parametrize("door", list(DOORS))
def test_an_account_is_locked_after_five_failures_then_free_again(operator_ana, door):
    send, client_class = DOORS[door]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(LIMIT - 1):
            response = send(client_class(), "ana", "wrong")
            assert not signed_in(door, response)
            assert response.status_code != 429
        assert refused_for_lockout(door, send(client_class(), "ana", "wrong"))
        # The right password, from a fresh client, is refused while locked out.
        locked = send(client_class(), "ana", PASSWORD)
        assert refused_for_lockout(door, locked), locked.content
        assert not signed_in(door, locked)
    with time_machine.travel(start + LOCKOUT - datetime.timedelta(seconds=30), tick=False):
        assert refused_for_lockout(door, send(client_class(), "ana", PASSWORD))
    with time_machine.travel(start + LOCKOUT + datetime.timedelta(seconds=1), tick=False):
        assert signed_in(door, send(client_class(), "ana", PASSWORD))


@pytest.mark.parametrize("door", list(DOORS))
def test_an_address_is_locked_after_thirty_failures_whatever_the_usernames(operator_ana, door):
    send, client_class = DOORS[door]
    for n in range(ADDRESS_LIMIT - 1):
        response = send(client_class(), f"guess{n}", "wrong")
        assert not signed_in(door, response)
        assert response.status_code != 429
    assert refused_for_lockout(door, send(client_class(), "guess-last", "wrong"))
    assert refused_for_lockout(door, send(client_class(), "ana", PASSWORD))
    # The same person from another address is let in (only the address is locked).
    elsewhere = client_class(REMOTE_ADDR="192.0.2.77")
    assert signed_in(door, send(elsewhere, "ana", PASSWORD))


@pytest.mark.parametrize("door", list(DOORS))
def test_a_forwarded_for_header_does_not_dodge_the_address_lockout(operator_ana, door):
    """Without a proxy in front (daphne without --proxy-headers), the address is the
    connection's own: a header the guesser sends changes nothing."""
    send, client_class = DOORS[door]
    for n in range(ADDRESS_LIMIT):
        spoofing = client_class(
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}", HTTP_X_REAL_IP=f"198.51.100.{n}"
        )
        send(spoofing, f"guess{n}", "wrong")
    fresh = client_class(HTTP_X_FORWARDED_FOR="203.0.113.200")
    assert refused_for_lockout(door, send(fresh, "ana", PASSWORD))


def test_a_colleague_mistyping_in_the_same_office_locks_out_only_herself(personas):
    """One address for a whole office (its router): Ben's five failures pause Ben,
    not Ana at the next desk."""
    for _ in range(LIMIT):
        page(Client(), "ben", "wrong")
    assert refused_for_lockout("page", page(Client(), "ben", PASSWORD))
    assert signed_in("page", page(Client(), "ana", PASSWORD))


def test_each_limit_is_a_setting(personas, settings):
    from axes.handlers.proxy import AxesProxyHandler

    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_ADDRESS_LIMIT = 3
    settings.AXES_FAILURE_LIMIT = 3
    AxesProxyHandler.get_implementation(force=True)
    page(Client(), "ana", "wrong")
    assert page(Client(), "ana", "wrong").status_code == 429
    page(Client(), "cas", "wrong")  # the address's third
    assert page(Client(), "ben", PASSWORD).status_code == 429


def test_the_doors_share_one_count(operator_ana):
    page(Client(), "ana", "wrong")
    page(Client(), "ana", "wrong")
    token(APIClient(), "ana", "wrong")
    admin(Client(), "ana", "wrong")
    token(APIClient(), "ana", "wrong")
    assert refused_for_lockout("page", page(Client(), "ana", PASSWORD))


def test_a_success_starts_the_count_again(personas):
    for _ in range(LIMIT - 1):
        page(Client(), "ana", "wrong")
    assert signed_in("page", page(Client(), "ana", PASSWORD))
    for _ in range(LIMIT - 1):
        token(APIClient(), "ana", "wrong")
    assert signed_in("token", token(APIClient(), "ana", PASSWORD))


def test_attempts_while_locked_out_do_not_extend_it(personas):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(LIMIT):
            page(Client(), "ana", "wrong")
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        for _ in range(3):
            assert page(Client(), "ana", "wrong").status_code == 429
    with time_machine.travel(start + LOCKOUT + datetime.timedelta(seconds=1), tick=False):
        assert signed_in("page", page(Client(), "ana", PASSWORD))


def test_an_operator_ends_a_lockout_at_once(personas):
    for _ in range(LIMIT):
        page(Client(), "ana", "wrong")
    assert page(Client(), "ana", PASSWORD).status_code == 429
    out = io.StringIO()
    call_command("axes_reset_username", "ana", stdout=out)
    call_command("axes_reset_ip", "127.0.0.1", stdout=out)
    assert signed_in("page", page(Client(), "ana", PASSWORD))


def test_the_password_change_page_counts_wrong_current_passwords(personas):
    """A stolen session cannot guess the password there without limit either."""
    browser = Client()
    browser.force_login(personas.ana)
    change = {"new_password1": "another password 42", "new_password2": "another password 42"}
    for _ in range(LIMIT - 1):
        response = browser.post("/account/password/", {"old_password": "wrong", **change})
        assert response.status_code == 200
    assert browser.post("/account/password/", {"old_password": "x", **change}).status_code == 429
    response = browser.post("/account/password/", {"old_password": PASSWORD, **change})
    assert refused_for_lockout("page", response)
    personas.ana.refresh_from_db()
    assert personas.ana.check_password(PASSWORD)


def test_an_unknown_username_is_counted_like_a_known_one(db):
    PersonFactory(username="someone")
    for _ in range(LIMIT):
        page(Client(REMOTE_ADDR="192.0.2.1"), "nobody-here", "wrong")
    assert page(Client(REMOTE_ADDR="192.0.2.2"), "nobody-here", "x").status_code == 429


def test_the_admins_own_password_change_leads_to_the_counted_one(personas):
    personas.ana.is_staff = True
    personas.ana.save()
    browser = two_step(personas.ana)
    response = browser.get("/ops/admin/password_change/")
    assert response.status_code == 302 and response["Location"] == "/account/password/"
    # A guess posted to the admin's form checks nothing there.
    change = {"new_password1": "another password 42", "new_password2": "another password 42"}
    posted = browser.post("/ops/admin/password_change/", {"old_password": PASSWORD, **change})
    assert posted["Location"] == "/account/password/"
    personas.ana.refresh_from_db()
    assert personas.ana.check_password(PASSWORD)


@pytest.mark.parametrize("door", DOORS)
def test_with_redis_down_signing_in_works_and_each_process_still_counts(door, redis_down):
    """The counts live in Redis so every process shares them; while it cannot be
    reached, signing in still works and each process counts on its own (a guesser
    gains at most one limit per process, never an open door)."""
    PersonFactory(username="ana", is_staff=door == "admin")
    send, client_class = DOORS[door]
    assert signed_in(door, send(client_class(), "ana", PASSWORD))
    for _ in range(LIMIT - 1):
        assert not signed_in(door, send(client_class(), "ana", "wrong"))
    assert refused_for_lockout(door, send(client_class(), "ana", "wrong"))
    assert refused_for_lockout(door, send(client_class(), "ana", PASSWORD))
