"""A nurse signs in on her phone, lands on her day and records her visit done in two
taps, with the plan's line ticked; it is done on the server once, the budget debited
once from the recorded times."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from care.models import LedgerEntry, Visit, VisitIntervention
from tests.care.visit_helpers import begun_today, direct_payment, intervention, jansen_client, plan
from tests.frontend.browser.conftest import PHONE, log_in
from tests.frontend.omaha import ensure_omaha_reference

SHOTS = Path("/tmp/shots")


def test_from_my_day_to_a_recorded_visit_in_at_most_three_taps(
    personas, server, can_log_in, browser
):
    ensure_omaha_reference()  # browser tests flush the database between them
    client = jansen_client(personas)
    direct_payment(personas.ana, client)
    # Her visit began twenty minutes ago: she taps "Done" in the hallway.
    start = begun_today()
    visit = plan(personas.ana, client, start, 20, assignee=personas.ana)
    line = intervention(client, personas.ana)
    visit.interventions.add(line)
    can_log_in(personas.ana)
    ana = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB").new_page()
    log_in(ana, server, "ana")
    expect(ana).to_have_url(f"{server}/day/")
    expect(ana.get_by_role("heading", name="Next: Wilma Jansen")).to_be_visible()

    taps = 0
    ana.get_by_role("link", name="Done…").first.tap()
    taps += 1
    sheet = ana.locator(f"#sheet-{visit.pk}")
    expect(sheet.get_by_label(line.target.name, exact=False)).to_be_checked()
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana.screenshot(path=str(SHOTS / "my-day-sheet-ana.png"), full_page=True)
    sheet.get_by_role("button", name="Save").tap()
    taps += 1
    expect(ana.get_by_text("Wilma Jansen: recorded done")).to_be_visible()
    assert taps <= 3

    done = Visit.objects.get(pk=visit.pk)
    assert done.status == "done" and done.finished_by == personas.ana
    assert done.actual_end > done.actual_start
    assert LedgerEntry.objects.filter(visit=done).count() == 1
    assert list(VisitIntervention.objects.values_list("intervention", "done")) == [(line.pk, True)]
    ana.screenshot(path=str(SHOTS / "my-day-recorded-ana.png"), full_page=True)
