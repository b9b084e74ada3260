"""The team's visits and personal budget on the client page.

Each form changes the data on its happy path; bad input comes back with the field
named and nothing saved (a recording refused after its visit was started in the same
request leaves the visit as it was); a stale version is a 409 showing the visit as it
is now; a double-submitted recording debits once; everyone outside the team gets 404
on every new address, with nothing written or logged; the sections' query counts stay
flat as visits pile up.
"""

from __future__ import annotations

import datetime
import html as html_lib
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.models import AccessLogEntry, Budget, Client, LedgerEntry, Visit, VisitSeries
from care.services import budgets as budget_services
from care.services import visits as visit_services
from frontend import writes
from tests.care.visit_helpers import NOW, at, deliver, intervention, jansen_client, plan
from tests.factories import ClientFactory, member

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TODAY = "2026-12-07"  # NOW is Monday 7 December 2026, 18:00 in London
TOMORROW = "2026-12-08"


def browser_as(person) -> Browser:
    browser = Browser()
    browser.force_login(person)
    return browser


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def world(personas):
    """Mrs Jansen (active, of Noord) with one visit planned for tomorrow morning and a
    four-weekly budget from 30 November."""
    client = jansen_client(personas)
    personas.client = client
    personas.visit = plan(personas.ana, client, at(TOMORROW, "08:00"))
    personas.budget = budget_services.budget_create(
        actor=personas.ana,
        client=client,
        kind="direct_payment",
        period="four_weekly",
        allocation=Decimal("1250.00"),
        hourly_rate=Decimal("30.00"),
        starts=datetime.date(2026, 11, 30),
        funder="Deventshire County Council",
    )
    return personas


def page(w, person=None, unfold=False) -> str:
    """The client page; ``unfold``: with the forms behind its closed disclosures."""
    query = "?unfold=1" if unfold else ""
    response = browser_as(person or w.ana).get(f"/clients/{w.client.pk}/{query}")
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, name: str) -> str:
    """The HTML of one section of the client page."""
    found = re.search(rf'<section class="card" id="{name}".*?</section>', html, re.S)
    assert found, name
    return found.group(0)


def visit_url(w, action: str, visit=None) -> str:
    return f"/clients/{w.client.pk}/visits/{(visit or w.visit).pk}/{action}/"


def reload(visit: Visit) -> Visit:
    return Visit.objects.get(pk=visit.pk)


def error_at(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field_id}">([^<]*)</p>', html)
    assert found, f"no message at {field_id}"
    return html_lib.unescape(found.group(1))


def snapshot():
    return (
        list(Visit.objects.order_by("pk").values_list("pk", "status", "version", "assignee")),
        VisitSeries.objects.count(),
        list(Budget.objects.order_by("pk").values_list("pk", "active", "allocation")),
        LedgerEntry.objects.count(),
    )


# --- what the sections show ------------------------------------------------------------------


