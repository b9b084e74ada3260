"""The proposal page and its forms: consent, objections, comments, amendments, withdrawal."""

from __future__ import annotations

import datetime

import pytest

from coordination.events.streams import team_stream
from frontend import writes
from teams.models import Comment, Response
from teams.services import proposals as proposal_services
from tests.factories import PersonFactory
from tests.frontend.decision_pages.world import browser_as, htmx, raise_, snapshot

pytestmark = pytest.mark.django_db


def test_the_proposal_page_shows_what_why_status_responses_and_comments(noord, open_proposal):
    proposal_services.proposal_object(
        actor=noord.ben, proposal=open_proposal, reason="Too far to drive"
    )
    proposal_services.proposal_comment(
        actor=noord.ben, proposal=open_proposal, body="Which clients?"
    )
    html = browser_as(noord.ana).get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Share the Tuesday round" in html and "Because it helps." in html
    assert "Ten visits." in html and "A team decision" in html
    assert "Open: the objection window closes in" in html
    assert "2 of 2 members responded; 1 needed. 1 consent, 1 open objection." in html
    assert "Too far to drive" in html and "objects" in html
    assert "Which clients?" in html
    assert "Amend this proposal" in html and "Withdraw this proposal" in html
    assert f'"{team_stream(noord.noord.pk)}"' in html
    # Ben's view: his objection, a way to withdraw it, nothing of the author's.
    ben = browser_as(noord.ben).get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "You object to this revision." in ben and "Withdraw my objection" in ben
    assert "Amend this proposal" not in ben


def test_kind_payloads_are_summarised_with_names(noord):
    dirk = PersonFactory(username="dirk", first_name="Dirk", last_name="Smit")
    admit = raise_(noord.ana, noord.noord, "admit_member", {"person": dirk.pk})
    split = raise_(
        noord.ana,
        noord.noord,
        "team_split",
        {"new_name": "Noord-Oost", "moving": [noord.ben.pk], "roles": {"planner": "move"}},
    )
    client = browser_as(noord.ben)
    html = client.get(f"/proposals/{admit.pk}/").content.decode()
    assert "Joins the team" in html and "Dirk Smit" in html
    html = client.get(f"/proposals/{split.pk}/").content.decode()
    assert "Noord-Oost" in html and "Ben Mulder" in html and "Planner moves with its holder" in html


