"""Two members of team Noord on their phones: one edits, the other sees it live."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from tests.frontend.browser.conftest import log_in, open_team

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def test_a_change_by_one_member_appears_live_on_the_others_team_page(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana, personas.ben)
    ana = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    ben = browser.new_context(viewport={"width": 390, "height": 844}).new_page()

    log_in(ana, server, "ana")
    open_team(ana)
    expect(ana).to_have_url(re.compile(r"/teams/noord/$"))
    expect(ana.get_by_role("heading", name="Team Noord")).to_be_visible()
    expect(ana.locator("#live-status")).to_have_text("Live")

    log_in(ben, server, "ben")
    open_team(ben)
    ben.get_by_role("link", name="Edit details").click()
    ben.get_by_label("Phone").fill("0570 640 640")
    ben.get_by_role("button", name="Save").click()
    expect(ben.get_by_text("Saved.")).to_be_visible()

    # Ana did nothing: her page updates through the socket, without a reload.
    expect(ana.locator('[data-field="phone"]')).to_have_text("0570 640 640", timeout=5000)
    expect(ana.locator("#activity")).to_contain_text("Ben Mulder updated the team's phone number")
    SHOTS.mkdir(exist_ok=True)
    ana.screenshot(path=str(SHOTS / "team-live-ana.png"), full_page=True)


def test_a_stale_edit_keeps_what_was_typed_and_shows_the_other_version(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana, personas.ben)
    ana = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    ben = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    log_in(ana, server, "ana")
    log_in(ben, server, "ben")
    open_team(ana)
    open_team(ben)
    ana.get_by_role("link", name="Edit details").click()
    ben.get_by_role("link", name="Edit details").click()
    ben.get_by_label("Phone").fill("0570 111 111")
    ben.get_by_role("button", name="Save").click()
    expect(ben.get_by_text("Saved.")).to_be_visible()

    # Ana's open form is left alone by the live refresh; her save meets the conflict.
    ana.get_by_label("Phone").fill("0570 222 222")
    ana.get_by_role("button", name="Save").click()
    expect(ana.get_by_role("alert")).to_contain_text(
        "The team's details changed since you opened them."
    )
    expect(ana.get_by_role("alert")).to_contain_text("0570 111 111")
    expect(ana.get_by_label("Phone")).to_have_value("0570 222 222")
    SHOTS.mkdir(exist_ok=True)
    ana.screenshot(path=str(SHOTS / "team-conflict-ana.png"), full_page=True)

    ana.get_by_role("button", name="Save").click()  # a deliberate overwrite
    expect(ana.get_by_text("Saved.")).to_be_visible()
    expect(ben.locator('[data-field="phone"]')).to_have_text("0570 222 222", timeout=5000)


def test_an_outsider_cannot_open_the_team_page(personas, server, can_log_in, page):
    can_log_in(personas.cas)
    log_in(page, server, "cas")
    expect(page).to_have_url(re.compile(r"/day/$"))
    response = page.goto(f"{server}/teams/noord/")
    assert response.status == 404


def test_a_page_that_lost_its_server_resumes_and_catches_up(personas, can_log_in, browser, servers):
    """The socket reconnects with backoff and replays what was published meanwhile."""
    from teams.services import details as detail_services

    can_log_in(personas.ana)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    (first,) = servers.start("first")
    log_in(page, first.url, "ana")
    open_team(page)
    expect(page.locator("#live-status")).to_have_text("Live")
    first.stop()
    # The server is gone: the page says so and keeps trying.
    expect(page.locator("#live-status")).to_have_text("Cannot reach Kith, retrying…", timeout=5000)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "team-offline-ana.png"))
    # Meanwhile ben changes the phone number (straight through the service).
    detail_services.team_update_details(
        actor=personas.ben, team=personas.noord, version=1, phone="0570 999 000"
    )
    servers.start("second", port=first.port)  # back on the address the page knows
    expect(page.locator("#live-status")).to_have_text("Live", timeout=30000)
    expect(page.locator('[data-field="phone"]')).to_have_text("0570 999 000", timeout=5000)
