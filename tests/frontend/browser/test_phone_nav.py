"""Finding one's way on a phone (390 x 844): a team member's bottom bar with her five
destinations, its live unread count, the header's menu for everyone else, and the
client page's own section navigation."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

from teams.services import proposals as proposal_services
from tests.care.visit_helpers import jansen_client
from tests.frontend.browser.conftest import PHONE, log_in, open_menu

SHOTS = Path("/tmp/shots")
DESTINATIONS = ["My day", "Board", "Clients", "Notifications", "More"]


def phone(browser):
    context = browser.new_context(viewport=PHONE, has_touch=True, locale="en-GB")
    return context.new_page()


def tab(page, name: str):
    return page.get_by_role("navigation", name="Quick").get_by_role(
        "link", name=re.compile(f"^{name}")
    )


def test_a_member_has_a_bottom_bar_with_her_five_destinations(
    personas, server, can_log_in, browser
):
    client = jansen_client(personas)
    can_log_in(personas.ana)
    ana = phone(browser)
    log_in(ana, server, "ana")
    expect(ana).to_have_url(f"{server}/day/")

    bar = ana.get_by_role("navigation", name="Quick")
    expect(bar).to_be_visible()
    names = [re.sub(r"\s+", " ", t).strip() for t in bar.locator("li").all_inner_texts()]
    assert names == DESTINATIONS, names
    for item in bar.locator("a").all():
        box = item.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, box
    # The bar stays at the bottom of the screen, inside it.
    box = bar.bounding_box()
    assert box is not None and abs(box["y"] + box["height"] - PHONE["height"]) <= 1, box
    expect(tab(ana, "My day")).to_have_attribute("aria-current", "page")
    expect(tab(ana, "Board")).not_to_have_attribute("aria-current", "page")
    # The header is one compact row: its bell and Menu button are in the bar instead.
    header = ana.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 60, header
    expect(ana.locator("#bell")).to_be_hidden()
    SHOTS.mkdir(parents=True, exist_ok=True)
    ana.screenshot(path=str(SHOTS / "phone-nav-my-day-ana.png"))

    tab(ana, "Board").tap()
    expect(ana).to_have_url(f"{server}/teams/noord/board/")
    expect(tab(ana, "Board")).to_have_attribute("aria-current", "page")
    tab(ana, "Clients").tap()
    expect(ana).to_have_url(f"{server}/teams/noord/clients/")
    expect(tab(ana, "Clients")).to_have_attribute("aria-current", "page")
    ana.get_by_role("link", name=re.compile("Wilma Jansen")).first.tap()
    expect(ana).to_have_url(f"{server}/clients/{client.pk}/")
    tab(ana, "Notifications").tap()
    expect(ana).to_have_url(f"{server}/notifications/")
    expect(tab(ana, "Notifications")).to_have_attribute("aria-current", "page")

    # More opens the menu with the rest: her team, Practice, Account, signing out.
    more = ana.get_by_role("button", name="More")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.tap()
    expect(more).to_have_attribute("aria-expanded", "true")
    main = ana.get_by_role("navigation", name="Main")
    for name in ["Noord", "Practice", "Published quality"]:
        expect(main.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(ana.get_by_role("link", name="Account")).to_be_visible()
    expect(ana.get_by_role("button", name=re.compile("^Sign out"))).to_be_visible()
    ana.screenshot(path=str(SHOTS / "phone-nav-more-ana.png"))
    ana.keyboard.press("Escape")
    expect(main).to_be_hidden()
    more.tap()
    main.get_by_role("link", name="Practice", exact=True).tap()
    expect(ana).to_have_url(f"{server}/practice/")


def test_the_bottom_bars_unread_count_follows_new_notifications(
    personas, server, can_log_in, browser
):
    proposal_services.proposal_raise(
        actor=personas.ben, team=personas.noord, kind="general", title="Lunch", purpose="P"
    )
    can_log_in(personas.ana, personas.ben)
    ana = phone(browser)
    log_in(ana, server, "ana")
    expect(ana.locator("#live-status")).to_have_text("Live")
    badge = ana.locator("#tab-unread .badge")
    expect(badge).to_have_text("1")
    expect(tab(ana, "Notifications")).to_have_accessible_name("Notifications 1 unread")

    # Ben raises another proposal on his phone: Ana's count goes up while she looks.
    ben = phone(browser)
    log_in(ben, server, "ben")
    ben.goto(f"{server}/teams/noord/proposals/new/")
    ben.get_by_role("link", name=re.compile("A team decision")).click()
    ben.get_by_label("Title").fill("Swap the Thursday round")
    ben.get_by_label("Purpose: why, and what it solves").fill("Both rounds get shorter.")
    ben.get_by_role("button", name="Raise the proposal").click()
    expect(ben.locator(".flash")).to_contain_text("Your proposal is raised")
    expect(badge).to_have_text("2", timeout=5000)
    expect(tab(ana, "Notifications")).to_have_accessible_name("Notifications 2 unread")
    # The header's bell (shown on wide screens) follows too.
    expect(ana.locator("#bell a")).to_have_attribute("data-unread", "2")


def test_a_coach_and_a_client_have_no_bottom_bar_but_reach_their_pages(
    personas, server, can_log_in, browser
):
    client = jansen_client(personas)
    can_log_in(personas.coach, personas.mrs_jansen)

    coach = phone(browser)
    log_in(coach, server, "coach")
    expect(coach.get_by_role("navigation", name="Quick")).to_have_count(0)
    header = coach.locator("header.top").bounding_box()
    assert header is not None and header["height"] <= 60, header
    expect(coach.locator("#bell")).to_be_visible()
    menu = coach.locator("#menu > summary")
    box = menu.bounding_box()
    assert box is not None and box["height"] >= 44, box
    open_menu(coach)
    coach.screenshot(path=str(SHOTS / "phone-nav-menu-coach.png"))
    coach.get_by_role("navigation", name="Main").get_by_role("link", name="Practice").tap()
    expect(coach).to_have_url(f"{server}/practice/")
    open_menu(coach)
    coach.get_by_role("link", name="Account").tap()
    expect(coach).to_have_url(f"{server}/account/")

    wilma = phone(browser)
    log_in(wilma, server, "mrs_jansen")
    expect(wilma.get_by_role("navigation", name="Quick")).to_have_count(0)
    wilma.get_by_role("link", name=re.compile("Your care record")).tap()
    expect(wilma).to_have_url(f"{server}/portal/clients/{client.pk}/")
    sections = wilma.get_by_role("navigation", name="Sections of the record")
    expect(sections.get_by_role("link")).to_have_text(
        [
            "Visits",
            "Plan",
            "Budget",
            "Diary",
            "Representative",
            "Survey",
            "Who sees what",
            "Who read it",
        ]
    )
    sections.get_by_role("link", name="Who read it").tap()
    expect(wilma).to_have_url(re.compile("#access-log$"))
    expect(wilma.get_by_role("heading", name="Who read my record")).to_be_in_viewport()
    wilma.screenshot(path=str(SHOTS / "phone-nav-portal-mrs-jansen.png"))
    open_menu(wilma)
    wilma.get_by_role("button", name=re.compile("^Sign out")).tap()
    expect(wilma).to_have_url(re.compile("/login/"))


def test_the_client_page_jumps_to_its_sections(personas, server, can_log_in, browser):
    client = jansen_client(personas)
    can_log_in(personas.ana)
    ana = phone(browser)
    log_in(ana, server, "ana")
    ana.goto(f"{server}/clients/{client.pk}/")
    sections = ana.get_by_role("navigation", name="Sections of the page")
    expect(sections.get_by_role("link")).to_have_count(8)
    for link in sections.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None and box["height"] >= 44, box

    sections.get_by_role("link", name="Diary").tap()
    expect(ana).to_have_url(re.compile("#diary$"))
    diary = ana.get_by_role("heading", name="Shared diary")
    expect(diary).to_be_in_viewport()
    # Neither the sticky header nor the section row covers the heading it jumped to.
    below = sections.bounding_box()
    heading = diary.bounding_box()
    assert below is not None and heading is not None
    assert heading["y"] >= below["y"] + below["height"], (heading, below)
    expect(sections.get_by_role("link", name="Diary")).to_have_attribute("aria-current", "location")
    sections.get_by_role("link", name="Details").tap()
    expect(ana.get_by_role("heading", name="Details", exact=True)).to_be_in_viewport()
    ana.screenshot(path=str(SHOTS / "phone-nav-client-ana.png"))
