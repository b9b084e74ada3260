"""Ana's account on her phone: her API tokens, and signing out everywhere, which ends
the live page she left open in another browser at once."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.factories import api_token
from tests.frontend.browser.conftest import log_in, open_menu

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_revokes_a_token_and_signs_out_everywhere(personas, server, can_log_in, browser):
    can_log_in(personas.ana)
    api_token(personas.ana, name="Rota screen")
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    office = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

    # The office computer: the team page, live.
    log_in(office, server, "ana")
    expect(office).to_have_url(re.compile(r"/day/$"))
    expect(office.locator("#live-status")).to_have_text("Live")

    # Her phone: the account page lists the token, fits the screen, and revokes it.
    log_in(phone, server, "ana")
    open_menu(phone)
    phone.get_by_role("link", name="Account").click()
    expect(phone.get_by_role("heading", name="Your account")).to_be_visible()
    expect(phone.get_by_text("Rota screen")).to_be_visible()
    assert fits(phone)
    SHOTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(SHOTS / "account-ana.png"), full_page=True)
    phone.get_by_role("button", name=re.compile("Revoke")).click()
    expect(phone.get_by_text(re.compile("Token “Rota screen” .* revoked"))).to_be_visible()
    expect(phone.locator("[data-token]")).to_have_count(0)

    # Signing out everywhere ends the office's sign-in, and its open page says so.
    phone.get_by_role("button", name="Sign out everywhere").click()
    expect(phone).to_have_url(re.compile(r"/login/"))
    expect(office.locator("#live-status")).to_have_text(re.compile("Signed out"), timeout=10000)
    office.screenshot(path=str(SHOTS / "signed-out-office.png"))
    office.reload()
    expect(office).to_have_url(re.compile(r"/login/"))
