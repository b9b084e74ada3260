"""A person's own account: resetting a forgotten password by mail, changing their email
address (confirmed at the new one), closing their account; and the admin, which never
bypasses the domain."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.events import person_group
from teams.models import AuditEntry, Membership, Person
from tests.doors import api, page_text, two_step
from tests.factories import PASSWORD, PersonFactory, api_token

pytestmark = pytest.mark.django_db

SITE = "https://kith.example"
NEW_PASSWORD = "a new and long passphrase 7"
LINK = re.compile(r"https://kith\.example(/[^\s\"<]+)")


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE


def pages(person) -> Client:
    browser = Client()
    browser.force_login(person)
    return browser


def signed_in(browser: Client) -> bool:
    return browser.get("/account/").status_code == 200


def works(raw: str) -> bool:
    return APIClient(headers={"Authorization": f"Token {raw}"}).get("/api/v1/me").status_code == 200


def sign_in(username: str, password: str) -> Client:
    browser = Client()
    browser.post("/login/", {"username": username, "password": password})
    return browser


def link_in(message) -> str:
    """The path of the one link in a message, the same in its text and HTML parts."""
    text_links = set(LINK.findall(message.body))
    html = message.alternatives[0][0] if message.alternatives else ""
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    assert len(text_links) == 1, message.body
    (path,) = text_links
    assert path in html.replace("&amp;", "&")
    return path


def ask_for_reset(email: str, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return Client().post("/password-reset/", {"email": email})


# --- password reset ---------------------------------------------------------------------------


def test_the_sign_in_page_links_to_the_reset(db):
    assert 'href="/password-reset/"' in Client().get("/login/").content.decode()


def test_a_password_reset_end_to_end(personas, django_capture_on_commit_callbacks):
    elsewhere = pages(personas.ana)
    raw = api_token(personas.ana)
    response = ask_for_reset("ANA@kith.test", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/password-reset/sent/"
    assert "If that address belongs" in page_text(Client().get("/password-reset/sent/"))

    (message,) = mail.outbox
    assert message.to == ["ana@kith.test"]
    assert message.subject == "Reset your Kith password"
    path = link_in(message)
    browser = Client()
    form_page = browser.get(path, follow=True)
    assert "Choose a new password" in page_text(form_page)
    set_url = form_page.redirect_chain[-1][0]
    done = browser.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/password-reset/done/"

    # Nobody is signed in by the link; everything that was signed in has ended.
    assert not signed_in(browser)
    assert not signed_in(elsewhere)
    assert not works(raw)
    assert AuditEntry.objects.filter(action="person.password_changed").exists()
    assert AuditEntry.objects.filter(action="person.password_reset_sent").exists()
    # The new password signs in; the old one does not.
    assert signed_in(sign_in("ana", NEW_PASSWORD))
    assert not signed_in(sign_in("ana", PASSWORD))
    # The link worked once.
    again = Client().get(path, follow=True)
    assert "This link does not work" in page_text(again)


def test_an_unknown_or_closed_address_gets_the_same_answer_and_no_mail(
    personas, django_capture_on_commit_callbacks
):
    PersonFactory(username="gone", email="gone@kith.test", is_active=False)
    known = ask_for_reset("ana@kith.test", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    for address in ["nobody@kith.test", "gone@kith.test"]:
        answer = ask_for_reset(address, django_capture_on_commit_callbacks)
        assert (answer.status_code, answer["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1


def test_a_malformed_address_is_a_field_message(db):
    response = Client().post("/password-reset/", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address" in page_text(response)


def test_an_expired_reset_link_is_refused(personas, settings, django_capture_on_commit_callbacks):
    ask_for_reset("ana@kith.test", django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[0])
    later = timezone.now() + datetime.timedelta(hours=settings.PASSWORD_RESET_HOURS, minutes=1)
    with time_machine.travel(later):
        response = Client().get(path, follow=True)
    assert "This link does not work" in page_text(response)
    assert Person.objects.get(pk=personas.ana.pk).check_password(PASSWORD)


def test_a_reset_ends_the_lockout(personas, django_capture_on_commit_callbacks):
    for _ in range(5):
        sign_in("ana", "wrong")
    assert Client().post("/login/", {"username": "ana", "password": PASSWORD}).status_code == 429
    ask_for_reset("ana@kith.test", django_capture_on_commit_callbacks)
    browser = Client()
    set_url = browser.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    browser.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert signed_in(sign_in("ana", NEW_PASSWORD))


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    personas, django_capture_on_commit_callbacks
):
    ask_for_reset("ana@kith.test", django_capture_on_commit_callbacks)
    browser = Client()
    set_url = browser.get(link_in(mail.outbox[0]), follow=True).redirect_chain[-1][0]
    response = browser.post(set_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert response.status_code == 200 and "too common" in page_text(response)
    assert Person.objects.get(pk=personas.ana.pk).check_password(PASSWORD)


# --- email change -----------------------------------------------------------------------------


def ask_for_email(browser, email, django_capture_on_commit_callbacks, password=PASSWORD):
    with django_capture_on_commit_callbacks(execute=True):
        return browser.post("/account/email/", {"email": email, "password": password})


def test_an_email_change_is_confirmed_at_the_new_address(
    personas, django_capture_on_commit_callbacks
):
    browser = pages(personas.ana)
    response = ask_for_email(browser, "ana.devries@example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert Person.objects.get(pk=personas.ana.pk).email == "ana@kith.test"  # not yet
    confirm, notice = sorted(mail.outbox, key=lambda m: m.to != ["ana.devries@example.org"])
    assert confirm.to == ["ana.devries@example.org"] and notice.to == ["ana@kith.test"]
    path = link_in(confirm)
    # The old address hears of it, without the link that would make the change.
    assert "ana.devries@example.org" in notice.body and path not in notice.body
    # Opening the link changes nothing by itself (a mail scanner may open it).
    page = browser.get(path)
    assert page.status_code == 200 and "ana.devries@example.org" in page_text(page)
    assert Person.objects.get(pk=personas.ana.pk).email == "ana@kith.test"
    done = browser.post(path)
    assert done.status_code == 302
    assert Person.objects.get(pk=personas.ana.pk).email == "ana.devries@example.org"
    entry = AuditEntry.objects.get(action="person.email_changed")
    assert entry.actor == personas.ana and entry.data["to"] == "ana.devries@example.org"
    # Single use.
    again = browser.post(path)
    assert again.status_code == 400 and "used already" in page_text(again)


def test_an_email_change_needs_the_password_and_counts_a_wrong_one(
    personas, django_capture_on_commit_callbacks
):
    browser = pages(personas.ana)
    response = ask_for_email(browser, "new@example.org", django_capture_on_commit_callbacks, "no")
    assert response.status_code == 400 and "not your password" in page_text(response)
    assert mail.outbox == []
    for _ in range(4):
        ask_for_email(browser, "new@example.org", django_capture_on_commit_callbacks, "no")
    locked = ask_for_email(browser, "new@example.org", django_capture_on_commit_callbacks)
    assert locked.status_code == 429 and mail.outbox == []


@pytest.mark.parametrize("address", ["BEN@kith.test", "ben@KITH.test"])
def test_an_address_another_account_uses_is_refused(
    personas, address, django_capture_on_commit_callbacks
):
    response = ask_for_email(pages(personas.ana), address, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and "Another account uses that address" in page_text(
        response
    )
    assert mail.outbox == []


@pytest.mark.parametrize("email", ["", "not an address", "ana@kith.test", "x" * 250 + "@a.b"])
def test_bad_new_addresses_are_field_messages(personas, email, django_capture_on_commit_callbacks):
    response = ask_for_email(pages(personas.ana), email, django_capture_on_commit_callbacks)
    assert response.status_code == 400 and 'aria-invalid="true"' in response.content.decode()
    assert mail.outbox == []


def test_an_address_taken_before_the_link_is_opened_is_refused(
    personas, django_capture_on_commit_callbacks
):
    browser = pages(personas.ana)
    ask_for_email(browser, "shared@example.org", django_capture_on_commit_callbacks)
    path = link_in(next(m for m in mail.outbox if m.to == ["shared@example.org"]))
    PersonFactory(username="quick", email="Shared@example.org")
    response = browser.post(path)
    assert response.status_code == 400 and "Another account uses" in page_text(response)
    assert Person.objects.get(pk=personas.ana.pk).email == "ana@kith.test"


def test_an_expired_email_link_is_refused(personas, settings, django_capture_on_commit_callbacks):
    settings.SESSION_IDLE_HOURS = 48  # the sign-in outlives the link here
    browser = pages(personas.ana)
    ask_for_email(browser, "new@example.org", django_capture_on_commit_callbacks)
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]))
    later = timezone.now() + datetime.timedelta(hours=settings.EMAIL_CONFIRM_HOURS, minutes=1)
    with time_machine.travel(later):
        response = browser.post(path)
    assert response.status_code == 400 and "expired" in page_text(response)
    assert Person.objects.get(pk=personas.ana.pk).email == "ana@kith.test"


def test_a_forged_email_link_is_refused(personas):
    response = pages(personas.ana).post("/account/email/confirm/eyJwIjoxfQ:forged:sig/")
    assert response.status_code == 400 and "not valid" in page_text(response)


def test_only_the_person_who_asked_confirms_their_link(
    personas, django_capture_on_commit_callbacks
):
    ask_for_email(pages(personas.ana), "new@example.org", django_capture_on_commit_callbacks)
    path = link_in(next(m for m in mail.outbox if m.to == ["new@example.org"]))
    response = pages(personas.ben).post(path)
    assert response.status_code == 400 and "another account" in page_text(response)
    anonymous = Client().post(path)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")
    assert Person.objects.get(pk=personas.ana.pk).email == "ana@kith.test"
    assert Person.objects.get(pk=personas.ben.pk).email == "ben@kith.test"


def test_the_email_change_through_the_api(personas, django_capture_on_commit_callbacks):
    client = api(personas.ana)
    wrong = client.post("/api/v1/me/email", {"email": "a@example.org", "password": "no"})
    assert wrong.status_code == 400 and "password" in wrong.json()["extra"]["fields"]
    taken = client.post("/api/v1/me/email", {"email": "ben@kith.test", "password": PASSWORD})
    assert taken.status_code == 400 and "email" in taken.json()["extra"]["fields"]
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/api/v1/me/email", {"email": "a@example.org", "password": PASSWORD})
    assert asked.status_code == 202 and asked.json()["sent_to"] == "a@example.org"
    path = link_in(next(m for m in mail.outbox if m.to == ["a@example.org"]))
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert api(personas.ben).post("/api/v1/me/email/confirm", {"token": token}).status_code == 403
    done = client.post("/api/v1/me/email/confirm", {"token": token})
    assert done.status_code == 200 and done.json()["email"] == "a@example.org"
    assert client.post("/api/v1/me/email/confirm", {"token": token}).status_code == 400


# --- closing one's account --------------------------------------------------------------------


def test_a_person_closes_their_own_account(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    here, elsewhere = pages(personas.ana), pages(personas.ana)
    raw = api_token(personas.ana)
    page = here.get("/account/close/")
    assert "until your team decides" in page_text(page) and "Noord" in page_text(page)
    refused = here.post("/account/close/", {"password": PASSWORD})
    assert refused.status_code == 400 and "Tick the box" in page_text(refused)
    wrong = here.post("/account/close/", {"password": "no", "confirm": "yes"})
    assert wrong.status_code == 400 and Person.objects.get(pk=personas.ana.pk).is_active
    with django_capture_on_commit_callbacks(execute=True):
        done = here.post("/account/close/", {"password": PASSWORD, "confirm": "yes"})
    assert done.status_code == 302 and done["Location"] == "/login/?ended=closed"
    assert "Your account is closed" in page_text(Client().get(done["Location"]))
    assert not Person.objects.get(pk=personas.ana.pk).is_active
    assert not signed_in(here) and not signed_in(elsewhere) and not works(raw)
    assert not signed_in(sign_in("ana", PASSWORD))
    # The team decides about her place in it: her membership stands.
    assert Membership.objects.current().filter(person=personas.ana).exists()
    assert AuditEntry.objects.get(action="person.closed_own_account").actor == personas.ana
    assert any(m.subject == "Your Kith account is closed" for m in mail.outbox)
    assert (person_group(personas.ana.pk), {"type": "access.changed"}) in captured_sends


def test_closing_through_the_api(personas):
    raw = api_token(personas.ben)
    client = APIClient(headers={"Authorization": f"Token {raw}"})
    assert client.post("/api/v1/me/close", {"password": "no"}).status_code == 400
    assert Person.objects.get(pk=personas.ben.pk).is_active
    assert client.post("/api/v1/me/close", {"password": PASSWORD}).status_code == 204
    assert not Person.objects.get(pk=personas.ben.pk).is_active
    assert not works(raw)
    assert Person.objects.get(pk=personas.ana.pk).is_active


# --- who may knock ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/account/email/", "/account/close/", "/account/two-factor/", "/account/two-factor/setup/"],
)
def test_the_account_pages_send_the_anonymous_to_sign_in(db, url):
    for method in ("get", "post"):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize(
    "path", ["/api/v1/me/email", "/api/v1/me/email/confirm", "/api/v1/me/close"]
)
def test_the_account_endpoints_refuse_the_anonymous(db, path):
    assert APIClient().post(path, {"password": PASSWORD}).status_code in {401, 403}


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def operator(db):
    return PersonFactory(username="operator", is_staff=True, is_superuser=True)


def test_the_admin_refuses_an_operator_without_two_steps(personas, operator):
    browser = pages(operator)
    response = browser.get("/ops/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/ops/admin/login/")
    to_setup = browser.get(response["Location"])
    assert to_setup.status_code == 302 and to_setup["Location"] == "/account/two-factor/"
    assert "The admin needs two-step sign-in" in page_text(browser.get(to_setup["Location"]))
    assert browser.get(f"/ops/admin/teams/person/{personas.ana.pk}/change/").status_code == 302
    assert two_step(operator).get("/ops/admin/").status_code == 200


def test_the_admin_is_for_operators_only(personas):
    response = two_step(personas.ana).get("/ops/admin/", follow=True)
    assert response.status_code == 403


def test_the_admin_sign_in_is_kiths_own(operator):
    page = Client().get("/ops/admin/login/?next=/ops/admin/")
    assert page.status_code == 200 and "Forgot your password?" in page_text(page)


def test_the_admin_changes_no_team_or_membership(personas, operator):
    admin = two_step(operator)
    team = personas.noord
    url = f"/ops/admin/teams/team/{team.pk}/change/"
    assert admin.get(url).status_code == 200  # seen
    membership = Membership.objects.get(team=team, person=personas.ana)
    posted = admin.post(
        url,
        {
            "name": "Renamed",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": str(membership.pk),
            "memberships-0-team": str(team.pk),
            "memberships-0-left": "2024-01-01",
            "memberships-0-DELETE": "on",
        },
    )
    assert posted.status_code == 403
    team.refresh_from_db()
    membership.refresh_from_db()
    assert team.name == "Noord" and membership.left is None
    assert admin.post("/ops/admin/teams/team/add/", {"name": "New"}).status_code == 403
    delete = admin.post(f"/ops/admin/teams/team/{team.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    assert admin.get("/ops/admin/teams/membership/").status_code == 404


def test_the_admin_changes_no_kind_or_staff_flag(personas, operator):
    admin = two_step(operator)
    url = f"/ops/admin/teams/person/{personas.ana.pk}/change/"
    admin.post(url, {"is_active": "on", "kind": "coach", "is_staff": "on", "email": "x@y.z"})
    ana = Person.objects.get(pk=personas.ana.pk)
    assert (ana.kind, ana.is_staff, ana.email, ana.is_active) == (
        "member",
        False,
        "ana@kith.test",
        True,
    )
    assert admin.post("/ops/admin/teams/person/add/", {"username": "x"}).status_code == 403


def test_the_admin_sends_a_reset_mail_and_resets_two_steps(
    personas, operator, django_capture_on_commit_callbacks
):
    two_step(personas.ana)  # ana has an authenticator
    admin = two_step(operator)
    changelist = "/ops/admin/teams/person/"
    admin.post(changelist, {"action": "send_password_reset", "_selected_action": [personas.ana.pk]})
    (message,) = mail.outbox
    assert message.to == ["ana@kith.test"] and "/password-reset/" in message.body
    sent = AuditEntry.objects.get(action="person.password_reset_sent")
    assert sent.actor == operator
    admin.post(changelist, {"action": "reset_two_factor", "_selected_action": [personas.ana.pk]})
    from teams import two_factor

    assert not two_factor.enabled(personas.ana)
    entry = AuditEntry.objects.get(action="two_factor.reset")
    assert entry.actor == operator and entry.target == f"teams.person:{personas.ana.pk}"
