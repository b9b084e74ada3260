"""Two-step sign-in: setting it up (QR code, first code, recovery codes once), signing
in with a code after the password at every door, codes refused when wrong or reused
and counted towards the lockout, recovery codes used once, turning it off, and a
deployment that requires it."""

from __future__ import annotations

import base64
import datetime
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from coordination.consumers import _signed_in
from teams import two_factor
from teams.models import AuditEntry
from tests.doors import page_text, two_step
from tests.factories import PASSWORD, api_token

pytestmark = pytest.mark.django_db

# A moment in the middle of a 30-second step, so "the next code" is one step on.
START = datetime.datetime(2026, 3, 2, 9, 0, 10, tzinfo=datetime.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def pages(person) -> Client:
    browser = Client()
    browser.force_login(person)
    return browser


def signed_in(browser: Client) -> bool:
    return browser.get("/account/").status_code == 200


def setup_key(browser: Client) -> TOTPDevice:
    """The authenticator the set-up page shows (its key, as the QR code carries it)."""
    page = browser.get("/account/two-factor/setup/")
    shown = re.search(r'id="secret">([A-Z2-7 ]+)</code>', page.content.decode())
    return TOTPDevice(key=base64.b32decode(shown.group(1).replace(" ", "")).hex())


def first_code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def enrol(browser: Client) -> tuple[TOTPDevice, list[str]]:
    """Set up two-step sign-in through the pages; the device and the recovery codes."""
    shown = setup_key(browser)
    response = browser.post(
        "/account/two-factor/setup/", {"code": first_code(shown), "password": PASSWORD}
    )
    assert response.status_code == 200, page_text(response)
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return TOTPDevice.objects.get(confirmed=True, key=shown.key), codes


def password_step(username="ana", password=PASSWORD, **extra) -> tuple[Client, object]:
    browser = Client()
    response = browser.post("/login/", {"username": username, "password": password, **extra})
    return browser, response


@pytest.fixture
def ana_with_app(personas, clock):
    device, codes = enrol(pages(personas.ana))
    clock.shift(30)  # the code used to set it up is spent
    return SimpleNamespace(device=device, codes=codes)


# --- setting it up ----------------------------------------------------------------------------


def test_setting_up_shows_a_qr_code_then_recovery_codes_once(personas, clock):
    browser = pages(personas.ana)
    elsewhere = pages(personas.ana)
    page = browser.get("/account/two-factor/setup/")
    text = page.content.decode()
    assert page.status_code == 200 and "<svg" in text and "data:" not in text
    device = setup_key(browser)
    # The same key (and QR code) on a reload, until it is confirmed; nothing is saved.
    assert setup_key(browser).key == device.key
    assert not TOTPDevice.objects.exists()

    wrong = browser.post("/account/two-factor/setup/", {"code": "000000", "password": PASSWORD})
    assert wrong.status_code == 400 and "not right" in page_text(wrong)
    no_password = browser.post(
        "/account/two-factor/setup/", {"code": first_code(device), "password": "no"}
    )
    assert no_password.status_code == 400 and "not your password" in page_text(no_password)
    assert not two_factor.enabled(personas.ana)

    device, codes = enrol(browser)
    assert device.confirmed and len(codes) == 10 == len(set(codes))
    assert signed_in(browser)  # this session stays, verified
    assert not signed_in(elsewhere)  # the others signed in with one step
    assert AuditEntry.objects.filter(action="two_factor.enabled", actor=personas.ana).exists()
    assert "On:" in page_text(browser.get("/account/"))
    status = page_text(browser.get("/account/two-factor/"))
    assert "<strong>10</strong> recovery codes left" in status
    assert not any(code in status for code in codes)  # shown once only
    # Nothing to set up twice.
    assert browser.get("/account/two-factor/setup/")["Location"] == "/account/two-factor/"


# --- signing in -------------------------------------------------------------------------------


def test_the_password_alone_does_not_sign_in(personas, ana_with_app):
    browser, response = password_step()
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    # Navigating away does not skip the second step: nobody is signed in yet.
    assert browser.get("/account/")["Location"].startswith("/login/")
    assert browser.get("/teams/noord/")["Location"].startswith("/login/")
    assert browser.get("/api/v1/me").status_code in {401, 403}
    assert "Your sign-in code" in page_text(browser.get("/login/code/"))


def test_signing_in_with_a_code(personas, ana_with_app):
    browser, _ = password_step(next="/teams/noord/")
    response = browser.post("/login/code/", {"code": code_of(ana_with_app.device)})
    assert response.status_code == 302 and response["Location"] == "/teams/noord/"
    assert signed_in(browser)
    assert browser.get("/api/v1/me").json()["two_factor"] is True
    session = SessionStore(session_key=browser.cookies["sessionid"].value)
    person, _ = _signed_in(session)
    assert person == personas.ana  # the live socket opens


def test_a_reused_code_is_refused_and_the_next_one_works(personas, ana_with_app, clock):
    code = code_of(ana_with_app.device)
    first, _ = password_step()
    assert first.post("/login/code/", {"code": code}).status_code == 302
    second, _ = password_step()
    clock.shift(2)
    reused = second.post("/login/code/", {"code": code})
    assert reused.status_code == 400 and "used already" in page_text(reused)
    assert not signed_in(second)
    clock.shift(30)
    assert second.post("/login/code/", {"code": code_of(ana_with_app.device)}).status_code == 302
    assert signed_in(second)


def test_wrong_codes_count_towards_the_lockout(personas, ana_with_app, clock):
    browser, _ = password_step()
    for _ in range(5):
        clock.shift(60)  # past the device's own throttle, so each try is checked
        response = browser.post("/login/code/", {"code": "123456"})
    assert response.status_code == 429 and "Too many failed sign-ins" in page_text(response)
    # Locked out: a right code waits too, and so does the password.
    clock.shift(30)
    refused = browser.post("/login/code/", {"code": code_of(ana_with_app.device)})
    assert refused.status_code == 429 and not signed_in(browser)
    assert password_step()[1].status_code == 429


def test_the_devices_throttle_asks_to_wait(personas, ana_with_app, clock):
    browser, _ = password_step()
    browser.post("/login/code/", {"code": "123456"})
    browser.post("/login/code/", {"code": "123456"})
    response = browser.post("/login/code/", {"code": code_of(ana_with_app.device)})
    assert response.status_code == 400 and "wait" in page_text(response)
    clock.shift(5)
    assert browser.post("/login/code/", {"code": code_of(ana_with_app.device)}).status_code == 302


def test_a_recovery_code_works_once(personas, ana_with_app):
    code = ana_with_app.codes[0]
    browser, _ = password_step()
    response = browser.post("/login/code/", {"code": code.upper()}, follow=True)
    assert signed_in(browser) and "9 left" in page_text(response)
    assert AuditEntry.objects.filter(action="two_factor.recovery_code_used").exists()
    again, _ = password_step()
    assert again.post("/login/code/", {"code": code}).status_code == 400
    assert not signed_in(again)


def test_the_code_step_expires(personas, ana_with_app, clock):
    browser, _ = password_step()
    clock.shift(11 * 60)
    response = browser.post("/login/code/", {"code": code_of(ana_with_app.device)})
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert not signed_in(browser)


def test_the_code_step_without_a_password_step_leads_to_sign_in(db):
    assert Client().get("/login/code/")["Location"] == "/login/"


def test_a_session_that_skipped_the_second_step_is_not_signed_in(personas, ana_with_app):
    """A session signed in some other way (a shell, a test's force_login) with no
    device verifying it counts as anonymous at every door."""
    browser = pages(personas.ana)
    assert browser.get("/account/")["Location"].startswith("/login/")
    assert browser.get("/api/v1/me").status_code in {401, 403}
    session = SessionStore(session_key=browser.cookies["sessionid"].value)
    person, _ = _signed_in(session)
    assert not person.is_authenticated


def test_a_token_needs_a_code_too(personas, ana_with_app, clock):
    url = "/api/v1/auth/token"
    missing = APIClient().post(url, {"username": "ana", "password": PASSWORD}, format="json")
    assert missing.status_code == 400 and "code" in missing.json()["extra"]["fields"]
    wrong = APIClient().post(
        url, {"username": "ana", "password": PASSWORD, "code": "000000"}, format="json"
    )
    assert wrong.status_code == 400
    clock.shift(60)
    made = APIClient().post(
        url,
        {"username": "ana", "password": PASSWORD, "code": code_of(ana_with_app.device)},
        format="json",
    )
    assert made.status_code == 200 and "token" in made.json()


# --- recovery codes and turning it off ------------------------------------------------------


def test_new_recovery_codes_replace_the_old(personas, ana_with_app):
    browser = two_step(personas.ana)
    refused = browser.post("/account/two-factor/recovery-codes/", {"password": "no"})
    assert refused.status_code == 400
    response = browser.post("/account/two-factor/recovery-codes/", {"password": PASSWORD})
    new = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(ana_with_app.codes)
    assert set(StaticToken.objects.values_list("token", flat=True)) == set(new)
    assert AuditEntry.objects.filter(action="two_factor.recovery_codes_renewed").exists()
    assert signed_in(browser)


def test_turning_it_off_needs_the_password_and_a_code(personas, ana_with_app, clock):
    browser = two_step(personas.ana)
    no_code = browser.post("/account/two-factor/disable/", {"password": PASSWORD, "code": "1"})
    assert no_code.status_code == 400 and two_factor.enabled(personas.ana)
    clock.shift(60)
    no_password = browser.post(
        "/account/two-factor/disable/", {"password": "no", "code": code_of(ana_with_app.device)}
    )
    assert no_password.status_code == 400 and two_factor.enabled(personas.ana)
    done = browser.post(
        "/account/two-factor/disable/", {"password": PASSWORD, "code": code_of(ana_with_app.device)}
    )
    assert done.status_code == 302 and not two_factor.enabled(personas.ana)
    assert signed_in(browser)
    assert AuditEntry.objects.filter(action="two_factor.disabled", actor=personas.ana).exists()
    _, response = password_step()
    assert response.status_code == 302 and response["Location"] == "/"


def test_nobody_turns_off_anothers_two_steps(personas, ana_with_app, clock):
    """Every two-step page acts on the signed-in person's own account."""
    ben = pages(personas.ben)
    response = ben.post(
        "/account/two-factor/disable/", {"password": PASSWORD, "code": code_of(ana_with_app.device)}
    )
    assert response.status_code == 400
    assert two_factor.enabled(personas.ana)
    ben.post("/account/two-factor/recovery-codes/", {"password": PASSWORD})
    assert StaticToken.objects.filter(device__user=personas.ana).count() == 10


# --- required by the deployment ---------------------------------------------------------------


@pytest.fixture
def members_must(settings):
    settings.REQUIRE_TWO_FACTOR = ["members"]


def test_a_member_must_set_it_up_before_anything_else(personas, members_must, clock):
    browser = pages(personas.ana)
    response = browser.get("/teams/noord/")
    assert response.status_code == 302 and response["Location"] == "/account/two-factor/"
    assert "requires two-step sign-in" in page_text(browser.get("/account/two-factor/"))
    hx = browser.get("/teams/noord/", headers={"HX-Request": "true"})
    assert hx.status_code == 204 and hx["HX-Redirect"] == "/account/two-factor/"
    api = browser.get("/api/v1/me")
    assert api.status_code == 403 and "two-step" in api.json()["message"]
    session = SessionStore(session_key=browser.cookies["sessionid"].value)
    assert not _signed_in(session)[0].is_authenticated
    token = APIClient().post(
        "/api/v1/auth/token", {"username": "ana", "password": PASSWORD}, format="json"
    )
    assert token.status_code == 403
    # A coach is not required to; after setting it up, the member goes on.
    assert pages(personas.coach).get("/account/").status_code == 200
    enrol(browser)
    assert browser.get("/teams/noord/").status_code == 200
    # And may not turn it off.
    refused = browser.post("/account/two-factor/disable/", {"password": PASSWORD, "code": "x"})
    assert refused.status_code == 400 and two_factor.enabled(personas.ana)


def test_sign_out_stays_open_to_a_member_who_must_set_it_up(personas, members_must):
    browser = pages(personas.ana)
    assert browser.post("/logout/").status_code == 302
    assert not signed_in(browser)


def test_an_unknown_requirement_stops_the_start():
    import os
    import subprocess
    import sys

    env = {**os.environ, "KITH_REQUIRE_TWO_FACTOR": "members,managers"}
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings'; django.setup()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "KITH_REQUIRE_TWO_FACTOR names managers" in result.stderr


# --- the operator's reset ---------------------------------------------------------------------


def test_an_operators_reset_ends_the_sessions_the_lost_phone_verified(personas, ana_with_app):
    from teams.models import Person
    from teams.services.two_factor import two_factor_reset

    browser = two_step(personas.ana)
    raw = api_token(personas.ana)
    operator = Person.objects.create(username="op", is_staff=True)
    with pytest.raises(PermissionDenied):
        two_factor_reset(actor=personas.ana, person=personas.ana)  # her own: the page's
    assert two_factor_reset(actor=operator, person=personas.ana)
    assert not two_factor.enabled(personas.ana)
    assert not signed_in(browser)
    # Tokens are separate credentials: they stay (the person may revoke them).
    assert APIClient(headers={"Authorization": f"Token {raw}"}).get("/api/v1/me").status_code == 200
    _, response = password_step()
    assert response["Location"] == "/"


def test_a_deactivated_person_is_refused_after_the_password(personas, ana_with_app):
    personas.ana.is_active = False
    personas.ana.save()
    _, response = password_step()
    assert response.status_code == 200 and "/login/code/" not in response.get("Location", "")


def test_a_first_code_from_the_step_before_does_not_shift_the_window(personas, clock):
    """An app a step behind at set-up (a code typed as the step turned) is one reading,
    not a drifting clock: the next sign-in takes the app's code a step ahead too."""
    browser = pages(personas.ana)
    shown = setup_key(browser)
    behind = f"{totp(shown.bin_key, t0=30):06d}"
    response = browser.post("/account/two-factor/setup/", {"code": behind, "password": PASSWORD})
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=personas.ana)
    assert device.drift == 0
    signing_in, _ = password_step()
    ahead = f"{totp(shown.bin_key, t0=-30):06d}"
    assert signing_in.post("/login/code/", {"code": ahead}).status_code == 302
    again, _ = password_step()
    assert again.post("/login/code/", {"code": behind}).status_code == 400  # its step is spent
