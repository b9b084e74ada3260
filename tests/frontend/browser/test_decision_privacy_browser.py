"""The client-data check on a team's decisions, on phones: the coach's question naming
the team's client is held with the reason beside the text, which stays as typed; a
surname alone is posted once the coach ticks the box. Ana's handover notes naming him
are held at their field when she raises the proposal."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from teams.models import Comment, Proposal
from teams.services import proposals as proposal_services
from tests.frontend.browser.conftest import PHONE, log_in
from tests.frontend.browser.test_practice_browser import fits
from tests.teams.test_decision_privacy import bosch, invite_coach

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"


def test_the_coach_and_the_author_are_told_why_and_keep_what_they_typed(
    personas, server, can_log_in, browser
):
    can_log_in(personas.ana, personas.coach)
    bosch(personas.noord)
    invite_coach(personas)
    proposal = proposal_services.proposal_raise(
        actor=personas.ana,
        team=personas.noord,
        kind="general",
        title="Later starts on Mondays",
        purpose="The ring road is blocked until nine.",
    )
    SHOTS.mkdir(exist_ok=True)

    coach = browser.new_context(viewport=PHONE).new_page()
    log_in(coach, server, "coach")
    coach.goto(f"{server}/proposals/{proposal.pk}/")
    coach.get_by_role("radio", name="Question").check()
    box = coach.get_by_role("textbox", name="Your comment or question")
    typed = "Did you ask mevrouw Bosch at Hanzeweg 41 what suits her?"
    box.fill(typed)
    coach.get_by_role("button", name="Post").click()
    held = coach.locator("#comment-held")
    expect(held).to_contain_text("Not published: this seems to identify a client.")
    expect(held.locator("li")).to_have_count(2)
    expect(held).to_contain_text("“mevrouw Bosch” in the question looks like the name")
    expect(held).to_contain_text("“Hanzeweg 41” in the question looks like the address")
    expect(held.get_by_role("checkbox")).to_have_count(0)
    expect(coach.get_by_role("textbox", name="Your comment or question")).to_have_value(typed)
    expect(coach.get_by_role("radio", name="Question")).to_be_checked()
    assert not Comment.objects.exists()
    assert fits(coach)
    coach.screenshot(path=str(SHOTS / "decision-privacy-coach-held.png"), full_page=True)

    # A brand, a surname alone: hers to confirm.
    soft = "Does Bosch make a quieter hoist for the early round?"
    coach.get_by_role("textbox", name="Your comment or question").fill(soft)
    coach.get_by_role("button", name="Post").click()
    confirm = coach.get_by_label("I checked: none of this identifies a client.")
    expect(confirm).to_be_visible()
    assert not Comment.objects.exists()
    confirm.check()
    coach.get_by_role("button", name="Post").click()
    expect(coach.locator("[data-comment]")).to_have_count(1)
    expect(coach.locator("[data-comment]")).to_contain_text(soft)
    assert Comment.objects.get().body == soft

    ana = browser.new_context(viewport=PHONE).new_page()
    log_in(ana, server, "ana")
    ana.goto(f"{server}/teams/noord/proposals/new/?kind=role_handover")
    ana.get_by_label("Title").fill("Ben plans next")
    ana.get_by_label("Purpose: why, and what it solves").fill("Roles rotate yearly.")
    ana.get_by_label("Role", exact=True).select_option("planner")
    ana.get_by_label("Next holder").select_option(str(personas.ben.pk))
    notes = "Key safe for G. Bosch: 4411."
    ana.get_by_label("Handover notes").fill(notes)
    ana.get_by_role("button", name="Raise the proposal").click()
    expect(ana.locator("#e-f-handover-notes")).to_have_text(
        "“G. Bosch” in the handover notes looks like the name of a client of team Noord."
    )
    expect(ana.locator("#raise-held")).to_be_visible()
    expect(ana.get_by_label("Handover notes")).to_have_value(notes)
    assert not Proposal.objects.filter(kind="role_handover").exists()
    assert fits(ana)
    ana.screenshot(path=str(SHOTS / "decision-privacy-raise-held.png"), full_page=True)
