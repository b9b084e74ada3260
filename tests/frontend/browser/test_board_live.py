"""The team board on two phones: a claim shows on the other's board within a second,
and the loser of a simultaneous claim is told who has the visit."""

from __future__ import annotations

import datetime
import time
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from care.models import Client
from tests.care.visit_helpers import plan
from tests.frontend.browser.conftest import log_in

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def at(day: datetime.date, clock: str) -> datetime.datetime:
    hour, minute = map(int, clock.split(":"))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_a_claim_appears_on_the_other_board_and_the_loser_of_a_race_is_told(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana, personas.ben)
    # Tomorrow's visits: the board of a given day, whatever the clock says now.
    day = timezone.localdate() + datetime.timedelta(days=1)
    client = Client.objects.create(
        team=personas.noord, first_name="Wilma", last_name="Jansen", status=Client.Status.ACTIVE
    )
    first = plan(personas.ana, client, at(day, "09:00"))
    second = plan(personas.ana, client, at(day, "15:00"))
    url = f"{server}/teams/noord/board/?date={day.isoformat()}"
    pages = {}
    for name in ("ana", "ben"):
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        log_in(page, server, name)
        page.goto(url)
        expect(page.locator("#live-status")).to_have_text("Live")
        pages[name] = page
    ana, ben = pages["ana"], pages["ben"]
    # Each sees the other come online.
    expect(ben.locator(f'#around [data-person-id="{personas.ana.pk}"]')).to_have_attribute(
        "data-online", "yes"
    )

    # Ana takes the 09:00; Ben, doing nothing, sees it leave "Not taken yet" within a second.
    ana.locator(f'[data-visit="{first.pk}"] [data-action="claim"]').click()
    expect(ana.locator("#board-message")).to_contain_text("You have the visit to Wilma Jansen")
    started = time.monotonic()
    lane = ben.locator(f'[data-lane="{personas.ana.pk}"] [data-visit="{first.pk}"]')
    expect(lane).to_be_visible(timeout=1000)
    seen_after = time.monotonic() - started
    assert seen_after < 1.0
    expect(ben.locator(f'[data-visit="{first.pk}"] [data-action="claim"]')).to_have_count(0)

    # Both tap "Take it" on the 15:00 at the same instant: one gets it, the other is told.
    buttons = f'[data-visit="{second.pk}"] [data-action="claim"]'
    expect(ana.locator(buttons)).to_be_visible()
    expect(ben.locator(buttons)).to_be_visible()

    def claim_of(response) -> bool:
        return response.request.method == "POST" and response.url.endswith(f"/{second.pk}/claim/")

    with (
        ana.expect_response(claim_of, timeout=30000) as ana_answer,
        ben.expect_response(claim_of, timeout=30000) as ben_answer,
    ):
        for page in (ana, ben):
            page.evaluate(f"() => document.querySelector('{buttons}').click()")
    answers = {ana: ana_answer.value.status, ben: ben_answer.value.status}
    # Exactly one claim won; the other was told who has it (409).
    assert sorted(answers.values()) == [200, 409], answers
    winner = next(page for page, code in answers.items() if code == 200)
    loser = ben if winner is ana else ana
    expect(loser.locator("#board-message [role=alert]")).to_be_visible(timeout=10000)
    second.refresh_from_db()
    winner_name = "Ana de Vries" if winner is ana else "Ben Mulder"
    assert second.assignee.display_name == winner_name
    expect(loser.locator("#board-message [role=alert]")).to_contain_text(
        f"Wilma Jansen, 15:00: {winner_name} has already taken this visit"
    )
    expect(winner.locator("#board-message")).to_contain_text("You have the visit")
    # The loser's board shows who has it, and the message stays through live refreshes.
    expect(
        loser.locator(f'[data-lane="{second.assignee_id}"] [data-visit="{second.pk}"]')
    ).to_be_visible()
    SHOTS.mkdir(exist_ok=True)
    loser.screenshot(path=str(SHOTS / "board-race-loser.png"), full_page=True)
    winner.screenshot(path=str(SHOTS / "board-race-winner.png"), full_page=True)
