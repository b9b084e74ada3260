"""The privacy check in a phone's browser: a comment naming a client is held with the
reasons beside the text, which stays as typed; a surname alone is published once the
author ticks the box; the form fits a phone's width throughout."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from care.models import Client
from coordination.practice.models import Comment
from tests.coordination.test_practice import write
from tests.frontend.browser.conftest import log_in
from tests.frontend.browser.test_practice_browser import PHONE, controls_fit, fits

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def test_a_held_comment_keeps_its_text_and_says_why_on_a_phone(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana)
    Client.objects.create(
        team=personas.noord,
        first_name="Gerrit",
        last_name="Bosch",
        address="Hanzeweg 41",
        phone="0570 622 480",
    )
    note = write(personas.cas, title="Night lights", body="On the way to the bathroom.")
    ana = browser.new_context(viewport=PHONE).new_page()
    log_in(ana, server, "ana")
    ana.goto(f"{server}/practice/notes/{note.pk}/")
    box = ana.get_by_role("textbox", name="Comment")
    # Cyrillic "В" and "о", and a zero-width space inside the surname.
    typed = "Same for \u0412\u043e\u200bsch, Gerrit: Hanzeweg 41, 0570-622480."
    box.fill(typed)
    ana.get_by_role("button", name="Add the comment").click()

    held = ana.locator("#comment-held")
    expect(held).to_contain_text("Not published: this seems to identify a client.")
    expect(held.locator("li")).to_have_count(3)
    expect(held).to_contain_text("looks like the name of a client of team Noord")
    expect(held).to_contain_text("“Hanzeweg 41” in the comment looks like the address")
    expect(held).to_contain_text("“0570-622480” in the comment looks like the phone number")
    expect(held.get_by_role("checkbox")).to_have_count(0)  # nothing to confirm away
    expect(ana.get_by_role("textbox", name="Comment")).to_have_value(typed)
    assert not Comment.objects.exists()
    assert fits(ana) and controls_fit(ana)
    SHOTS.mkdir(exist_ok=True)
    ana.screenshot(path=str(SHOTS / "privacy-comment-held.png"), full_page=True)

    # She takes the client out; the brand stays, a surname alone: hers to confirm.
    ana.get_by_role("textbox", name="Comment").fill("Same for Bosch lamps: they last.")
    ana.get_by_role("button", name="Add the comment").click()
    confirm = ana.get_by_label("I checked: none of this identifies a client.")
    expect(confirm).to_be_visible()
    expect(ana.locator("#comment-held")).to_contain_text("looks like the surname of a client")
    assert not Comment.objects.exists()
    assert fits(ana)
    ana.screenshot(path=str(SHOTS / "privacy-comment-soft.png"), full_page=True)
    confirm.check()
    ana.get_by_role("button", name="Add the comment").click()
    expect(ana.locator("#comments [data-comment]")).to_have_count(1)
    expect(ana.locator("#comments")).to_contain_text("Same for Bosch lamps: they last.")
    expect(ana.get_by_role("textbox", name="Comment")).to_have_value("")
    assert Comment.objects.get().body == "Same for Bosch lamps: they last."
