"""Kith on a phone with no signal: an installable app (manifest, service worker) that
keeps the nurse's own day readable offline and nothing of anyone's after sign-out, and
an outbox that keeps what she records until the signal returns, then sends it once, in
order, and lets her decide a conflict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from care.models import LedgerEntry, Visit
from care.services import visits as visit_services
from tests.care.visit_helpers import begun_today, direct_payment, intervention, jansen_client, plan
from tests.frontend.browser.conftest import PHONE, log_in, open_menu
from tests.frontend.omaha import ensure_omaha_reference

SHOTS = Path("/tmp/shots")
REGISTERED = "() => navigator.serviceWorker.getRegistrations().then((r) => r.length)"
OUTBOX_COUNT = """() => new Promise((done) => {
  const opened = indexedDB.open("kith-outbox");
  opened.onsuccess = () => {
    const db = opened.result;
    if (!db.objectStoreNames.contains("items")) return done(0);
    const count = db.transaction("items").objectStore("items").count();
    count.onsuccess = () => done(count.result);
  };
})"""


def hallway(personas):
    """Ana's visit to Mrs Jansen began twenty minutes ago; the plan names one line."""
    ensure_omaha_reference()  # browser tests flush the database between them
    client = jansen_client(personas)
    direct_payment(personas.ana, client)
    start = begun_today()
    visit = plan(personas.ana, client, start, 20, assignee=personas.ana)
    visit.interventions.add(intervention(client, personas.ana))
    return visit


def signed_in(browser, server, person):
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB")
    page = context.new_page()
    log_in(page, server, person)
    expect(page).to_have_url(f"{server}/day/")
    # The worker holds her day and its sheets.
    page.wait_for_function("() => document.documentElement.dataset.dayKept === 'true'")
    return context, page


def go_offline(context, page):
    context.set_offline(True)
    # An open socket may outlive the emulated loss of signal (FIELD-NOTES.md): the page
    # is told by the browser's offline event, which live.js and outbox.js follow.
    expect(page.locator("#live-status")).to_have_text("Offline")


def record_offline(page, visit):
    page.get_by_role("link", name="Done…").first.tap()
    sheet = page.locator(f"#sheet-{visit.pk}")
    expect(sheet.get_by_role("button", name="Save")).to_be_visible()
    sheet.get_by_role("button", name="Save").tap()
    expect(sheet.get_by_text("saved on this phone")).to_be_visible()
    expect(page.locator("#outbox-status")).to_have_text("Saved on this phone (1 waiting)")


def test_an_installable_app_whose_worker_keeps_the_shell(personas, server, can_log_in, browser):
    hallway(personas)
    can_log_in(personas.ana)
    _context, page = signed_in(browser, server, "ana")
    href = page.locator("link[rel=manifest]").get_attribute("href")
    manifest = json.loads(page.request.get(f"{server}{href}").text())
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"] if icon["type"] == "image/png"}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert page.request.get(f"{server}{icon['src']}").ok
    scope = page.evaluate("() => navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == f"{server}/"
    kept = page.evaluate("() => caches.keys()")
    assert "kith-day" in kept and any(name.startswith("workbox-precache") for name in kept)


def test_recorded_offline_kept_across_a_reload_and_sent_once_when_the_signal_returns(
    personas, server, can_log_in, browser
):
    visit = hallway(personas)
    can_log_in(personas.ana)
    context, page = signed_in(browser, server, "ana")
    go_offline(context, page)
    record_offline(page, visit)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "offline-saved-ana.png"), full_page=True)
    assert Visit.objects.get(pk=visit.pk).status == "assigned"

    # Still no signal: the day comes from the phone, the outbox and its status survive.
    page.reload()
    expect(page.get_by_role("heading", name="Next: Wilma Jansen")).to_be_visible()
    expect(page.get_by_text("No signal: this is your day as this phone kept it")).to_be_visible()
    expect(page.locator("#outbox-status")).to_have_text("Saved on this phone (1 waiting)")
    expect(page.locator(f"[data-visit='{visit.pk}'] .outbox-tag").first).to_be_visible()
    # A page the phone does not keep says so, with the way back to her day.
    page.goto(f"{server}/teams/noord/")
    expect(page.get_by_role("heading", name="No signal")).to_be_visible()
    expect(page.locator("#outbox-status")).to_have_text("Saved on this phone (1 waiting)")
    page.screenshot(path=str(SHOTS / "offline-page-ana.png"))
    page.get_by_role("link", name="My day").tap()
    expect(page.get_by_role("heading", name="Next: Wilma Jansen")).to_be_visible()

    context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_text("All sent: on the server", timeout=20000)
    done = Visit.objects.get(pk=visit.pk)
    assert done.status == "done" and done.finished_by == personas.ana
    assert LedgerEntry.objects.filter(visit=done).count() == 1
    # Once, whatever happens next: a reload sends nothing more.
    page.reload()
    expect(page.locator("#outbox-status")).to_have_text("On the server")
    assert LedgerEntry.objects.filter(visit=done).count() == 1
    page.screenshot(path=str(SHOTS / "offline-sent-ana.png"))


