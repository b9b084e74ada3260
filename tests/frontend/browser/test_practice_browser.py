"""Practice across the network on two phones: a note Ana writes appears on Cas's feed
(another team) without a reload; the client-data warning stops a note until it is
confirmed; and the pages fit a phone's width."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from care.models import Client
from coordination.practice.models import Note
from tests.frontend.browser.conftest import log_in, open_menu

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"
PHONE = {"width": 390, "height": 844}


def fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_new_note_appears_on_another_members_feed_without_a_reload(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana, personas.cas)
    Client.objects.create(team=personas.noord, first_name="Wilma", last_name="Jansen")
    cas = browser.new_context(viewport=PHONE).new_page()
    log_in(cas, server, "cas")
    open_menu(cas)
    cas.get_by_role("link", name="Practice", exact=True).click()
    expect(cas.get_by_role("heading", name="Practice across the network")).to_be_visible()
    expect(cas.locator("#live-status")).to_have_text("Live")
    assert fits(cas)
    cas.evaluate("window.stillTheSamePage = true")  # a reload would forget it

    ana = browser.new_context(viewport=PHONE).new_page()
    log_in(ana, server, "ana")
    ana.goto(f"{server}/practice/notes/new/")
    ana.get_by_label("Kind").select_option("story")
    ana.get_by_label("Title").fill("Mrs Jansen and the night lights")
    ana.get_by_label("Text").fill("We fitted **night lights** on the way to the bathroom.")
    ana.get_by_role("button", name="Publish").click()
    # Her team's client by name: warned, nothing published yet.
    warning = ana.locator("#client-data-warning")
    expect(warning).to_contain_text("looks like the name of a client of team Noord")
    assert not Note.objects.exists()
    assert fits(ana)
    SHOTS.mkdir(exist_ok=True)
    ana.screenshot(path=str(SHOTS / "practice-warning-ana.png"), full_page=True)
    ana.get_by_label("Title").fill("Night lights on the way to the bathroom")
    ana.get_by_role("button", name="Publish").click()
    expect(
        ana.get_by_role("heading", name="Night lights on the way to the bathroom")
    ).to_be_visible()
    expect(ana.locator("[data-note-body] strong")).to_have_text("night lights")

    # Cas did nothing: the note arrives on his feed through the socket.
    item = cas.locator("#practice-feed").get_by_text("Night lights on the way to the bathroom")
    expect(item).to_be_visible(timeout=5000)
    assert cas.evaluate("window.stillTheSamePage === true")
    assert fits(cas)
    cas.screenshot(path=str(SHOTS / "practice-feed-cas.png"), full_page=True)

    # The search page at phone width: the words box takes the row beside its
    # button (it once shrank to nothing, the button pushed past the card).
    cas.goto(f"{server}/practice/search/?q=night")
    expect(cas.locator("#results-h")).to_be_visible()
    assert fits(cas)
    assert controls_fit(cas), "a form control is squeezed or sticks out of its card"
    words = cas.get_by_label("Words").bounding_box()
    assert words["width"] >= 150, words
    cas.screenshot(path=str(SHOTS / "practice-search-cas.png"), full_page=True)


def controls_fit(page) -> bool:
    """Every visible input, select and button of the page is at least 44 px wide and
    ends inside the card it sits in."""
    return page.evaluate(
        """() => [...document.querySelectorAll('main input, main select, main button')]
        .filter(el => el.offsetParent !== null && el.type !== 'checkbox' && el.type !== 'radio')
        .every(el => {
          const box = el.getBoundingClientRect();
          const card = el.closest('.card');
          const edge = card ? card.getBoundingClientRect().right : window.innerWidth;
          return box.width >= 44 && box.right <= edge + 0.5;
        })"""
    )
