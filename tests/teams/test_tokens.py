"""API tokens: several per person, named, expiring, revocable, stored only as a hash.

The doors: ``POST /api/v1/auth/token`` (username and password), ``DELETE`` of it (the
token in use), ``GET /api/v1/auth/tokens``, ``DELETE /api/v1/auth/tokens/{id}``, and
``POST /api/v1/auth/sign-out-everywhere``. Nobody lists or revokes another's tokens.
"""

from __future__ import annotations

import datetime
import hashlib

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.events import person_group
from teams import tokens
from teams.models import ApiToken, AuditEntry
from tests.factories import PASSWORD, api_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


def with_token(raw: str) -> APIClient:
    return APIClient(headers={"Authorization": f"Token {raw}"})


def sign_in(username="ana", password=PASSWORD, **more):
    return APIClient().post(
        f"{API}/auth/token", {"username": username, "password": password, **more}, format="json"
    )


def every_text_in_the_database() -> str:
    """Every text and JSON column of every row of every table, as one string."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            parts += [str(value) for row in cursor.fetchall() for value in row]
    return "\n".join(parts)


# --- making one -----------------------------------------------------------------------------


def test_signing_in_makes_a_named_token_shown_once(personas):
    response = sign_in(name="Rostering system", expires_in_days=30)
    assert response.status_code == 200, response.json()
    body = response.json()
    raw = body["token"]
    assert raw.startswith("kith_") and len(raw) > 40
    assert body["name"] == "Rostering system"
    assert body["prefix"] == raw[:11]
    assert body["last_used"] is None
    created = datetime.datetime.fromisoformat(body["created"])
    expires = datetime.datetime.fromisoformat(body["expires"])
    assert expires - created == datetime.timedelta(days=30)
    assert with_token(raw).get(f"{API}/me").json()["username"] == "ana"
    # Listed afterwards without the token itself.
    listed = with_token(raw).get(f"{API}/auth/tokens").json()
    assert [t["name"] for t in listed] == ["Rostering system"]
    assert "token" not in listed[0]
    assert AuditEntry.objects.filter(action="token.created", actor=personas.ana).count() == 1


def test_username_and_password_alone_still_sign_in(personas):
    response = sign_in()
    assert response.status_code == 200
    assert response.json()["name"] == "API token"
    lifetime = datetime.datetime.fromisoformat(
        response.json()["expires"]
    ) - datetime.datetime.fromisoformat(response.json()["created"])
    assert lifetime == datetime.timedelta(days=90)


def test_a_person_has_a_token_per_device(personas):
    phone = sign_in(name="Phone").json()["token"]
    laptop = sign_in(name="Laptop").json()["token"]
    assert phone != laptop
    names = {t["name"] for t in with_token(phone).get(f"{API}/auth/tokens").json()}
    assert names == {"Phone", "Laptop"}


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 91}, "expires_in_days"),
        ({"expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x" * 81}, "name"),
    ],
)
def test_a_bad_name_or_lifetime_is_a_400_naming_it(personas, more, field):
    response = sign_in(**more)
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    assert not ApiToken.objects.exists()


def test_a_shorter_default_lifetime_is_a_setting(personas, settings):
    settings.API_TOKEN_DAYS = 7
    response = sign_in(expires_in_days=8)
    assert response.status_code == 400
    assert "7" in response.json()["extra"]["fields"]["expires_in_days"][0]
    assert sign_in(expires_in_days=7).status_code == 200


def test_a_wrong_password_gets_no_token(personas):
    response = sign_in(password="wrong")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_a_deactivated_person_gets_no_token(personas):
    personas.ana.is_active = False
    personas.ana.save()
    assert sign_in().status_code == 400


# --- only a hash is kept --------------------------------------------------------------------


def test_the_token_is_nowhere_in_the_database(personas):
    raw = sign_in(name="Phone").json()["token"]
    # Used, so its last use is written too.
    assert with_token(raw).get(f"{API}/me").status_code == 200
    stored = every_text_in_the_database()
    assert raw not in stored
    assert raw[11:] not in stored  # not even what follows the prefix
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert token.last_used is not None


# --- expiry, last use -------------------------------------------------------------------------


def test_a_token_stops_working_when_it_expires(personas):
    raw = api_token(personas.ana, expires_in_days=2)
    start = timezone.now()
    with time_machine.travel(start + datetime.timedelta(days=2, seconds=-60), tick=False):
        assert with_token(raw).get(f"{API}/me").status_code == 200
    with time_machine.travel(start + datetime.timedelta(days=2, seconds=1), tick=False):
        response = with_token(raw).get(f"{API}/me")
        assert response.status_code == 401
        assert "expired" in response.json()["message"]
        # Nor is it listed any more.
        assert APIClient().get(f"{API}/auth/tokens").status_code == 401


def test_last_use_is_written_at_most_every_few_minutes(personas):
    raw = api_token(personas.ana)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with_token(raw).get(f"{API}/me")
    first = ApiToken.objects.get().last_used
    with time_machine.travel(start + datetime.timedelta(minutes=4), tick=False):
        with_token(raw).get(f"{API}/me")
    assert ApiToken.objects.get().last_used == first
    with time_machine.travel(start + datetime.timedelta(minutes=6), tick=False):
        with_token(raw).get(f"{API}/me")
    assert ApiToken.objects.get().last_used > first


# --- revoking ---------------------------------------------------------------------------------


def rung(captured_sends) -> list[str]:
    """The person groups told "access changed" after commit."""
    return [group for group, message in captured_sends if message == {"type": "access.changed"}]


def test_delete_on_the_token_endpoint_revokes_the_token_in_use(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    phone = api_token(personas.ana, name="Phone")
    laptop = api_token(personas.ana, name="Laptop")
    with django_capture_on_commit_callbacks(execute=True):
        response = with_token(phone).delete(f"{API}/auth/token")
    assert response.status_code == 204
    assert with_token(phone).get(f"{API}/me").status_code == 401
    assert with_token(laptop).get(f"{API}/me").status_code == 200
    assert rung(captured_sends) == [person_group(personas.ana.pk)]
    assert AuditEntry.objects.filter(action="token.revoked").count() == 1


def test_delete_on_the_token_endpoint_needs_a_token(personas):
    client = APIClient()
    client.force_login(personas.ana)
    response = client.delete(f"{API}/auth/token")
    assert response.status_code == 400
    assert "not made with a token" in response.json()["message"]
    assert APIClient().delete(f"{API}/auth/token").status_code == 401


def test_a_person_revokes_one_of_their_tokens_by_id(personas):
    phone = api_token(personas.ana, name="Phone")
    laptop = api_token(personas.ana, name="Laptop")
    laptop_id = ApiToken.objects.get(name="Laptop").pk
    assert with_token(phone).delete(f"{API}/auth/tokens/{laptop_id}").status_code == 204
    assert with_token(laptop).get(f"{API}/me").status_code == 401
    assert [t["name"] for t in with_token(phone).get(f"{API}/auth/tokens").json()] == ["Phone"]
    # Again: nothing more to revoke, still 204.
    assert with_token(phone).delete(f"{API}/auth/tokens/{laptop_id}").status_code == 204


@pytest.mark.parametrize("who", ["ben", "outsider", "coach", "inspector", "client", "family"])
def test_nobody_lists_or_revokes_another_persons_tokens(personas, outsiders, who):
    raw = api_token(personas.ana, name="Phone")
    token = ApiToken.objects.get()
    someone = personas.ben if who == "ben" else outsiders[who]
    theirs = api_token(someone, name="Their own")
    client = with_token(theirs)
    assert [t["name"] for t in client.get(f"{API}/auth/tokens").json()] == ["Their own"]
    response = client.delete(f"{API}/auth/tokens/{token.pk}")
    assert response.status_code == 404
    assert response.json()["message"]
    token.refresh_from_db()
    assert token.revoked is None
    assert with_token(raw).get(f"{API}/me").status_code == 200
    # Each manages their own.
    own = ApiToken.objects.get(person=someone)
    assert client.delete(f"{API}/auth/tokens/{own.pk}").status_code == 204


def test_anonymous_callers_list_and_revoke_nothing(personas):
    api_token(personas.ana)
    token = ApiToken.objects.get()
    assert APIClient().get(f"{API}/auth/tokens").status_code == 401
    assert APIClient().delete(f"{API}/auth/tokens/{token.pk}").status_code == 401
    assert APIClient().post(f"{API}/auth/sign-out-everywhere").status_code == 401


# --- signing out everywhere -------------------------------------------------------------------


def test_sign_out_everywhere_ends_every_session_and_token(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    phone = api_token(personas.ana, name="Phone")
    laptop = api_token(personas.ana, name="Laptop")
    browser = APIClient()
    browser.force_login(personas.ana)
    other_browser = APIClient()
    other_browser.force_login(personas.ana)
    bens = api_token(personas.ben)
    assert browser.get(f"{API}/me").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = with_token(phone).post(f"{API}/auth/sign-out-everywhere")

    assert response.status_code == 204
    for client in (with_token(phone), with_token(laptop), browser, other_browser):
        assert client.get(f"{API}/me").status_code in (401, 403)
    assert with_token(bens).get(f"{API}/me").status_code == 200
    assert rung(captured_sends) == [person_group(personas.ana.pk)]
    # A new sign-in works as before.
    assert sign_in().status_code == 200


# --- tokens from before -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_plain_text_tokens_from_before_are_hashed_and_keep_working(personas):
    """The old table (Django REST framework's authtoken, one plain-text key per
    person) is moved into the hashed store and dropped."""
    move = __import__("teams.migrations.0006_move_drf_tokens", fromlist=["move_tokens"])
    old_key = "0123456789abcdef0123456789abcdef01234567"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp"
            " with time zone NOT NULL, user_id bigint NOT NULL)"
        )
        cursor.execute(
            "INSERT INTO authtoken_token VALUES (%s, %s, %s)",
            [old_key, timezone.now(), personas.ben.pk],
        )
    with connection.schema_editor() as editor:
        move.move_tokens(apps, editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert old_key not in every_text_in_the_database()
    assert with_token(old_key).get(f"{API}/me").json()["username"] == "ben"
    token = ApiToken.objects.get(person=personas.ben)
    assert token.prefix == old_key[:8]
    assert token.expires > timezone.now() + datetime.timedelta(days=89)
    assert tokens.token_person(old_key)[0] == personas.ben


# --- for the live socket ----------------------------------------------------------------------


def test_token_person_and_active_token_say_whether_a_token_still_lets_in(personas):
    raw = api_token(personas.ana)
    person, token = tokens.token_person(raw)
    assert person == personas.ana
    assert tokens.active_token(token) == token
    assert tokens.token_person("kith_nonsense") is None
    with_token(raw).delete(f"{API}/auth/token")
    assert tokens.active_token(token) is None
    assert tokens.token_person(raw) is None
