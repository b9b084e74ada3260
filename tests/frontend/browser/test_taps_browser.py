"""Every tap that writes shows it is being saved, and what came of it, in words: a slow
answer leaves the button disabled and saying "Saving…"; no signal says "Not saved",
keeps what was typed, and the same tap sends it when the signal is back (a form the
outbox keeps says "saved on this phone" instead: test_offline_browser.py)."""

from __future__ import annotations

import time

from playwright.sync_api import expect

from care.models import Visit
from tests.care.visit_helpers import begun_today, jansen_client, plan
from tests.frontend.browser.conftest import PHONE, log_in, open_team


def _sheet(personas, server, can_log_in, browser):
    client = jansen_client(personas)
    start = begun_today()
    visit = plan(personas.ana, client, start, 20, assignee=personas.ana)
    can_log_in(personas.ana)
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB")
    ana = context.new_page()
    log_in(ana, server, "ana")
    ana.get_by_role("link", name="Done…").first.tap()
    sheet = ana.locator(f"#sheet-{visit.pk}")
    expect(sheet.get_by_role("button", name="Save")).to_be_visible()
    return context, ana, sheet, visit


def test_a_slow_save_says_saving_at_once(personas, server, can_log_in, browser):
    context, ana, sheet, visit = _sheet(personas, server, can_log_in, browser)

    def slowly(route):
        time.sleep(1.5)  # a slow connection
        route.continue_()

    ana.route("**/done/", slowly)
    sheet.get_by_role("button", name="Save").tap()
    button = sheet.locator("[data-action=save-done]")
    expect(button).to_have_text("Saving…", timeout=500)
    expect(button).to_be_disabled()
    expect(ana.get_by_text("Wilma Jansen: recorded done")).to_be_visible(timeout=10000)
    assert Visit.objects.get(pk=visit.pk).status == "done"


def test_no_signal_says_not_saved_and_the_same_tap_sends_it_later(
    personas, server, can_log_in, browser
):
    """A form the outbox does not keep (the team's details; a visit's record sheet is
    kept and sent later, test_offline_browser.py) says it was not saved, keeps what
    was typed, and the same tap sends it once the signal is back."""
    can_log_in(personas.ana)
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB")
    ana = context.new_page()
    log_in(ana, server, "ana")
    open_team(ana)
    ana.get_by_role("link", name="Edit details").tap()
    ana.get_by_label("Phone").fill("0570 333 333")
    context.set_offline(True)
    ana.get_by_role("button", name="Save").tap()
    form = ana.locator("form", has=ana.get_by_label("Phone"))
    expect(form.get_by_role("alert")).to_contain_text("Not saved: Kith could not be reached")
    expect(form.get_by_role("button", name="Save")).to_be_enabled()
    expect(ana.get_by_label("Phone")).to_have_value("0570 333 333")
    personas.noord.refresh_from_db()
    assert personas.noord.phone != "0570 333 333"
    context.set_offline(False)
    form.get_by_role("button", name="Save").tap()
    expect(ana.get_by_text("Saved.")).to_be_visible()
    personas.noord.refresh_from_db()
    assert personas.noord.phone == "0570 333 333"
