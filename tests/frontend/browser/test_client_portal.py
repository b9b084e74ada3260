"""A client's record on phones: a nurse rates a problem and its chart is redrawn; the
client takes a scope back from her daughter, whose open page loses it at once."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from care.models import OmahaSign
from care.services import plans
from tests.care.jansen import jansen_with_family
from tests.frontend.browser.conftest import PHONE, log_in
from tests.frontend.omaha import ensure_omaha_reference

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


@pytest.fixture(autouse=True)
def _omaha(transactional_db):
    ensure_omaha_reference()


def jansen(personas):
    """Mrs Jansen of Noord with her own account; Petra sees her visits, diary and plan;
    mobility in her plan, rated twice."""
    client, _petra = jansen_with_family(personas, phone="0570 622 480")
    entry = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=25,
        scope="individual",
        severity="actual",
        signs=list(
            OmahaSign.objects.filter(
                problem__number=25, text__in=["decreased balance", "difficulty transferring"]
            ).values_list("pk", flat=True)
        ),
    )
    plans.plan_add_intervention(
        actor=personas.ana,
        plan_problem=entry,
        version=2,
        category=1,
        target=27,
        description="Walking practice with the rollator",
        frequency="twice a week",
    )
    today = timezone.localdate()
    for days, (k, b, s) in ((60, (2, 2, 2)), (20, (3, 2, 3))):
        plans.plan_rate(
            actor=personas.ben,
            plan_problem=entry,
            knowledge=k,
            behavior=b,
            status=s,
            rated_on=today - datetime.timedelta(days=days),
        )
    return client, entry


def phone(browser):
    return browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True).new_page()


def wait_for_charts(page) -> None:
    """Every chart on the page is loaded and drawn (an SVG the page could not show
    has no natural width)."""
    page.wait_for_function(
        """() => [...document.querySelectorAll("img[data-chart]")].every(
            (img) => img.complete && img.naturalWidth > 0)"""
    )


def test_a_rating_redraws_the_chart(personas, server, can_log_in, browser):
    client, entry = jansen(personas)
    can_log_in(personas.ana)
    ana = phone(browser)
    refused = []
    ana.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    log_in(ana, server, "ana")
    ana.goto(f"{server}/clients/{client.pk}/")
    expect(ana.get_by_role("heading", name="Wilma Jansen")).to_be_visible()
    expect(ana.locator("#live-status")).to_have_text("Live")
    chart = ana.locator(f'img[data-chart="{entry.pk}"]')
    before = chart.get_attribute("src")
    wait_for_charts(ana)
    expect(ana.locator(f"#problem-{entry.pk} table.ratings tbody tr")).to_have_count(2)

    ana.get_by_text("Rate Neuro-musculo-skeletal function").click()
    form = ana.locator(f"#rate-{entry.pk}")
    form.get_by_label("4 Adequate knowledge").check()
    form.get_by_label("3 Inconsistently appropriate behavior").check()
    form.get_by_label("4 Minimal signs/symptoms").check()
    form.get_by_label("Note (optional)").fill("Walks to the corner shop again")
    SHOTS.mkdir(exist_ok=True)
    # caret="initial": hiding the caret would inject a <style>, which the page refuses.
    form.screenshot(path=str(SHOTS / "client-rate-form.png"), caret="initial")
    form.get_by_role("button", name="Save the rating").click()

    # (The confirmation may already be gone: the plan refreshes on its own event.)
    expect(ana.locator(f"#problem-{entry.pk} table.ratings tbody tr")).to_have_count(3)
    expect(chart).not_to_have_attribute("src", before)
    expect(chart).to_have_attribute("alt", re.compile(r"Latest: Knowledge 4, Behavior 3, Status 4"))
    wait_for_charts(ana)
    SHOTS.mkdir(exist_ok=True)
    ana.locator("#plan").screenshot(path=str(SHOTS / "client-plan-chart.png"), caret="initial")

    # Adding a problem: choosing it loads its signs into the form.
    ana.get_by_text("Add a problem").click()
    # The form is read as the disclosure opens: choose once htmx has wired it up.
    problem = ana.get_by_label("Omaha System problem")
    ana.wait_for_function(
        "function (el) { const d = el['htmx-internal-data']; return !!(d && d.initHash); }",
        arg=problem.element_handle(),
    )
    problem.select_option("42")
    signs = ana.locator("#signs-field")
    expect(signs).to_contain_text("inadequate system for taking medication")
    signs.get_by_label("inadequate system for taking medication").check()
    ana.get_by_label("Severity").select_option("actual")
    ana.get_by_role("button", name="Add the problem").click()
    expect(ana.locator("#plan")).to_contain_text("Medication regimen")
    assert refused == []
    wait_for_charts(ana)
    ana.screenshot(path=str(SHOTS / "client-page.png"), full_page=True, caret="initial")


def test_a_revoked_scope_leaves_the_daughters_open_page_at_once(
    personas, server, can_log_in, browser
):
    client, entry = jansen(personas)
    can_log_in(personas.mrs_jansen, personas.daughter)
    petra = phone(browser)
    log_in(petra, server, "daughter")
    petra.get_by_role("link", name=re.compile("Wilma Jansen")).click()
    expect(petra.get_by_role("heading", name="Wilma Jansen's care record")).to_be_visible()
    expect(petra.locator("#scope-plan")).to_be_visible()
    expect(petra.locator("#live-status")).to_have_text("Live")
    wait_for_charts(petra)
    SHOTS.mkdir(exist_ok=True)
    petra.screenshot(path=str(SHOTS / "portal-daughter.png"), full_page=True)
    petra.evaluate("window.stillTheSamePage = true")

    wilma = phone(browser)
    log_in(wilma, server, "mrs_jansen")
    wilma.get_by_role("link", name=re.compile("Your care record")).click()
    expect(wilma.get_by_role("heading", name="Your care record")).to_be_visible()
    expect(wilma.get_by_role("heading", name="Who can see what")).to_be_visible()
    expect(wilma.get_by_role("heading", name="Who read my record")).to_be_visible()
    expect(wilma.locator("#access-log")).to_contain_text("Petra Jansen read care plan (portal)")
    wait_for_charts(wilma)
    wilma.screenshot(path=str(SHOTS / "portal-mrs-jansen.png"), full_page=True)

    wilma.get_by_text("Change what Petra Jansen sees").click()
    who = wilma.locator("#sharing li", has_text="Petra Jansen")
    who.get_by_label("Care plan").uncheck()
    who.screenshot(path=str(SHOTS / "portal-sharing-form.png"), caret="initial")
    who.get_by_role("button", name="Save for Petra Jansen").click()
    expect(wilma.locator("#sharing .flash")).to_contain_text("Saved")
    expect(who.locator(".sees")).to_have_text("Sees: visits and who is coming, shared diary")

    # Petra did nothing: the plan leaves her open page through its socket.
    expect(petra.locator("#scope-plan")).to_have_count(0, timeout=5000)
    expect(petra.locator("#shared-with-you")).not_to_contain_text("Care plan")
    expect(petra.locator("#shared-with-you")).to_contain_text("Visits and who is coming")
    assert petra.evaluate("window.stillTheSamePage === true")  # no reload
    petra.screenshot(path=str(SHOTS / "portal-daughter-revoked.png"), full_page=True)

    # And the server refuses it from now on.
    response = petra.goto(f"{server}/clients/{client.pk}/plan/{entry.pk}/chart.svg")
    assert response.status == 404
    response = petra.goto(f"{server}/portal/clients/{client.pk}/sections/plan/")
    assert response.status == 404
    petra.goto(f"{server}/portal/clients/{client.pk}/")
    expect(petra.get_by_role("heading", name="Wilma Jansen's care record")).to_be_visible()
    expect(petra.locator("#scope-plan")).to_have_count(0)
