"""An inspector on a phone (390 x 844) opens the quality portal, then one team: the
teams sit side by side in a table that scrolls inside its card, the team's chart is
drawn, and the page never scrolls sideways."""

from __future__ import annotations

from pathlib import Path

import time_machine
from playwright.sync_api import expect

from care.models import SnapshotRead
from tests.care.test_quality import NOW, build, published
from tests.frontend.browser.conftest import PHONE, log_in, open_menu
from tests.frontend.omaha import ensure_omaha_reference

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= 390")


def test_an_inspector_reads_the_portal_and_a_team_chart_on_a_phone(
    personas, server, can_log_in, browser
):
    # Browser tests flush the database between them: put the Omaha reference back.
    ensure_omaha_reference()
    with time_machine.travel(NOW, tick=False):
        w = build(personas)
        published(w)
        published(w, team=w.zuid)
    can_log_in(w.inspector)
    page = browser.new_context(viewport=PHONE).new_page()
    log_in(page, server, "inspector")
    open_menu(page)
    page.get_by_role("link", name="Quality", exact=True).click()
    expect(page.get_by_role("heading", name="Published quality")).to_be_visible()
    table = page.locator("#quality-side-by-side")
    expect(table.locator('tr[data-indicator="visits_delivered"] td').nth(1)).to_have_text("92.3%")
    expect(table.locator('tr[data-indicator="visits_delivered"] td').nth(2)).to_have_text(
        "fewer than 5"
    )
    assert fits(page)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "quality-home-inspector.png"), full_page=True)

    table.get_by_role("link", name="Noord", exact=True).click()
    expect(page.get_by_role("heading", name="Team Noord over time")).to_be_visible()
    chart = page.locator("#quality-chart")
    expect(chart).to_be_visible()
    # The SVG loaded and was drawn (an image that failed has no natural width).
    # (Read through locator assertions: a bare-expression predicate polled by
    # wait_for_function is evaluated as a string, which the page's CSP refuses.)
    expect(chart).to_have_js_property("complete", True)
    expect(chart).not_to_have_js_property("naturalWidth", 0)
    assert chart.bounding_box()["width"] > 200
    assert fits(page)
    page.screenshot(path=str(SHOTS / "quality-team-inspector.png"), full_page=True)
    # Each page read was logged for the inspector: the home's two teams, the team's
    # one snapshot, and the chart's.
    assert SnapshotRead.objects.filter(person=w.inspector).count() == 4