def test_the_page_shows_visits_continuity_and_the_budget_in_plain_words(world):
    dora = member("dora", world.noord, first_name="Dora", last_name="Kamp")
    for who, day in (
        (world.ana, "2026-12-01"),
        (world.ana, "2026-12-02"),
        (world.ben, "2026-12-03"),
    ):
        deliver(who, world.client, at(day, "08:00"), 45)
    deliver(dora, world.client, at("2026-12-04", "08:00"), 60)
    html = page(world)
    visits = section(html, "visits")
    assert 'data-live-types="visit. visit_series."' in visits
    assert f'data-live-client="{world.client.pk}"' in visits
    assert (
        "3 different carers in the last 4 weeks; 75% of visits by the two most frequent." in visits
    )
    upcoming = visits.split('id="upcoming-h"')[1].split('id="recent-h"')[0]
    assert "Tue 8 Dec" in upcoming and "08:00–09:00" in upcoming
    assert "45 min expected" in upcoming and "nobody yet" in upcoming
    # What can be done to a visit is read when its disclosure is first opened.
    assert "Take it myself" not in upcoming and "Take or change" in upcoming
    whole = browser_as(world.ana).get(f"/clients/{world.client.pk}/sections/visits/?unfold=1")
    whole = whole.content.decode()
    assert "Take it myself" in whole and "Assign to someone" in whole
    recent = visits.split('id="recent-h"')[1]
    assert recent.count('data-status="done"') == 4 and "Dora Kamp" in recent
    assert recent.index("Fri 4 Dec") < recent.index("Tue 1 Dec")  # the latest first

    budget = section(html, "budget")
    # Ledger entries are budget.entry_added: no event type starts with "ledger." (the
    # page named it while none was ever published; the house rule on live types holds).
    assert 'data-live-types="budget. visit."' in budget
    # Four visits: 45+45+45 minutes and 60 at £30.00 an hour = £97.50 + £30.00.
    assert '<dd data-figure="allocated">£1,250.00</dd>' in budget
    assert '<dd data-figure="delivered">£97.50</dd>' in budget
    assert '<dd data-figure="remaining">£1,152.50</dd>' in budget
    assert "£1,152.50 of your £1,250.00 for this four-week period is left." in budget
    assert "Direct Payment, funded by Deventshire County Council" in budget
    assert budget.count("<li data-entry=") == 4 and "−£30.00" in budget
    assert " style=" not in html and "<script>" not in html
    # The reads are logged as the client page's are.
    assert AccessLogEntry.objects.filter(person=world.ana, what="client page").count() == 1


def test_each_section_refreshes_on_its_own_and_the_read_is_logged(world):
    browser = browser_as(world.ana)
    for name in ("visits", "budget"):
        response = browser.get(f"/clients/{world.client.pk}/sections/{name}/", headers=HTMX)
        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith(f'<section class="card" id="{name}"')
        assert "<title>" not in html
    whats = AccessLogEntry.objects.filter(person=world.ana).values_list("what", "why")
    assert list(whats) == [("client page (live update)", "care team")] * 2


def test_without_a_budget_the_section_offers_to_set_one_up(personas):
    personas.client = jansen_client(personas)
    html = section(page(personas), "budget")
    assert "No budget is set up for Wilma Jansen." in html
    assert "Set up a budget" in html and "Add to the ledger" not in html


# --- planning ----------------------------------------------------------------------------------


def plan_form(**typed) -> dict:
    return {
        "date": TOMORROW,
        "window_start": "14:00",
        "window_end": "15:00",
        "expected_minutes": "30",
        "tasks": "Evening medication",
        "assignee": "",
    } | typed


