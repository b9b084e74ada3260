"""A password change or a deactivation ends the person's tokens and other sessions, and
tells their open sockets, whichever door it comes through; signing out tells them too.

Doors: the password change page, the admin (an operator sets a password, or untick
"active"), ``manage.py changepassword``, ``set_password()`` + ``save()`` anywhere, a
new hash put in the field by hand, ``is_active = False`` anywhere, Django's logout.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from coordination.events import person_group
from teams.models import ApiToken, AuditEntry, Person
from tests.doors import two_step
from tests.factories import PASSWORD, PersonFactory, api_token

pytestmark = pytest.mark.django_db

API = "/api/v1"
NEW_PASSWORD = "a brand new password 42"


def with_token(raw: str) -> APIClient:
    return APIClient(headers={"Authorization": f"Token {raw}"})


def browser_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def signed_in(browser: Client) -> bool:
    response = browser.get("/account/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def rung(captured_sends) -> list[str]:
    return [group for group, message in captured_sends if message == {"type": "access.changed"}]


@pytest.fixture
def ana_everywhere(personas):
    """Ana with two tokens and two browser sessions; Ben with a token of his own."""
    return {
        "tokens": [api_token(personas.ana, name="Phone"), api_token(personas.ana, name="Sync")],
        "browsers": [browser_of(personas.ana), browser_of(personas.ana)],
        "ben": api_token(personas.ben),
    }


def assert_all_ended(personas, ana, captured_sends, *, reason: str, kept_browser=None):
    for raw in ana["tokens"]:
        assert with_token(raw).get(f"{API}/me").status_code == 401
    assert set(
        ApiToken.objects.filter(person=personas.ana).values_list("revoked_reason", flat=True)
    ) == {reason}
    for browser in ana["browsers"]:
        assert signed_in(browser) == (browser is kept_browser)
    assert with_token(ana["ben"]).get(f"{API}/me").status_code == 200
    assert person_group(personas.ana.pk) in rung(captured_sends)


# --- password changes -------------------------------------------------------------------------


def test_set_password_and_save_anywhere(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ana = Person.objects.get(pk=personas.ana.pk)
        ana.set_password(NEW_PASSWORD)
        ana.save()
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="password changed")
    assert AuditEntry.objects.filter(action="person.password_changed").count() == 1


def test_a_hash_put_in_by_hand(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ana = Person.objects.get(pk=personas.ana.pk)
        ana.password = make_password(NEW_PASSWORD)
        ana.save(update_fields=["password"])
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="password changed")


def test_set_password_on_a_row_read_without_its_password(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ana = Person.objects.only("id", "username").get(pk=personas.ana.pk)
        ana.set_password(NEW_PASSWORD)
        ana.save(update_fields=["password"])
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="password changed")


def test_manage_py_changepassword(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("changepassword", "ana", stdout=io.StringIO())
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="password changed")


@pytest.fixture
def operator(db):
    return PersonFactory(username="operator", is_staff=True, is_superuser=True)


def test_the_admin_sets_no_password(personas, ana_everywhere, operator):
    """An operator sends a reset mail instead (teams/admin.py): a password set by
    someone else is a password someone else knows."""
    admin = two_step(operator)
    url = f"/ops/admin/teams/person/{personas.ana.pk}/password/"
    response = admin.post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    assert response.status_code == 403
    ana = Person.objects.get(pk=personas.ana.pk)
    assert ana.check_password(PASSWORD) and not ana.check_password(NEW_PASSWORD)
    for raw in ana_everywhere["tokens"]:
        assert with_token(raw).get(f"{API}/me").status_code == 200


def test_the_password_change_page_keeps_this_session_only(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks
):
    here = ana_everywhere["browsers"][0]
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post(
            "/account/password/",
            {
                "old_password": PASSWORD,
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/account/"
    page = here.get("/account/")
    assert page.status_code == 200
    assert "Password changed" in page.content.decode()
    assert_all_ended(
        personas, ana_everywhere, captured_sends, reason="password changed", kept_browser=here
    )


def test_a_wrong_current_password_changes_nothing(personas, ana_everywhere):
    here = ana_everywhere["browsers"][0]
    response = here.post(
        "/account/password/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert "incorrect" in response.content.decode()
    for raw in ana_everywhere["tokens"]:
        assert with_token(raw).get(f"{API}/me").status_code == 200


def test_a_rehash_on_sign_in_is_no_password_change(personas, settings):
    """Django re-hashes a correct password when the hasher's settings grew: the same
    password, so nothing ends."""
    raw = api_token(personas.ana)
    settings.PASSWORD_HASHERS = [
        "teams.passwords.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    assert personas.ana.password.startswith("md5$")
    response = APIClient().post(
        f"{API}/auth/token", {"username": "ana", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert Person.objects.get(pk=personas.ana.pk).password.startswith("pbkdf2_sha256$")
    assert with_token(raw).get(f"{API}/me").status_code == 200


def test_saving_other_fields_ends_nothing(personas, ana_everywhere):
    ana = Person.objects.get(pk=personas.ana.pk)
    ana.preferred_name = "Annie"
    ana.save()
    for raw in ana_everywhere["tokens"]:
        assert with_token(raw).get(f"{API}/me").status_code == 200
    assert all(signed_in(browser) for browser in ana_everywhere["browsers"])


# --- deactivation -----------------------------------------------------------------------------


def test_is_active_false_anywhere(
    personas, ana_everywhere, captured_sends, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ana = Person.objects.get(pk=personas.ana.pk)
        ana.is_active = False
        ana.save(update_fields=["is_active"])
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="deactivated")
    assert AuditEntry.objects.filter(action="person.deactivated").count() == 1
    # Reactivated later, the old sessions and tokens stay ended.
    ana.is_active = True
    ana.save()
    for browser in ana_everywhere["browsers"]:
        assert not signed_in(browser)
    for raw in ana_everywhere["tokens"]:
        assert with_token(raw).get(f"{API}/me").status_code == 401


def test_the_admin_deactivates(
    personas, ana_everywhere, operator, captured_sends, django_capture_on_commit_callbacks
):
    admin = two_step(operator)
    url = f"/ops/admin/teams/person/{personas.ana.pk}/change/"
    form = admin.get(url).context["adminform"].form
    assert list(form.fields) == ["is_active"]  # all an operator may change of a person
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {})  # is_active unticked
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not Person.objects.get(pk=personas.ana.pk).is_active
    assert_all_ended(personas, ana_everywhere, captured_sends, reason="deactivated")
    by_operator = AuditEntry.objects.get(action="person.deactivated_by_operator")
    assert by_operator.actor == operator and by_operator.target == f"teams.person:{personas.ana.pk}"


# --- signing out ------------------------------------------------------------------------------


def test_signing_out_rings_the_persons_sockets(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    browser = browser_of(personas.ana)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/logout/")
    assert response.status_code == 302
    assert rung(captured_sends) == [person_group(personas.ana.pk)]
    assert not signed_in(browser)


@pytest.mark.django_db(transaction=True)  # autocommit, as a server runs: rung at once
def test_the_sockets_are_rung_only_once_the_session_is_gone(personas, monkeypatch):
    """A socket rung checks its session at once, perhaps in another process: had the
    ring gone out while the session was still stored, the socket would stay open."""
    from django.contrib.sessions.models import Session

    from coordination import events

    browser = browser_of(personas.ana)
    key = browser.session.session_key
    stored_when_rung = []
    monkeypatch.setattr(
        events,
        "_send_all",
        lambda messages: stored_when_rung.append(Session.objects.filter(session_key=key).exists()),
    )
    assert browser.post("/logout/").status_code == 302
    assert stored_when_rung == [False]
