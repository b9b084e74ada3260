"""Recording a visit from my day: the sheet prefilled honestly, the plan's lines as ticks,
who went, and one tap to save, once."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import time_machine
from django.utils.html import escape

from care.models import (
    LedgerEntry,
    OmahaTarget,
    OutcomeRating,
    PlanIntervention,
    Visit,
    VisitIntervention,
)
from care.services import visits as visit_services
from tests.care.visit_helpers import at, intervention, jansen_client, plan
from tests.doors import pages
from tests.factories import BudgetFactory

pytestmark = pytest.mark.django_db

DAY = "2026-12-08"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def w(personas):
    with time_machine.travel(at(DAY, "07:00"), tick=False):
        w = personas
        w.client = jansen_client(w)
        w.budget = BudgetFactory(client=w.client, hourly_rate=Decimal("24.00"))
        w.visit = plan(w.ana, w.client, at(DAY, "08:00"), 45, assignee=w.ana)
        w.tablets = intervention(w.client, w.ana)
        w.visit.interventions.add(w.tablets)
        yield w


def sheet(person, visit, when: str, **headers) -> str:
    with time_machine.travel(at(DAY, when), tick=False):
        response = pages(person, js=False).get(f"/day/visits/{visit.pk}/done/", headers=headers)
    assert response.status_code == 200
    return response.content.decode()


def value_of(html: str, name: str) -> str:
    return re.search(rf'name="{name}"[^>]* value="([^"]*)"', html).group(1)


def sent(html: str, **more) -> dict:
    """What the sheet sends as drawn (its hidden fields and prefilled times) and more."""
    names = ("version", "idempotency_key", "actual_start", "actual_end")
    return {name: value_of(html, name) for name in names} | more


def test_tapped_in_the_hallway_the_end_is_now(w):
    html = sheet(w.ana, w.visit, "08:40")
    assert value_of(html, "actual_start") == f"{DAY}T08:00"
    assert value_of(html, "actual_end") == f"{DAY}T08:40"


def test_tapped_at_night_the_times_are_the_plan_s(w):
    html = sheet(w.ana, w.visit, "23:02")
    assert value_of(html, "actual_start") == f"{DAY}T08:00"
    assert value_of(html, "actual_end") == f"{DAY}T08:45"  # not 23:02


def test_the_plan_s_lines_for_the_visit_are_ticked(w):
    html = sheet(w.ana, w.visit, "08:40")
    assert re.search(rf'name="interventions" value="{w.tablets.pk}" checked', html)
    assert 'name="went"' not in html  # her own visit


def test_one_tap_saves_it_done_with_the_plan_and_debits_once(w):
    html = sheet(w.ana, w.visit, "23:02")
    body = sent(html, interventions=[str(w.tablets.pk)], note="Slept well.")
    with time_machine.travel(at(DAY, "23:03"), tick=False):
        browser = pages(w.ana, js=False)
        response = browser.post(f"/day/visits/{w.visit.pk}/done/", body, headers=HTMX)
        again = browser.post(f"/day/visits/{w.visit.pk}/done/", body, headers=HTMX)  # a retry
    assert response.status_code == 200 and response["HX-Redirect"] == "/day/"
    assert again.status_code == 200
    visit = Visit.objects.get(pk=w.visit.pk)
    assert (visit.status, visit.actual_start, visit.actual_end) == (
        "done",
        at(DAY, "08:00"),
        at(DAY, "08:45"),
    )
    assert visit.done_note == "Slept well."
    (debit,) = LedgerEntry.objects.filter(visit=visit)
    assert debit.amount == Decimal("-18.00")
    assert list(VisitIntervention.objects.values_list("intervention", "done")) == [
        (w.tablets.pk, True)
    ]
    with time_machine.travel(at(DAY, "23:04"), tick=False):
        day = browser.get("/day/").content.decode()
    assert "Wilma Jansen: recorded done, 08:00–08:45." in day


def test_left_unticked_a_planned_line_is_recorded_not_done(w):
    html = sheet(w.ana, w.visit, "08:50")
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        response = pages(w.ana, js=False).post(f"/day/visits/{w.visit.pk}/done/", sent(html))
    assert response.status_code == 302 and response["Location"] == "/day/"
    assert list(VisitIntervention.objects.values_list("done", flat=True)) == [False]


def test_a_colleague_s_visit_asks_who_went(w):
    html = sheet(w.ben, w.visit, "08:50")
    assert 'name="went" value="me"' in html and "Ana de Vries went: I record it for them" in html
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        response = pages(w.ben, js=False).post(f"/day/visits/{w.visit.pk}/done/", sent(html))
        assert response.status_code == 400
        assert "say whether you went instead" in response.content.decode()
        assert Visit.objects.get(pk=w.visit.pk).status == "assigned"
        body = sent(html, went="me")
        response = pages(w.ben, js=False).post(f"/day/visits/{w.visit.pk}/done/", body)
    assert response.status_code == 302
    assert Visit.objects.get(pk=w.visit.pk).assignee == w.ben


def test_a_visit_changed_meanwhile_is_a_409_that_keeps_the_sheet(w):
    html = sheet(w.ana, w.visit, "08:50")
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        visit_services.visit_running_late(
            actor=w.ana, visit=w.visit, version=w.visit.version, until=at(DAY, "09:10")
        )
        body = sent(html, note="Kept")
        response = pages(w.ana, js=False).post(
            f"/day/visits/{w.visit.pk}/done/", body, headers=HTMX
        )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your times and ticks are kept below" in page and ">Kept</textarea>" in page
    assert f'name="version" value="{w.visit.version + 1}"' in page


@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_nobody_else_opens_or_saves_the_sheet(w, outsiders, who):
    with time_machine.travel(at(DAY, "08:50"), tick=False):
        browser = pages(outsiders[who], js=False)
        assert browser.get(f"/day/visits/{w.visit.pk}/done/").status_code == 404
        body = {"version": "1", "actual_start": f"{DAY}T08:00", "actual_end": f"{DAY}T08:45"}
        assert browser.post(f"/day/visits/{w.visit.pk}/done/", body).status_code == 404
    assert Visit.objects.get(pk=w.visit.pk).status == "assigned"


def test_a_ticked_line_that_is_no_number_is_refused_by_name(w):
    html = sheet(w.ana, w.visit, "08:50")
    for odd in ("²", "9" * 5000, "abc"):
        with time_machine.travel(at(DAY, "08:51"), tick=False):
            body = sent(html, interventions=[odd])
            response = pages(w.ana, js=False).post(f"/day/visits/{w.visit.pk}/done/", body)
        assert response.status_code == 400, odd
    assert Visit.objects.get(pk=w.visit.pk).status == "assigned"


def test_a_helper_records_only_what_was_planned_for_the_lent_visit(w):
    other = PlanIntervention.objects.create(
        plan_problem=w.tablets.plan_problem,
        category=w.tablets.category,
        target=OmahaTarget.objects.order_by("number").last(),
        description="Not for helpers.",
        frequency="weekly",
    )
    open_visit = plan(w.ana, w.client, at(DAY, "10:00"), 30)
    open_visit.interventions.add(w.tablets)
    with time_machine.travel(at(DAY, "09:00"), tick=False):
        visit_services.visit_lend(
            actor=w.ana,
            visit=open_visit,
            helper=w.cas,
            version=open_visit.version,
            expires_at=at(DAY, "20:00"),
            reason="help request 1",
        )
    html = sheet(w.cas, open_visit, "10:40")
    assert escape(w.tablets.description) in html and "Not for helpers." not in html
    body = sent(html, interventions=[str(w.tablets.pk), str(other.pk)])
    with time_machine.travel(at(DAY, "10:41"), tick=False):
        response = pages(w.cas, js=False).post(f"/day/visits/{open_visit.pk}/done/", body)
    assert response.status_code == 400
    assert "Only interventions of this visit&#x27;s planned interventions." in (
        response.content.decode()
    )


# --- re-rating the plan's problems on the sheet ---------------------------------------------------


def rerate(problem, **scales) -> dict:
    return {f"rating-{problem.pk}-{scale}": str(value) for scale, value in scales.items()}


def test_the_sheet_offers_to_re_rate_the_visit_s_problem_folded(w):
    problem = w.tablets.plan_problem
    html = sheet(w.ana, w.visit, "08:50")
    assert re.search(
        rf'<details class="disclosure rerate" id="finish-{w.visit.pk}-rerate-{problem.pk}">', html
    )
    assert f"Re-rate {escape(problem.problem.name)}" in html
    for scale in ("knowledge", "behavior", "status"):
        assert f'name="rating-{problem.pk}-{scale}"' in html
    assert 'value="1">1 No knowledge<' in html  # the Omaha wording


def test_a_re_rating_is_saved_with_the_record_once(w):
    problem = w.tablets.plan_problem
    html = sheet(w.ana, w.visit, "08:50")
    body = sent(html, **rerate(problem, knowledge=2, behavior=3, status=4))
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        browser = pages(w.ana, js=False)
        assert browser.post(f"/day/visits/{w.visit.pk}/done/", body).status_code == 302
        assert browser.post(f"/day/visits/{w.visit.pk}/done/", body).status_code == 302  # retry
    (rating,) = OutcomeRating.objects.filter(plan_problem=problem)
    assert (rating.knowledge, rating.behavior, rating.status, rating.rated_by) == (2, 3, 4, w.ana)
    assert Visit.objects.get(pk=w.visit.pk).status == "done"


def test_left_blank_there_is_no_re_rating(w):
    html = sheet(w.ana, w.visit, "08:50")
    body = sent(html, **rerate(w.tablets.plan_problem, knowledge="", behavior="", status=""))
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        response = pages(w.ana, js=False).post(f"/day/visits/{w.visit.pk}/done/", body)
    assert response.status_code == 302 and not OutcomeRating.objects.exists()


def test_a_partial_re_rating_is_refused_at_the_blank_scales_and_kept(w):
    problem = w.tablets.plan_problem
    html = sheet(w.ana, w.visit, "08:50")
    body = sent(html, note="Kept", **rerate(problem, knowledge=3, behavior="", status=9))
    with time_machine.travel(at(DAY, "08:51"), tick=False):
        response = pages(w.ana, js=False).post(
            f"/day/visits/{w.visit.pk}/done/", body, headers=HTMX
        )
    assert response.status_code == 400
    page = response.content.decode()
    form = f"finish-{w.visit.pk}-rating-{problem.pk}"
    assert re.search(rf'id="e-{form}-behavior">Rate all three, or none\.<', page)
    assert re.search(rf'id="e-{form}-status">A rating from 1 to 5\.<', page)
    assert f'id="e-{form}-knowledge"' not in page
    assert re.search(r'<option value="3" selected>3 ', page)
    assert f'id="finish-{w.visit.pk}-rerate-{problem.pk}" open' in page
    assert ">Kept</textarea>" in page
    assert Visit.objects.get(pk=w.visit.pk).status == "assigned"
    assert not OutcomeRating.objects.exists()


def test_a_helper_is_not_offered_a_re_rating_and_cannot_send_one(w):
    open_visit = plan(w.ana, w.client, at(DAY, "10:00"), 30)
    open_visit.interventions.add(w.tablets)
    with time_machine.travel(at(DAY, "09:00"), tick=False):
        visit_services.visit_lend(
            actor=w.ana,
            visit=open_visit,
            helper=w.cas,
            version=open_visit.version,
            expires_at=at(DAY, "20:00"),
            reason="help request 1",
        )
    html = sheet(w.cas, open_visit, "10:40")
    assert "Re-rate" not in html and "rating-" not in html
    body = sent(html, **rerate(w.tablets.plan_problem, knowledge=2, behavior=3, status=4))
    with time_machine.travel(at(DAY, "10:41"), tick=False):
        response = pages(w.cas, js=False).post(f"/day/visits/{open_visit.pk}/done/", body)
    assert response.status_code == 403
    assert Visit.objects.get(pk=open_visit.pk).status != "done"
    assert not OutcomeRating.objects.exists()