def test_planning_a_visit(world):
    url = f"/clients/{world.client.pk}/visits/plan/"
    response = browser_as(world.ana).post(url, plan_form(assignee=str(world.ben.pk)), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The visit on Tue 8 Dec, 14:00–15:00 is planned." in html
    visit = Visit.objects.get(tasks="Evening medication")
    assert (visit.window_start, visit.window_end) == (at(TOMORROW, "14:00"), at(TOMORROW, "15:00"))
    assert (visit.expected_minutes, visit.assignee, visit.status) == (30, world.ben, "assigned")
    assert f'id="visit-{visit.pk}"' in html and "Ben Mulder" in html
    # Without JavaScript: back to the page, at the section.
    response = browser_as(world.ana).post(url, plan_form(tasks="Shopping"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{world.client.pk}/#visits"
    assert Visit.objects.get(tasks="Shopping").status == "planned"


@pytest.mark.parametrize("headers", [HTMX, {}], ids=["htmx", "no-js"])
def test_a_window_ending_before_it_starts_and_zero_minutes_are_refused_by_name(world, headers):
    before = snapshot()
    typed = plan_form(window_start="15:00", window_end="14:00", expected_minutes="0")
    response = browser_as(world.ana).post(
        f"/clients/{world.client.pk}/visits/plan/", typed, headers=headers
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, "plan-window-end") == "The window must end after it starts."
    assert error_at(html, "plan-expected-minutes") == "From 1 to 720 minutes."
    assert 'value="15:00"' in html and ">Evening medication</textarea>" in html
    assert 'id="plan-visit" open' in html and "data-editing" in section(html, "visits")
    assert snapshot() == before


def test_a_visit_without_a_day_or_for_a_stranger_is_refused(world):
    url = f"/clients/{world.client.pk}/visits/plan/"
    before = snapshot()
    response = browser_as(world.ana).post(url, plan_form(date=""), headers=HTMX)
    assert response.status_code == 400
    assert error_at(response.content.decode(), "plan-date") == "Required: the day of the visit."
    response = browser_as(world.ana).post(url, plan_form(assignee=str(world.cas.pk)), headers=HTMX)
    assert response.status_code == 400
    assert error_at(response.content.decode(), "plan-assignee") == (
        "Only a current member of the client's team can take this visit."
    )
    assert snapshot() == before


# --- a repeating series ----------------------------------------------------------------------


def series_form(**typed) -> dict:
    return {
        "weekdays": ["0", "3"],
        "window_start": "09:00",
        "window_end": "09:30",
        "expected_minutes": "30",
        "tasks": "Compression stockings",
        "starts": TODAY,
        "ends": "",
        "preferred_carers": [str(typed.pop("carer").pk)] if "carer" in typed else [],
    } | typed


def test_a_series_plans_four_weeks_and_one_day_of_it_changes(world):
    browser = browser_as(world.ana)
    response = browser.post(
        f"/clients/{world.client.pk}/visits/series/", series_form(carer=world.ben), headers=HTMX
    )
    assert response.status_code == 200
    # Mondays 7 Dec to 4 Jan (5) and Thursdays 10 to 31 Dec (4).
    assert "The series is set up: 9 visits planned for the next four weeks." in (
        response.content.decode()
    )
    series = VisitSeries.objects.get()
    visits = series.visits.order_by("series_date")
    assert [v.series_date.isoformat() for v in visits][:3] == [
        "2026-12-07",
        "2026-12-10",
        "2026-12-14",
    ]
    assert visits.count() == 9
    assert list(visits.first().preferred_carers.all()) == [world.ben]

    url = f"/clients/{world.client.pk}/visits/series/{series.pk}/exceptions/"
    response = browser.post(url, {"date": "2026-12-10", "change": "cancel", "note": "Hospital"})
    assert response.status_code == 302
    assert series.visits.get(series_date="2026-12-10").status == "cancelled"
    response = browser.post(
        url,
        {"date": "2026-12-14", "change": "move", "window_start": "10:00", "window_end": "11:00"},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "On Mon 14 Dec the visit is 10:00–11:00." in response.content.decode()
    moved = series.visits.get(series_date="2026-12-14")
    assert (moved.window_start, moved.window_end) == (
        at("2026-12-14", "10:00"),
        at("2026-12-14", "11:00"),
    )

    # A day the series has no visit on: named, nothing changed.
    before = snapshot()
    response = browser.post(url, {"date": "2026-12-15", "change": "cancel"}, headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, f"series-{series.pk}-date") == "The series has no visit on that weekday."
    assert f'id="exception-{series.pk}" open' in html
    assert snapshot() == before


def test_a_bad_series_is_refused_by_name_and_nothing_is_planned(world):
    before = snapshot()
    response = browser_as(world.ana).post(
        f"/clients/{world.client.pk}/visits/series/",
        series_form(weekdays=[], window_start="10:00", window_end="09:00", ends="2026-12-01"),
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, "series-weekdays") == "One or more weekdays, 0 (Monday) to 6 (Sunday)."
    assert error_at(html, "series-window-end") == "The window must end after it starts."
    assert error_at(html, "series-ends") == "The series cannot end before it starts."
    assert 'value="10:00"' in html and 'id="start-series" open' in html
    assert snapshot() == before


# --- one visit: take, assign, start, record, cancel, mark missed --------------------------------


def test_take_assign_start_and_record_a_visit(world):
    browser = browser_as(world.ben)
    visit = plan(world.ana, world.client, at(TODAY, "17:00"), 45)
    response = browser.post(visit_url(world, "take", visit), {"version": "1"}, headers=HTMX)
    assert response.status_code == 200 and "You are going on Mon 7 Dec, 17:00–18:00." in (
        response.content.decode()
    )
    assert reload(visit).assignee == world.ben
    response = browser.post(
        visit_url(world, "assign", visit), {"version": "2", "assignee": str(world.ana.pk)}
    )
    assert response.status_code == 302
    assert (reload(visit).assignee, reload(visit).status) == (world.ana, "assigned")
    # Ana's visit now: starting it says who goes, never silently hers.
    response = browser.post(visit_url(world, "start", visit), {"version": "3"}, headers=HTMX)
    assert response.status_code == 400 and reload(visit).status == "assigned"
    assert "say whether you went instead" in response.content.decode()
    assert f'id="start-{visit.pk}-went"' in response.content.decode()
    sent = {"version": "3", "went": "me"}
    response = browser.post(visit_url(world, "start", visit), sent, headers=HTMX)
    assert response.status_code == 200 and "Started at 18:00." in response.content.decode()
    assert reload(visit).assignee == world.ben  # he went: he took it
    html = section(page(world, unfold=True), "visits")
    assert f'id="finish-{visit.pk}"' in html
    key = re.search(
        rf'id="finish-{visit.pk}".*?name="idempotency_key" value="([0-9a-f]{{32}})"', html, re.S
    ).group(1)
    with time_machine.travel(NOW + datetime.timedelta(minutes=50), tick=False):
        response = browser.post(
            visit_url(world, "finish", visit),
            {
                "version": "4",
                "actual_start": "2026-12-07T18:00",
                "actual_end": "2026-12-07T18:45",
                "done": "Washed and dressed; tea.",
                "note": "Asked about her daughter's visit.",
                "idempotency_key": key,
            },
            headers=HTMX,
        )
    assert response.status_code == 200
    assert "Recorded as done: 45 minutes." in response.content.decode()
    done = reload(visit)
    assert done.status == "done" and done.finish_key == key
    assert done.done_note == "Washed and dressed; tea.\n\nAsked about her daughter's visit."
    debit = LedgerEntry.objects.get(visit=visit)
    assert (debit.kind, debit.amount, debit.by) == ("visit_debit", Decimal("-22.50"), world.ben)


def test_a_visit_recorded_afterwards_is_started_and_recorded_in_one_go(world):
    visit = plan(world.ana, world.client, at(TODAY, "08:00"), 45)
    url = visit_url(world, "finish", visit)
    typed = {
        "version": "1",
        "actual_start": "2026-12-07T09:00",
        "actual_end": "2026-12-07T08:30",
        "done": "Breakfast",
        "note": "",
        "idempotency_key": "k-1",
    }
    before = snapshot()
    response = browser_as(world.ana).post(url, typed, headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        error_at(html, f"finish-{visit.pk}-actual-end") == "The visit cannot end before it starts."
    )
    assert 'value="2026-12-07T08:30"' in html and ">Breakfast</textarea>" in html
    assert f'id="finish-{visit.pk}" open' in html
    # The start made on the way was undone with the refused recording.
    assert snapshot() == before and reload(visit).actual_start is None

    response = browser_as(world.ana).post(url, typed | {"actual_end": "2026-12-07T09:40"})
    assert response.status_code == 302
    done = reload(visit)
    assert (done.status, done.actual_start, done.actual_end) == (
        "done",
        at(TODAY, "09:00"),
        at(TODAY, "09:40"),
    )
    assert done.assignee == world.ana
    assert LedgerEntry.objects.get(visit=visit).amount == Decimal("-20.00")


def test_a_double_submitted_recording_debits_once(world):
    visit = plan(world.ana, world.client, at(TODAY, "08:00"), 30)
    html = section(page(world, unfold=True), "visits")
    key = re.search(
        rf'id="finish-{visit.pk}".*?name="idempotency_key" value="([0-9a-f]{{32}})"', html, re.S
    ).group(1)
    typed = {
        "version": "1",
        "actual_start": "2026-12-07T08:05",
        "actual_end": "2026-12-07T08:35",
        "done": "Breakfast",
        "note": "",
        "idempotency_key": key,
    }
    browser = browser_as(world.ana)
    first = browser.post(visit_url(world, "finish", visit), typed, headers=HTMX)
    second = browser.post(visit_url(world, "finish", visit), typed, headers=HTMX)
    assert (first.status_code, second.status_code) == (200, 200)
    assert "Recorded as done: 30 minutes." in second.content.decode()
    assert LedgerEntry.objects.filter(visit=visit).count() == 1
    assert reload(visit).version == 3  # started and recorded once
    # Another recording (another key) of the same visit is refused, plainly.
    response = browser.post(
        visit_url(world, "finish", visit), typed | {"idempotency_key": "other"}, headers=HTMX
    )
    assert response.status_code == 400
    assert "This visit is already recorded as done." in response.content.decode()
    assert LedgerEntry.objects.filter(visit=visit).count() == 1


def test_a_stale_version_shows_the_visit_as_it_is_now(world):
    seen = world.visit.version
    visit_services.visit_assign(actor=world.ben, visit=world.visit, person=world.ben, version=seen)
    browser = browser_as(world.ana)
    response = browser.post(visit_url(world, "take"), {"version": str(seen)}, headers=HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    # The service's one wording, as every other page says a lost race (the visit
    # pages said "Someone changed this visit since you opened it." on their own).
    assert "The visit changed since you opened it." in html
    assert "It is now: assigned, Ben Mulder going" in html
    item = re.search(rf'<li class="care-visit" id="visit-{world.visit.pk}".*?</li>', html, re.S)
    assert f'name="version" value="{seen + 1}"' in item.group(0)
    assert reload(world.visit).assignee == world.ben
    # What was typed is kept; without JavaScript the whole page says the same.
    response = browser.post(
        visit_url(world, "cancel"), {"version": str(seen), "reason": "She is in hospital"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "<title>" in html and "The visit changed since you opened it." in html
    assert 'value="She is in hospital"' in html and f'id="cancel-{world.visit.pk}" open' in html
    assert reload(world.visit).status == "assigned"
    # Sent again, now carrying the current version: a deliberate cancel.
    response = browser.post(
        visit_url(world, "cancel"), {"version": str(seen + 1), "reason": "She is in hospital"}
    )
    assert response.status_code == 302
    assert (reload(world.visit).status, reload(world.visit).cancel_reason) == (
        "cancelled",
        "She is in hospital",
    )


def test_cancel_and_mark_missed(world):
    browser = browser_as(world.ana)
    url = visit_url(world, "cancel")
    before = snapshot()
    response = browser.post(url, {"version": "1", "reason": "x" * 301}, headers=HTMX)
    assert response.status_code == 400
    assert error_at(response.content.decode(), f"cancel-{world.visit.pk}-reason") == (
        "At most 300 characters (this has 301)."
    )
    assert snapshot() == before
    response = browser.post(url, {"version": "1", "reason": "Family visiting"}, headers=HTMX)
    assert response.status_code == 200
    assert "The visit on Tue 8 Dec, 08:00–09:00 is cancelled." in response.content.decode()
    assert reload(world.visit).status == "cancelled"

    missed = plan(world.ana, world.client, at(TODAY, "08:00"))
    future = plan(world.ana, world.client, at(TOMORROW, "12:00"))
    html = section(page(world, unfold=True), "visits")
    assert f'action="{visit_url(world, "missed", missed)}"' in html
    assert f'action="{visit_url(world, "missed", future)}"' not in html  # not begun yet
    response = browser.post(visit_url(world, "missed", missed), {"version": "1", "reason": "Ill"})
    assert response.status_code == 302 and reload(missed).status == "missed"
    response = browser.post(visit_url(world, "missed", future), {"version": "1"}, headers=HTMX)
    assert response.status_code == 400
    assert "only once its window has begun" in response.content.decode()
    assert reload(future).status == "planned"


def test_a_form_without_a_version_is_out_of_date(world):
    response = browser_as(world.ana).post(visit_url(world, "start"), {}, headers=HTMX)
    assert response.status_code == 400
    assert writes.STALE in response.content.decode()
    assert reload(world.visit).status == "planned"


# --- the budget --------------------------------------------------------------------------------


def budget_form(**typed) -> dict:
    return {
        "kind": "isf",
        "funder": "Deventshire County Council",
        "period": "weekly",
        "allocation": "£1,400.00",
        "hourly_rate": "28.50",
        "starts": TODAY,
    } | typed


def test_setting_up_a_budget_and_a_negative_allocation(personas):
    client = jansen_client(personas)
    url = f"/clients/{client.pk}/budget/"
    browser = browser_as(personas.ana)
    response = browser.post(
        url, budget_form(allocation="-5", hourly_rate="twenty", kind=""), headers=HTMX
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, "budget-allocation") == "Cannot be negative."
    assert error_at(html, "budget-hourly-rate") == "An amount in pounds, e.g. 12.50."
    assert error_at(html, "budget-kind").startswith("One of: direct_payment")
    assert 'value="-5"' in html and 'id="budget-setup" open' in html
    assert not Budget.objects.exists()

    response = browser.post(url, budget_form(), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "The budget is set up: £1,400.00 weekly." in html
    budget = Budget.objects.get()
    assert (budget.kind, budget.period, budget.allocation, budget.hourly_rate) == (
        "isf",
        "weekly",
        Decimal("1400.00"),
        Decimal("28.50"),
    )
    assert "£1,400.00 of your £1,400.00 for this week is left." in html
    # A new assessment replaces it; the old one is kept.
    response = browser.post(url, budget_form(allocation="1500"))
    assert response.status_code == 302
    assert list(Budget.objects.order_by("pk").values_list("active", flat=True)) == [False, True]


def entry_form(**typed) -> dict:
    return {
        "kind": "purchase",
        "direction": "out",
        "amount": "12.50",
        "reason": "Incontinence pads",
        "on": TODAY,
        "corrects": "",
        "idempotency_key": "e-1",
    } | typed


def test_adding_to_the_ledger(world):
    url = f"/clients/{world.client.pk}/budget/{world.budget.pk}/entries/"
    browser = browser_as(world.ana)
    response = browser.post(url, entry_form(), headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Purchase −£12.50 is in the ledger." in html
    purchase = LedgerEntry.objects.get()
    assert (purchase.kind, purchase.amount, purchase.by) == (
        "purchase",
        Decimal("-12.50"),
        world.ana,
    )
    # The same form sent again: the one entry.
    assert browser.post(url, entry_form(), headers=HTMX).status_code == 200
    assert LedgerEntry.objects.count() == 1
    response = browser.post(
        url,
        entry_form(
            kind="adjustment",
            direction="in",
            amount="£1,000",
            reason="Top-up",
            idempotency_key="e-2",
        ),
    )
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind="adjustment").amount == Decimal("1000.00")
    response = browser.post(
        url,
        entry_form(
            kind="correction",
            direction="in",
            amount="2.50",
            reason="The pads were £10",
            corrects=str(purchase.pk),
            idempotency_key="e-3",
        ),
        headers=HTMX,
    )
    assert response.status_code == 200
    correction = LedgerEntry.objects.get(kind="correction")
    assert (correction.amount, correction.corrects) == (Decimal("2.50"), purchase)
    html = section(page(world), "budget")
    assert "+£1,000.00" in html and "Correction of the 7 Dec purchase: The pads were £10" in html
    assert '<dd data-figure="other">−£990.00</dd>' in html


def test_a_ledger_form_sent_again_with_other_values_says_so_and_can_be_sent_anew(world):
    """Sent, then changed (back, edit, send) under the same form's key: the page says
    the form was sent before with other values instead of showing the first entry as
    if it were this one, and the form comes back with a new key, so sending it again
    adds the new entry."""
    url = f"/clients/{world.client.pk}/budget/{world.budget.pk}/entries/"
    browser = browser_as(world.ana)
    assert browser.post(url, entry_form(), headers=HTMX).status_code == 200
    response = browser.post(url, entry_form(amount="14.00"), headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "already used for a different entry" in html
    assert 'value="14.00"' in html  # what was typed stays
    new_key = re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)
    assert new_key != "e-1"
    assert list(LedgerEntry.objects.values_list("amount", flat=True)) == [Decimal("-12.50")]
    again = browser.post(url, entry_form(amount="14.00", idempotency_key=new_key), headers=HTMX)
    assert again.status_code == 200
    assert sorted(LedgerEntry.objects.values_list("amount", flat=True)) == [
        Decimal("-14.00"),
        Decimal("-12.50"),
    ]


def test_a_bad_ledger_entry_is_refused_by_name_and_nothing_saved(world):
    url = f"/clients/{world.client.pk}/budget/{world.budget.pk}/entries/"
    browser = browser_as(world.ana)
    response = browser.post(url, entry_form(amount="a lot", reason=""), headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, "entry-amount") == "An amount in pounds, e.g. 12.50."
    assert error_at(html, "entry-reason") == "Required."
    assert 'value="a lot"' in html and 'id="ledger-add" open' in html
    response = browser.post(url, entry_form(kind="correction", idempotency_key="x"), headers=HTMX)
    assert response.status_code == 400
    assert error_at(response.content.decode(), "entry-corrects") == "Say which entry this corrects."
    response = browser.post(url, entry_form(on="2027-01-01"), headers=HTMX)
    assert response.status_code == 400
    assert error_at(response.content.decode(), "entry-on") == "Cannot be in the future."
    assert not LedgerEntry.objects.exists()


# --- who reaches it ----------------------------------------------------------------------------


def new_urls(w) -> list[tuple[str, str, dict]]:
    c, v = w.client.pk, w.visit.pk
    series = visit_services.series_create(
        actor=w.ana,
        client=w.client,
        weekdays=[1],
        window_start=datetime.time(8),
        window_end=datetime.time(9),
        expected_minutes=30,
        starts=datetime.date(2026, 12, 8),
    )
    return [
        ("get", f"/clients/{c}/sections/visits/", {}),
        ("get", f"/clients/{c}/sections/budget/", {}),
        ("post", f"/clients/{c}/visits/plan/", plan_form()),
        ("post", f"/clients/{c}/visits/series/", series_form()),
        (
            "post",
            f"/clients/{c}/visits/series/{series.pk}/exceptions/",
            {"date": "2026-12-15", "change": "cancel"},
        ),
        *[
            ("post", f"/clients/{c}/visits/{v}/{action}/", {"version": "1", "reason": "r"})
            for action in ("take", "start", "cancel", "missed")
        ],
        ("post", f"/clients/{c}/visits/{v}/assign/", {"version": "1", "assignee": str(w.ben.pk)}),
        (
            "post",
            f"/clients/{c}/visits/{v}/finish/",
            {"version": "1", "actual_start": "2026-12-07T08:00", "actual_end": "2026-12-07T09:00"},
        ),
        ("post", f"/clients/{c}/budget/", budget_form()),
        ("post", f"/clients/{c}/budget/{w.budget.pk}/entries/", entry_form()),
    ]


@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_everyone_outside_the_team_gets_404_everywhere_and_nothing_changes(world, outsiders, who):
    urls = new_urls(world)
    browser = browser_as(outsiders[who])
    before, logged = snapshot(), AccessLogEntry.objects.count()
    for method, url, data in urls:
        for headers in ({}, HTMX):
            response = getattr(browser, method)(url, data, headers=headers)
            assert response.status_code == 404, (who, method, url, headers)
            body = response.content.decode()
            assert "Help with washing" not in body and "Deventshire" not in body
            assert 'id="visits"' not in body and 'id="budget"' not in body
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == logged


def test_a_visit_or_budget_of_another_client_is_not_reachable_through_this_one(world):
    other = visit_services.visit_plan(
        actor=world.ana,
        client=(other_client := another_client(world)),
        window_start=at(TOMORROW, "10:00"),
        window_end=at(TOMORROW, "11:00"),
        expected_minutes=30,
    )
    other_budget = budget_services.budget_create(
        actor=world.ana,
        client=other_client,
        kind="isf",
        period="weekly",
        allocation="100",
        hourly_rate="20",
        starts=datetime.date(2026, 12, 1),
    )
    browser = browser_as(world.ana)
    c = world.client.pk
    before = snapshot()
    assert (
        browser.post(f"/clients/{c}/visits/{other.pk}/take/", {"version": "1"}).status_code == 404
    )
    response = browser.post(f"/clients/{c}/budget/{other_budget.pk}/entries/", entry_form())
    assert response.status_code == 404
    assert browser.post(f"/clients/{c}/visits/{world.visit.pk}/fly/", {}).status_code == 404
    assert snapshot() == before


def another_client(w) -> Client:
    return ClientFactory(team=w.noord, first_name="Gerrit", last_name="Bosch", status="active")


# --- query counts ------------------------------------------------------------------------------


def _count(browser, url) -> int:
    browser.get(url)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


def _grow(w) -> None:
    dora = member("dora", w.noord, first_name="Dora", last_name="Kamp")
    carers = [w.ana, w.ben, dora]
    for day in range(1, 7):
        deliver(carers[day % 3], w.client, at(f"2026-12-0{day}", "08:00"), 30 + day)
    for day in range(8, 14):
        plan(w.ana, w.client, at(f"2026-12-{day:02d}", "08:00"), assignee=carers[day % 3])
    series = visit_services.series_create(
        actor=w.ana,
        client=w.client,
        weekdays=[0, 2, 4],
        window_start=datetime.time(18),
        window_end=datetime.time(19),
        expected_minutes=20,
        starts=datetime.date(2026, 12, 8),
        preferred_carers=[w.ben.pk],
    )
    visit_services.series_generate(series=series, until=datetime.date(2026, 12, 20), actor=w.ana)
    for n in range(3):
        budget_services.ledger_add(
            actor=w.ben, budget=w.budget, kind="purchase", amount=Decimal("-5.00"), reason=f"p{n}"
        )


def test_section_query_counts_stay_flat_as_visits_grow(world):
    browser = browser_as(world.ana)
    c = world.client.pk
    urls = {
        "page": f"/clients/{c}/",
        "visits": f"/clients/{c}/sections/visits/",
        "budget": f"/clients/{c}/sections/budget/",
    }
    small = {name: _count(browser, url) for name, url in urls.items()}
    _grow(world)
    html = section(page(world), "visits")
    assert html.count('<li class="care-visit"') >= 15
    large = {name: _count(browser, url) for name, url in urls.items()}
    assert large == small
    assert small["page"] <= 40


# --- what a visit is for: the plan's interventions as ticks -----------------------------------


def test_the_plan_forms_offer_the_plan_s_lines_and_the_visits_carry_the_ticked(world):
    # The plan forms sit behind closed disclosures: read as they are opened (unfold).
    assert 'name="interventions"' not in section(page(world, unfold=True), "visits")  # no plan
    tablets = intervention(world.client, world.ana)
    visits = section(page(world, unfold=True), "visits")
    assert visits.count(f'name="interventions" value="{tablets.pk}"') == 2  # visit, series
    assert html_lib.escape(tablets.description) in visits
    browser = browser_as(world.ana)
    ticked = {"interventions": [str(tablets.pk)]}
    response = browser.post(
        f"/clients/{world.client.pk}/visits/plan/", plan_form(**ticked), headers=HTMX
    )
    assert response.status_code == 200
    visit = Visit.objects.get(tasks="Evening medication")
    assert list(visit.interventions.all()) == [tablets]
    response = browser.post(
        f"/clients/{world.client.pk}/visits/series/", series_form(**ticked), headers=HTMX
    )
    assert response.status_code == 200
    series = VisitSeries.objects.get()
    assert list(series.interventions.all()) == [tablets]
    assert series.visits.count() == 9
    assert all(list(v.interventions.all()) == [tablets] for v in series.visits.all())


def test_a_line_that_is_not_the_plan_s_is_refused_at_the_ticks(world):
    tablets = intervention(world.client, world.ana)
    before = snapshot()
    response = browser_as(world.ana).post(
        f"/clients/{world.client.pk}/visits/plan/",
        plan_form(interventions=[str(tablets.pk), "999999", "x"]),
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert error_at(html, "plan-interventions") == (
        "Only active interventions of this client's care plan."
    )
    assert re.search(rf'name="interventions" value="{tablets.pk}" checked', html)
    assert snapshot() == before
