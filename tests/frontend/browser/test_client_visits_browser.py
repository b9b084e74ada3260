"""A nurse on her phone plans a visit to a client and records it done; the budget's
statement on the same page follows through its socket."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from care.models import LedgerEntry, Visit
from tests.care.visit_helpers import direct_payment, jansen_client
from tests.frontend.browser.conftest import PHONE, log_in

SHOTS = Path("/tmp/shots")


def test_a_member_plans_a_visit_and_records_it_done(personas, server, can_log_in, browser):
    client = jansen_client(personas)
    direct_payment(personas.ana, client)
    # A visit earlier today (on the hour, so its half-hour window stays within the day).
    start = timezone.localtime() - datetime.timedelta(hours=3)
    start = start.replace(minute=0, second=0, microsecond=0)
    can_log_in(personas.ana)
    ana = browser.new_context(
        viewport=PHONE, device_scale_factor=2, has_touch=True, locale="en-GB"
    ).new_page()
    refused = []
    ana.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    log_in(ana, server, "ana")
    ana.goto(f"{server}/clients/{client.pk}/")
    expect(ana.locator("#live-status")).to_have_text("Live")
    visits = ana.locator("#visits")
    expect(visits).to_contain_text("No visits recorded as done in the last 4 weeks.")

    visits.get_by_text("Plan a visit").click()
    form = ana.locator("#plan-visit form")
    form.get_by_label("Day").fill(start.date().isoformat())
    form.get_by_label("Arriving from").fill(f"{start:%H:%M}")
    form.get_by_label("Arriving by").fill(f"{start + datetime.timedelta(minutes=30):%H:%M}")
    form.get_by_label("Expected minutes").fill("30")
    form.get_by_label("Tasks (optional)").fill("Help with lunch; evening tablets")
    form.get_by_label("Who is going (optional)").select_option(label="Ana de Vries")
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana.locator("#plan-visit").screenshot(
        path=str(SHOTS / "client-visit-plan-form.png"), caret="initial"
    )
    form.get_by_role("button", name="Plan the visit").click()
    expect(visits.get_by_role("status")).to_contain_text("is planned")
    visit = Visit.objects.get(client=client)
    item = ana.locator(f"#visit-{visit.pk}")
    expect(item).to_contain_text("Ana de Vries (you)")
    expect(item.locator(".tag")).to_have_text("Assigned")

    item.locator(".visit-more > summary").click()  # what can be done, behind one tap
    item.get_by_text("Record as done").click()
    record = item.locator(f"#finish-{visit.pk} form")
    expect(record.get_by_label("Arrived")).to_have_value(f"{start:%Y-%m-%dT%H:%M}")
    record.get_by_label("What was done").fill("Lunch together; tablets set out")
    record.get_by_label("Anything to note (optional)").fill("A bit breathless on the stairs")
    SHOTS.mkdir(parents=True, exist_ok=True)
    item.screenshot(path=str(SHOTS / "client-visit-record-form.png"), caret="initial")
    record.get_by_role("button", name="Record the visit").click()

    expect(visits.get_by_role("status")).to_contain_text("Recorded as done: 30 minutes.")
    expect(item.locator(".tag")).to_have_text("Done")
    expect(item).to_contain_text("Lunch together; tablets set out")
    expect(visits.locator("[data-continuity]")).to_have_text(
        "1 different carer in the last 4 weeks; 100% of visits by the two most frequent."
    )
    # The budget section was not touched: its own event refreshed it.
    budget = ana.locator("#budget")
    expect(budget.locator('[data-figure="delivered"]')).to_have_text("£15.00", timeout=5000)
    expect(budget.locator(".ledger")).to_contain_text("−£15.00")
    assert LedgerEntry.objects.get(visit=visit).amount == Decimal("-15.00")
    assert Visit.objects.get(pk=visit.pk).status == "done"
    assert refused == []

    visits.screenshot(path=str(SHOTS / "client-visits.png"), caret="initial")
    visits.get_by_text("Start a repeating series").click()
    ana.locator("#start-series").screenshot(
        path=str(SHOTS / "client-visit-series-form.png"), caret="initial"
    )
    budget.get_by_text("Add to the ledger").click()
    budget.screenshot(path=str(SHOTS / "client-budget.png"), caret="initial")
    ana.screenshot(path=str(SHOTS / "client-page-visits.png"), full_page=True, caret="initial")
