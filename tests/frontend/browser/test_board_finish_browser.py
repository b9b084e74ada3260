"""A nurse finishes her visit from the team board: "Finish…" opens the record sheet
above the board, with the plan's line ticked and its problem to re-rate folded away;
she re-rates it, saves, and is back on the board with the visit recorded and rated."""

from __future__ import annotations

import datetime

from django.utils import timezone
from playwright.sync_api import expect

from care.models import OutcomeRating, Visit, VisitIntervention
from care.services import visits as visit_services
from tests.care.visit_helpers import direct_payment, intervention, jansen_client, plan
from tests.frontend.browser.conftest import PHONE, log_in
from tests.frontend.omaha import ensure_omaha_reference


def test_finishing_from_the_board_records_the_sheet_and_its_re_rating(
    personas, server, can_log_in, browser
):
    ensure_omaha_reference()  # browser tests flush the database between them
    client = jansen_client(personas)
    direct_payment(personas.ana, client)
    start = (timezone.now() - datetime.timedelta(minutes=30)).replace(second=0, microsecond=0)
    visit = plan(personas.ana, client, start, 25, assignee=personas.ana)
    line = intervention(client, personas.ana)
    visit.interventions.add(line)
    visit = visit_services.visit_start(
        actor=personas.ana, visit=visit, version=visit.version, at=start
    )
    problem = line.plan_problem
    can_log_in(personas.ana)
    ana = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB").new_page()
    log_in(ana, server, "ana")
    expect(ana).to_have_url(f"{server}/day/")
    board = f"{server}/teams/{personas.noord.slug}/board/?date={timezone.localdate(start)}"
    ana.goto(board)

    ana.locator(f'[data-visit="{visit.pk}"]').get_by_role("link", name="Finish…").first.tap()
    sheet = ana.locator(f"#sheet-slot #sheet-{visit.pk}")
    expect(sheet.get_by_label(line.target.name, exact=False)).to_be_checked()
    rerate = sheet.locator(f"#finish-{visit.pk}-rerate-{problem.pk}")
    expect(rerate).not_to_have_attribute("open", "")
    rerate.get_by_text(f"Re-rate {problem.problem.name}").tap()
    rerate.get_by_label("Knowledge").select_option("3")
    rerate.get_by_label("Behavior").select_option("4")
    rerate.get_by_label("Status").select_option("2")
    sheet.get_by_role("button", name="Save").tap()

    expect(ana).to_have_url(board)
    expect(ana.get_by_text("Wilma Jansen: recorded done")).to_be_visible()
    done = Visit.objects.get(pk=visit.pk)
    assert done.status == "done" and done.actual_start == start
    assert list(VisitIntervention.objects.values_list("intervention", "done")) == [(line.pk, True)]
    rating = OutcomeRating.objects.get(plan_problem=problem)
    assert (rating.knowledge, rating.behavior, rating.status) == (3, 4, 2)