def test_consent_without_javascript_redirects_and_with_htmx_swaps_the_proposal(noord):
    proposal = raise_(noord.ana, noord.noord)
    response = browser_as(noord.ben).post(f"/proposals/{proposal.pk}/consent/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{proposal.pk}/"
    assert Response.objects.get(proposal=proposal, person=noord.ben).kind == "consent"

    other = raise_(noord.ana, noord.noord, title="Second")
    response = htmx(browser_as(noord.ben), "post", f"/proposals/{other.pk}/consent/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="proposal"') and "<html" not in html
    assert "Your consent is recorded." in html and "You consent to this revision." in html


def test_objecting_needs_a_reason_and_keeps_what_was_typed(noord, open_proposal):
    client = browser_as(noord.ben)
    response = client.post(f"/proposals/{open_proposal.pk}/object/", {"reason": "  "})
    assert response.status_code == 400
    assert "Say what the objection is, so it can be resolved." in response.content.decode()
    long = "x" * 5001
    response = htmx(client, "post", f"/proposals/{open_proposal.pk}/object/", {"reason": long})
    assert response.status_code == 400
    html = response.content.decode()
    # The one too-long wording (the objection's own "At most 5000 characters." is gone).
    assert "At most 5,000 characters (this has 5,001)." in html and long in html
    assert "data-editing" in html  # the live refresh leaves the messages alone
    assert not Response.objects.filter(person=noord.ben).exists()

    response = client.post(f"/proposals/{open_proposal.pk}/object/", {"reason": "Too far"})
    assert response.status_code == 302
    objection = Response.objects.get(person=noord.ben)
    assert (objection.kind, objection.reason, objection.state) == ("objection", "Too far", "open")


def test_withdrawing_my_objection(noord, open_proposal):
    objection = proposal_services.proposal_object(
        actor=noord.ben, proposal=open_proposal, reason="No"
    )
    url = f"/proposals/{open_proposal.pk}/objections/{objection.pk}/withdraw/"
    assert browser_as(noord.ana).post(url).status_code == 403  # not hers
    response = htmx(browser_as(noord.ben), "post", url)
    assert response.status_code == 200
    assert "Your objection is withdrawn" in response.content.decode()
    objection.refresh_from_db()
    assert objection.state == "withdrawn"


def test_a_comment_needs_words_and_keeps_the_kind_chosen(noord, open_proposal):
    response = browser_as(noord.ben).post(
        f"/proposals/{open_proposal.pk}/comment/", {"body": " ", "kind": "question"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Required." in html and 'value="question" checked' in html
    assert not Comment.objects.exists()


def test_amending_bad_input_keeps_what_was_typed(noord, open_proposal):
    response = browser_as(noord.ana).post(
        f"/proposals/{open_proposal.pk}/amend/",
        {"title": "Tuesday and Thursday", "purpose": "", "window_hours": "48", "version": "1"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Required: say what and why." in html
    assert (
        'value="Tuesday and Thursday"' in html
        and '<details class="disclosure" id="amend" open>' in html
    )
    response = browser_as(noord.ana).post(
        f"/proposals/{open_proposal.pk}/amend/",
        {"title": "T", "purpose": "P", "window_hours": "999", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert (
        "The objection window is from 1 hour to 14 days (336 hours)." in response.content.decode()
    )
    open_proposal.refresh_from_db()
    assert (open_proposal.title, open_proposal.revision) == ("Share the Tuesday round", 1)


def test_amending_resolves_objections_and_reopens_the_window(noord, open_proposal):
    proposal_services.proposal_object(
        actor=noord.ben, proposal=open_proposal, reason="Only Tuesdays?"
    )
    response = browser_as(noord.ana).post(
        f"/proposals/{open_proposal.pk}/amend/",
        {
            "title": "Share the Tuesday and Thursday rounds",
            "purpose": "Because it helps.",
            "details": "",
            "window_hours": "24",
            "version": "1",
        },
    )
    assert response.status_code == 302
    open_proposal.refresh_from_db()
    assert open_proposal.revision == 2 and open_proposal.window == datetime.timedelta(hours=24)
    html = browser_as(noord.ben).get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Resolved by amendment" in html and "revision 2" in html


def test_a_stale_amendment_is_409_shows_the_current_and_keeps_what_was_typed(noord, open_proposal):
    proposal_services.proposal_amend(
        actor=noord.ana, proposal=open_proposal, version=1, title="Changed in another tab"
    )
    response = browser_as(noord.ana).post(
        f"/proposals/{open_proposal.pk}/amend/",
        {"title": "My new title", "purpose": "Mine", "window_hours": "72", "version": "1"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The proposal changed since you opened it." in html
    assert "Changed in another tab" in html and 'value="My new title"' in html
    assert 'name="version" value="2"' in html  # saving again is a deliberate overwrite
    open_proposal.refresh_from_db()
    assert open_proposal.title == "Changed in another tab"


def test_an_amendment_without_its_version_says_the_page_is_out_of_date(noord, open_proposal):
    """The amend form said "The form is out of date: reload the page." on its own; every
    page now says it in the page adapter's one wording (frontend/writes.py)."""
    for headers in ({}, {"HX-Request": "true"}):
        response = browser_as(noord.ana).post(
            f"/proposals/{open_proposal.pk}/amend/",
            {"title": "Kept as typed", "purpose": "P", "window_hours": "72", "version": "x"},
            headers=headers,
        )
        assert response.status_code == 400
        html = response.content.decode()
        assert writes.STALE in html and "The form is out of date" not in html
        assert 'value="Kept as typed"' in html
    open_proposal.refresh_from_db()
    assert open_proposal.revision == 1


def test_only_the_author_amends_or_withdraws(noord, open_proposal):
    ben = browser_as(noord.ben)
    before = snapshot()
    assert ben.post(f"/proposals/{open_proposal.pk}/withdraw/").status_code == 403
    response = ben.post(
        f"/proposals/{open_proposal.pk}/amend/", {"title": "x", "purpose": "y", "version": "1"}
    )
    assert response.status_code == 403
    assert snapshot() == before
    response = browser_as(noord.ana).post(f"/proposals/{open_proposal.pk}/withdraw/")
    assert response.status_code == 302
    open_proposal.refresh_from_db()
    assert open_proposal.status == "withdrawn"
    html = browser_as(noord.ana).get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Withdrawn by its author" in html and "I consent" not in html
