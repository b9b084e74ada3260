"""A decision by consent on two phones: ana raises, ben sees it live and objects, ana
sees the objection live. Screenshots of the decision pages go to .screenshots/."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from playwright.sync_api import expect

from teams.models import Proposal
from teams.services import proposals as proposal_services
from tests.frontend.browser.conftest import PHONE, log_in, open_team

SHOTS = Path(__file__).resolve().parents[3] / ".screenshots"
TITLE = "Swap the Tuesday evening round with Zuid"


def phone(browser):
    return browser.new_context(viewport=PHONE).new_page()


# Every text the page's live region takes, in order (what a screen reader is given).
HEARD = """
window.__heard = [];
document.addEventListener("DOMContentLoaded", () => {
  const region = document.getElementById("announce");
  if (!region) return;
  new MutationObserver(() => window.__heard.push(region.textContent.trim()))
    .observe(region, {childList: true, characterData: true, subtree: true});
});
"""


def heard(page) -> list[str]:
    return page.evaluate("() => window.__heard")


def test_raise_see_live_object_see_live(personas, server, can_log_in, browser):
    can_log_in(personas.ana, personas.ben)
    SHOTS.mkdir(exist_ok=True)
    ana, ben = phone(browser), phone(browser)
    ben.add_init_script(HEARD)

    log_in(ben, server, "ben")
    expect(ben).to_have_url(re.compile(r"/day/$"))
    open_team(ben)
    expect(ben.locator("#live-status")).to_have_text("Live")
    expect(ben.locator("#proposals")).to_contain_text("No open proposals.")

    # Ana raises a general proposal on her phone.
    log_in(ana, server, "ana")
    open_team(ana)
    ana.get_by_role("link", name="Raise a proposal").click()
    ana.get_by_role("link", name=re.compile("A team decision")).click()
    expect(ana.get_by_role("heading", name="A team decision")).to_be_visible()
    ana.get_by_label("Title").fill(TITLE)
    ana.get_by_label("Purpose: why, and what it solves").fill(
        "Zuid's round passes our clients in Voorstad; ours passes theirs in Borgele."
    )
    ana.get_by_label("Details (optional)").fill("Try it for six weeks, then review.")
    expect(ana.get_by_label("Objection window, in hours")).to_have_value("72")
    ana.get_by_role("button", name="Raise the proposal").click()
    expect(ana.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(ana.locator(".flash")).to_contain_text("Your proposal is raised")
    expect(ana.locator("#proposal-status")).to_contain_text("Open: the objection window closes")
    expect(ana.locator("#live-status")).to_have_text("Live")

    # Ben did nothing: the proposal appears on his team page through the socket.
    expect(ben.locator("#proposals")).to_contain_text(TITLE, timeout=5000)
    expect(ben.locator("#activity")).to_contain_text(f"Ana de Vries raised a proposal: “{TITLE}”")
    # Read out once. The activity line and Ben's notification bell both change, and
    # their refreshes settle in either order, so the region may hold the bell's text
    # last: what matters is what it was given.
    ben.wait_for_function(
        "() => window.__heard.some(text => text.includes('raised a proposal'))", timeout=5000
    )
    assert sum("raised a proposal" in text for text in heard(ben)) == 1, heard(ben)
    ben.screenshot(path=str(SHOTS / "decision-team-home-ben.png"), full_page=True)

    # Ben objects, with a reason.
    ben.locator("#proposals").get_by_role("link", name=re.compile(TITLE)).click()
    expect(ben.get_by_role("heading", name=TITLE)).to_be_visible()
    ben.get_by_label("Object, with a reason").fill(
        "Borgele clients expect Ineke at six; ask them before we swap."
    )
    ben.get_by_role("button", name="Object", exact=True).click()
    expect(ben.locator("#proposal")).to_contain_text("Your objection is recorded")
    expect(ben.get_by_role("button", name="Withdraw my objection")).to_be_visible()

    # Ana sees the objection arrive on the proposal page she is looking at.
    state = ana.locator("#proposal-state")
    expect(state).to_contain_text("Borgele clients expect Ineke at six", timeout=5000)
    expect(ana.locator("#proposal-status")).to_contain_text("1 open objection")
    expect(ana.locator("#announce")).to_contain_text("1 open objection")
    ana.screenshot(path=str(SHOTS / "decision-proposal-ana.png"), full_page=True)
    ben.screenshot(path=str(SHOTS / "decision-proposal-ben.png"), full_page=True)


def test_a_comment_typed_while_news_arrives_is_kept(personas, server, can_log_in, browser):
    """The live refresh leaves a section alone while someone is typing in it."""
    can_log_in(personas.ana, personas.ben)
    proposal = proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind="general", title=TITLE, purpose="Why"
    )
    ana, ben = phone(browser), phone(browser)
    for page, name in [(ana, "ana"), (ben, "ben")]:
        log_in(page, server, name)
        page.goto(f"{server}/proposals/{proposal.pk}/")
        expect(page.locator("#live-status")).to_have_text("Live")
    ana.get_by_label("Your comment or question").fill("Half a thought")
    ana.get_by_role("radio", name="Question").check()

    ben.get_by_label("Your comment or question").fill("Ben's question")
    ben.get_by_role("button", name="Post").click()
    expect(ben.locator("#proposal")).to_contain_text("Your comment is posted.")
    expect(ben.get_by_label("Your comment or question")).to_have_value("")

    expect(ana.locator("#proposal-state")).to_contain_text("Ben's question", timeout=5000)
    expect(ana.get_by_label("Your comment or question")).to_have_value("Half a thought")
    expect(ana.get_by_role("radio", name="Question")).to_be_checked()
    ana.get_by_role("button", name="Post").click()
    expect(ana.locator("#proposal-state")).to_contain_text("Half a thought")
    expect(ana.get_by_label("Your comment or question")).to_have_value("")


def test_screenshots_of_the_split_form_and_the_decision_log(personas, server, can_log_in, browser):
    can_log_in(personas.ana)
    # Some history: a handover and a general decision, adopted.
    for kind, payload, title in [
        ("general", {}, "Night visits in pairs after 22:00"),
        ("role_handover", {"role": "planner", "person": personas.ben.pk}, "Ben plans the rota"),
    ]:
        proposal = proposal_services.proposal_raise(
            actor=personas.ana,
            team=personas.noord,
            kind=kind,
            title=title,
            purpose="Agreed at the team meeting.",
            payload=payload,
            window=datetime.timedelta(hours=1),
        )
        proposal_services.proposals_close_due(
            team=personas.noord, now=proposal.closes_at + datetime.timedelta(minutes=1)
        )
    assert Proposal.objects.filter(status="adopted").count() == 2
    proposal_services.proposal_raise(
        actor=personas.ben, team=personas.noord, kind="general", title=TITLE, purpose="Why"
    )

    ana = phone(browser)
    log_in(ana, server, "ana")
    open_team(ana)
    expect(ana.locator("#roles")).to_contain_text("Ben Mulder, until")
    ana.screenshot(path=str(SHOTS / "decision-team-home-ana.png"), full_page=True)

    ana.goto(f"{server}/teams/noord/proposals/new/?kind=team_split")
    expect(ana.get_by_role("heading", name="Split the team")).to_be_visible()
    ana.get_by_label("Name of the new team").fill("Noord-Oost")
    ana.get_by_label("Ben Mulder", exact=True).check()
    ana.get_by_role("button", name="Raise the proposal").click()
    expect(ana.locator(".error-box")).to_be_visible()  # no title or purpose yet
    expect(ana.locator("header.top")).to_be_visible()  # swapped in place, not a new page
    expect(ana.get_by_label("Name of the new team")).to_have_value("Noord-Oost")
    expect(ana.get_by_label("Ben Mulder", exact=True)).to_be_checked()
    ana.screenshot(path=str(SHOTS / "decision-raise-split-ana.png"), full_page=True)

    ana.goto(f"{server}/teams/noord/decisions/")
    expect(ana.get_by_role("heading", name="Decision log")).to_be_visible()
    expect(ana.locator("#results")).to_contain_text("Ben Mulder holds Planner until")
    ana.get_by_label("Search decisions").fill("night")
    ana.get_by_role("button", name="Search").click()
    expect(ana.locator("#results")).to_contain_text("1 decision matching")
    expect(ana).to_have_url(re.compile(r"/decisions/\?q=night$"))
    ana.get_by_label("Search decisions").fill("")
    ana.get_by_role("button", name="Search").click()
    expect(ana.locator("#results")).to_contain_text("2 decisions")
    ana.screenshot(path=str(SHOTS / "decision-log-ana.png"), full_page=True)

    ana.goto(f"{server}/teams/noord/roles/planner/")
    expect(ana.get_by_role("heading", name="Planner")).to_be_visible()
    expect(ana.locator("main")).to_contain_text("Decision: Ben plans the rota")
    ana.screenshot(path=str(SHOTS / "decision-role-ana.png"), full_page=True)


def test_an_invited_coach_follows_what_the_team_shares_live(personas, server, can_log_in, browser):
    can_log_in(personas.ana, personas.coach)
    invite = proposal_services.proposal_raise(
        actor=personas.ana,
        team=personas.noord,
        kind="coach_invite",
        title="Invite a coach for the split",
        purpose="We want advice on splitting.",
        payload={"coach": personas.coach.pk, "ends": "2099-12-31"},
        window=datetime.timedelta(hours=1),
    )
    proposal_services.proposals_close_due(
        team=personas.noord, now=invite.closes_at + datetime.timedelta(minutes=1)
    )

    coach = phone(browser)
    log_in(coach, server, "coach")
    coach.get_by_role("link", name=re.compile("Team Noord")).click()
    expect(coach).to_have_url(re.compile(r"/teams/noord/shared/$"))
    expect(coach.locator("#live-status")).to_have_text("Live")
    expect(coach.locator("#shared")).to_contain_text("Invite a coach for the split")

    ana = phone(browser)
    log_in(ana, server, "ana")
    ana.goto(f"{server}/teams/noord/proposals/new/?kind=general")
    ana.get_by_label("Title").fill(TITLE)
    ana.get_by_label("Purpose: why, and what it solves").fill("Shorter drives.")
    ana.get_by_role("button", name="Raise the proposal").click()
    expect(ana.get_by_role("heading", name=TITLE)).to_be_visible()

    expect(coach.locator("#shared")).to_contain_text(TITLE, timeout=5000)
    coach.screenshot(path=str(SHOTS / "decision-shared-coach.png"), full_page=True)
    coach.locator("#shared").get_by_role("link", name=re.compile(TITLE)).click()
    expect(coach.get_by_text("Coaches advise; they do not consent or object")).to_be_visible()
    expect(coach.get_by_role("button", name="I consent")).to_have_count(0)
    coach.get_by_label("Your comment or question").fill("Have you asked team Zuid?")
    coach.get_by_role("button", name="Post").click()
    expect(coach.locator("#proposal-state")).to_contain_text("Have you asked team Zuid?")
    # Ana, on her proposal page, sees the coach's comment arrive.
    expect(ana.locator("#proposal-state")).to_contain_text("Have you asked", timeout=5000)
