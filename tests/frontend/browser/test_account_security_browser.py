"""On a phone: Ana forgot her password and resets it from the mail the live server
sent; Ben sets up two-step sign-in and signs in with a code. The live daphne runs in
another process, so its mail goes to files (EMAIL_URL=file://...) that the test reads."""

from __future__ import annotations

import base64
import email
import email.policy
import re
from pathlib import Path

import pytest
from django.db import connection
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.factories import PASSWORD
from tests.frontend.browser.conftest import PHONE, log_in, open_menu
from tests.servers import Servers, database_url, free_port, server_env

SHOTS = Path("/tmp/shots-accounts")
NEW_PASSWORD = "a long new passphrase 42"
SEPARATOR = "\n" + "-" * 79 + "\n"


@pytest.fixture
def site(transactional_db, settings, tmp_path):
    """One daphne whose mail lands in files, its links on its own address."""
    port = free_port()
    outbox = tmp_path / "mail"
    env = server_env(
        database_url=database_url(connection.settings_dict),
        redis_url=settings.REDIS_URL,
        secret_key=settings.SECRET_KEY,
    )
    env.update(EMAIL_URL=f"file://{outbox}", KITH_SITE_URL=f"http://127.0.0.1:{port}")
    servers = Servers(env, tmp_path)
    (server,) = servers.start("web", port=port)
    yield server.url, outbox
    servers.stop_all()


def messages_in(outbox: Path) -> list[email.message.EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.log")) if outbox.exists() else []:
        for raw in path.read_bytes().decode().split(SEPARATOR):
            if raw.strip():
                found.append(email.message_from_string(raw.strip(), policy=email.policy.default))
    return found


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    assert fits(page), f"{name} is wider than the phone"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_forgotten_password_is_reset_from_the_mail(personas, site, can_log_in, browser):
    base, outbox = site
    can_log_in(personas.ana)
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{base}/login/")
    shot(page, "01-sign-in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    shot(page, "02-reset-form")
    page.get_by_label("Email address").fill("ana@kith.test")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    shot(page, "03-reset-sent")

    (message,) = messages_in(outbox)
    assert message["To"] == "ana@kith.test"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = re.search(rf"{re.escape(base)}/password-reset/\S+", text).group(0)
    assert link in html

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    shot(page, "04-reset-choose")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my new password").click()
    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    shot(page, "05-reset-done")

    # The link worked once.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    shot(page, "06-reset-used")

    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/day/$"))


def test_two_step_sign_in_is_set_up_and_used(personas, site, can_log_in, browser):
    base, _ = site
    can_log_in(personas.ben)
    page = browser.new_context(viewport=PHONE).new_page()
    log_in(page, base, "ben")
    expect(page).to_have_url(re.compile(r"/day/$"))
    open_menu(page)
    page.get_by_role("link", name="Account").click()
    shot(page, "07-account")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    shot(page, "08-two-factor-off")
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "09-two-factor-setup")

    key = base64.b32decode(page.locator("#secret").inner_text().replace(" ", ""))
    page.get_by_label("The 6-digit code your app shows").fill(f"{totp(key):06d}")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "10-recovery-codes")
    page.get_by_role("link", name="I have kept them").click()
    shot(page, "11-two-factor-on")

    open_menu(page)
    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login/"))
    log_in(page, base, "ben")
    expect(page.get_by_role("heading", name="Your sign-in code")).to_be_visible()
    # Going elsewhere does not skip the step.
    page.goto(f"{base}/teams/noord/")
    expect(page).to_have_url(re.compile(r"/login/"))
    log_in(page, base, "ben")
    shot(page, "12-sign-in-code")
    # The code of the next step: the set-up's own code cannot be used twice, and an
    # app a step ahead is allowed for.
    page.get_by_label("Code").fill(f"{totp(key, t0=-30):06d}")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/day/$"))

    for path, name in [
        ("/account/email/", "13-email-change"),
        ("/account/close/", "14-close-account"),
    ]:
        page.goto(f"{base}{path}")
        shot(page, name)