def stuck(personas, server, can_log_in, browser, meanwhile):
    """Ana records her visit with no signal; ``meanwhile`` Ben changes it on the
    server; the signal returns and her record cannot be sent as it stands."""
    visit = hallway(personas)
    can_log_in(personas.ana)
    context, page = signed_in(browser, server, "ana")
    go_offline(context, page)
    record_offline(page, visit)
    fresh = Visit.objects.get(pk=visit.pk)
    meanwhile(actor=personas.ben, visit=fresh, version=fresh.version)
    context.set_offline(False)
    expect(page.locator("#outbox-status")).to_have_text("Could not send: see why", timeout=20000)
    return visit, context, page


def test_a_conflict_on_the_way_back_is_shown_and_the_nurse_decides(
    personas, server, can_log_in, browser
):
    # Meanwhile Ben took the visit over on the board.
    visit, _context, page = stuck(
        personas,
        server,
        can_log_in,
        browser,
        lambda **change: visit_services.visit_assign(person=personas.ben, **change),
    )
    status = page.locator("#outbox-status")
    panel = page.locator("#outbox-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("alert")).to_contain_text("Ben")
    page.screenshot(path=str(SHOTS / "offline-conflict-ana.png"), full_page=True)
    assert Visit.objects.get(pk=visit.pk).status == "assigned"
    # She discards hers: nothing is sent, nothing waits.
    page.once("dialog", lambda dialog: dialog.accept())
    panel.get_by_role("button", name="Discard it").tap()
    expect(status).to_have_text("On the server")
    kept = Visit.objects.get(pk=visit.pk)
    assert kept.status == "assigned" and kept.assignee == personas.ben
    assert not LedgerEntry.objects.filter(visit=kept).exists()


def test_signing_out_warns_of_what_waits_and_leaves_nothing_on_the_phone(
    personas, server, can_log_in, browser
):
    _visit, context, page = stuck(
        personas, server, can_log_in, browser, visit_services.visit_cancel
    )

    open_menu(page)
    # The question comes after the tap (outbox.js looks first): the tap waits for nothing.
    with page.expect_event("dialog") as asking:
        page.get_by_role("button", name="Sign out").click(no_wait_after=True)
    dialog = asking.value
    assert dialog.message == (
        "1 change is saved on this phone and not yet sent. Signing out throws it away."
        " Sign out anyway?"
    )
    dialog.dismiss()
    expect(page.locator("#outbox-status")).to_have_text("Could not send: see why")
    assert page.url == f"{server}/day/"

    page.once("dialog", lambda dialog: dialog.accept())
    open_menu(page)
    page.get_by_role("button", name="Sign out").click(no_wait_after=True)
    expect(page).to_have_url(f"{server}/login/", timeout=15000)
    assert page.evaluate("() => caches.keys()") == []
    assert page.evaluate(REGISTERED) == 0
    assert page.evaluate(OUTBOX_COUNT) == 0
    # Offline now, her day is not on the phone for whoever holds it next.
    context.set_offline(True)
    with pytest.raises(PlaywrightError, match="ERR_INTERNET_DISCONNECTED"):
        page.goto(f"{server}/day/")
