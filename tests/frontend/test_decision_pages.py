"""Pages of team decisions: team home sections, proposals, raising, the decision log,
role history, coach reads and the coach's shared view.

Every page asks: may the person open it? (404 for everyone outside the team, coaches
only where the team shares with them), does bad input come back with the field named
and what was typed kept, and does the query count stay flat as decisions pile up.
"""

from __future__ import annotations

import datetime
import json
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coordination.events import EventRecord
from frontend import activity
from teams import services
from teams.models import CoachAccess, Comment, Proposal, Response, Team
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db

SETTLE = services.SETTLE + datetime.timedelta(seconds=1)
TERM_ENDS = timezone.localdate() + datetime.timedelta(days=400)  # within a term's three years


def browser_as(person=None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def htmx(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})


def raise_(who, team, kind="general", payload=None, **extra) -> Proposal:
    fields = {"title": f"{kind} proposal", "purpose": "Because it helps."} | extra
    return services.proposal_raise(actor=who, team=team, kind=kind, payload=payload, **fields)


def adopt(proposal: Proposal) -> Proposal:
    """Close the window (enough members responded: raising is consenting)."""
    services.proposals_close_due(team=proposal.team, now=proposal.closes_at + SETTLE)
    proposal.refresh_from_db()
    assert proposal.status == "adopted", proposal.outcome
    return proposal


@pytest.fixture
def noord(personas):
    return personas


@pytest.fixture
def open_proposal(noord) -> Proposal:
    return raise_(noord.ana, noord.noord, title="Share the Tuesday round", details="Ten visits.")


@pytest.fixture
def invited(noord) -> SimpleNamespace:
    """The coach, invited by an adopted coach_invite decision of team Noord."""
    proposal = raise_(
        noord.ana, noord.noord, "coach_invite", {"coach": noord.coach.pk, "ends": "2099-12-31"}
    )
    adopt(proposal)
    return noord


def snapshot() -> tuple:
    """What a refused request must leave exactly as it was."""
    return (
        list(Proposal.objects.values_list("pk", "status", "version", "title")),
        Response.objects.count(),
        Comment.objects.count(),
        EventRecord.objects.count(),
    )


def page_urls(team: Team, proposal: Proposal) -> list[str]:
    slug = team.slug
    return [
        f"/teams/{slug}/",
        *[f"/teams/{slug}/sections/{name}/" for name in ("proposals", "roles", "decisions")],
        f"/teams/{slug}/sections/members/",
        f"/teams/{slug}/sections/coaches/",
        f"/teams/{slug}/proposals/new/",
        f"/teams/{slug}/proposals/new/?kind=team_split",
        f"/teams/{slug}/decisions/",
        f"/teams/{slug}/decisions/?q=round",
        f"/teams/{slug}/roles/planner/",
        f"/teams/{slug}/coach-reads/",
        f"/proposals/{proposal.pk}/",
        f"/proposals/{proposal.pk}/part/state/",
        f"/proposals/{proposal.pk}/part/actions/",
    ]


def post_urls(team: Team, proposal: Proposal) -> list[tuple[str, dict]]:
    objection = Response.objects.filter(proposal=proposal).first()
    return [
        (f"/teams/{team.slug}/proposals/new/", {"kind": "general", "title": "x", "purpose": "y"}),
        (f"/proposals/{proposal.pk}/comment/", {"body": "Hello", "kind": "comment"}),
        (f"/proposals/{proposal.pk}/consent/", {}),
        (f"/proposals/{proposal.pk}/object/", {"reason": "No."}),
        (f"/proposals/{proposal.pk}/amend/", {"title": "Mine", "purpose": "p", "version": "1"}),
        (f"/proposals/{proposal.pk}/withdraw/", {}),
        (f"/proposals/{proposal.pk}/objections/{objection.pk}/withdraw/", {}),
        (f"/teams/{team.slug}/details/", {"phone": "999", "version": "1"}),
    ]


# --- who may open what ------------------------------------------------------------------


def test_every_page_opens_for_a_member(noord, open_proposal):
    client = browser_as(noord.ben)
    for url in page_urls(noord.noord, open_proposal):
        response = client.get(url)
        assert response.status_code == 200, url
    for kind in services.proposals.decisions.all_kinds():
        url = f"/teams/noord/proposals/new/?kind={kind.key}"
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "inspector", "client", "family", "coach"])
def test_everyone_outside_the_team_gets_404_on_every_page_and_form(
    noord, outsiders, open_proposal, who
):
    # The coach here is not invited: without the team's decision it sees nothing.
    client = browser_as(outsiders[who])
    for url in [*page_urls(noord.noord, open_proposal), "/teams/noord/shared/"]:
        assert client.get(url).status_code == 404, url
    before = snapshot()
    for url, data in post_urls(noord.noord, open_proposal):
        assert client.post(url, data).status_code == 404, url
        assert htmx(client, "post", url, data).status_code == 404, url
    assert snapshot() == before
    assert not CoachAccess.objects.exists()


def test_a_member_opening_the_shared_view_lands_on_the_team_home(noord):
    response = browser_as(noord.ana).get("/teams/noord/shared/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teams/noord/"


def test_an_invited_coach_sees_what_is_shared_and_nothing_else(invited, open_proposal):
    coach = browser_as(invited.coach)
    home = coach.get("/")
    assert home.status_code == 200
    assert 'href="/teams/noord/shared/"' in home.content.decode()

    for url in [
        "/teams/noord/",
        "/teams/noord/sections/proposals/",
        "/teams/noord/sections/members/",
        "/teams/noord/activity/",
        "/teams/noord/details/",
        "/teams/noord/coach-reads/",
        "/teams/noord/proposals/new/",
        "/teams/noord/proposals/new/?kind=general",
    ]:
        assert coach.get(url).status_code == 404, url

    shared = coach.get("/teams/noord/shared/")
    assert shared.status_code == 200
    html = shared.content.decode()
    assert "Share the Tuesday round" in html and "Planner" in html
    assert "coach_invite proposal" in html  # the adopted invitation, in recent decisions
    config = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    assert config == {
        "streams": {
            f"shared.{invited.noord.pk}": EventRecord.objects.filter(
                stream=f"shared.{invited.noord.pk}"
            ).count()
        }
    }
    assert f"team.{invited.noord.pk}" not in html

    for url in [
        f"/proposals/{open_proposal.pk}/",
        "/teams/noord/decisions/",
        "/teams/noord/roles/planner/",
        "/teams/noord/shared/live/",
        f"/proposals/{open_proposal.pk}/part/state/",
    ]:
        assert coach.get(url).status_code == 200, url

    page = coach.get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Coaches advise; they do not consent or object" in page
    assert "I consent" not in page and 'name="reason"' not in page
    assert f'"shared.{invited.noord.pk}"' in page

    # The team sees every read.
    whats = set(CoachAccess.objects.values_list("what", flat=True))
    assert {"shared page", f"proposal {open_proposal.pk}", "decision log"} <= whats
    log = browser_as(invited.ana).get("/teams/noord/coach-reads/").content.decode()
    assert "read decision log" in log


def test_an_invited_coach_comments_but_cannot_consent_or_object(invited, open_proposal):
    coach = browser_as(invited.coach)
    response = coach.post(
        f"/proposals/{open_proposal.pk}/comment/",
        {"body": "Have you asked team Zuid?", "kind": "question"},
    )
    assert response.status_code == 302
    assert Comment.objects.get().author == invited.coach

    before = snapshot()
    for url, data in [
        (f"/proposals/{open_proposal.pk}/consent/", {}),
        (f"/proposals/{open_proposal.pk}/object/", {"reason": "I would not."}),
        (f"/proposals/{open_proposal.pk}/withdraw/", {}),
    ]:
        assert coach.post(url, data).status_code == 403, url
        assert htmx(coach, "post", url, data).status_code == 403, url
    assert snapshot() == before
    page = coach.get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Have you asked team Zuid?" in page and "Coach" in page


def test_a_coach_whose_term_ended_sees_nothing_again(invited, open_proposal):
    ended = raise_(invited.ana, invited.noord, "coach_end", {"coach": invited.coach.pk})
    adopt(ended)
    coach = browser_as(invited.coach)
    for url in [
        "/teams/noord/shared/",
        f"/proposals/{open_proposal.pk}/",
        "/teams/noord/decisions/",
    ]:
        assert coach.get(url).status_code == 404, url


# --- team home ---------------------------------------------------------------------------


def test_team_home_shows_roles_open_proposals_decisions_and_coaches(invited):
    handover = raise_(
        invited.ana,
        invited.noord,
        "role_handover",
        {"role": "planner", "person": invited.ben.pk, "ends": TERM_ENDS.isoformat()},
        title="Ben plans",
    )
    adopt(handover)
    open_proposal = raise_(invited.ana, invited.noord, title="Share the Tuesday round")
    raise_(invited.ben, invited.noord, title="Blocked one")
    blocked = Proposal.objects.get(title="Blocked one")
    services.proposal_object(actor=invited.ana, proposal=blocked, reason="Not yet")

    html = browser_as(invited.ana).get("/teams/noord/").content.decode()
    roles = html[html.index('id="roles"') : html.index('id="decisions"')]
    assert "Planner" in roles and f"Ben Mulder, until {TERM_ENDS:%-d %b %Y}" in roles
    assert "Mentor" in roles and "nobody yet" in roles
    assert 'href="/teams/noord/roles/planner/"' in roles

    proposals = html[html.index('id="proposals"') : html.index('id="roles"')]
    assert "Share the Tuesday round" in proposals and "A team decision" in proposals
    assert "closes in" in proposals and "1 objection" in proposals
    assert f'href="/proposals/{open_proposal.pk}/"' in proposals

    decisions = html[html.index('id="decisions"') : html.index('id="members"')]
    assert f"Ben Mulder holds Planner until {TERM_ENDS:%-d %b %Y}" in decisions
    assert 'href="/teams/noord/decisions/"' in decisions

    coaches = html[html.index('id="coaches"') : html.index('id="details"')]
    assert invited.coach.display_name in coaches and "31 Dec 2099" in coaches
    assert 'href="/teams/noord/coach-reads/"' in coaches and "Coach reads" in coaches
    assert 'hx-trigger="kith:refresh"' in proposals


def test_statuses_after_the_window_waiting_and_blocked(noord):
    for name in ("dirk", "eva", "fay"):
        member(name, noord.noord)
    waiting = raise_(noord.ana, noord.noord, title="Needs more")
    blocked = raise_(noord.ana, noord.noord, title="Objected")
    services.proposal_object(actor=noord.ben, proposal=blocked, reason="Not like this")
    later = max(waiting.closes_at, blocked.closes_at) + SETTLE
    with time_machine.travel(later, tick=False):
        html = browser_as(noord.ana).get("/teams/noord/").content.decode()
        assert "waiting for 2 more responses" in html  # 5 members: 3 needed, 1 responded
        assert "blocked by an objection" in html
        page = browser_as(noord.ana).get(f"/proposals/{blocked.pk}/").content.decode()
        assert "Blocked by an objection" in page and "Not like this" in page


def test_opening_the_team_page_settles_proposals_whose_window_closed(noord, open_proposal):
    with time_machine.travel(open_proposal.closes_at + SETTLE, tick=False):
        html = browser_as(noord.ben).get("/teams/noord/").content.decode()
    open_proposal.refresh_from_db()
    assert open_proposal.status == "adopted"
    decisions = html[html.index('id="decisions"') : html.index('id="members"')]
    assert "Share the Tuesday round" in decisions and "Recorded as the team" in decisions


def test_a_team_past_its_size_norm_is_told_and_offered_a_split(noord):
    Team.objects.filter(pk=noord.noord.pk).update(size_norm=1)
    html = browser_as(noord.ana).get("/teams/noord/").content.decode()
    assert "2 members, 1 past the norm of 1: the team may want to consider a split" in html
    assert 'href="/teams/noord/proposals/new/?kind=team_split"' in html
    Team.objects.filter(pk=noord.noord.pk).update(size_norm=12)
    assert "past the norm" not in browser_as(noord.ana).get("/teams/noord/").content.decode()


def test_the_activity_list_says_what_happened_in_plain_words(noord, open_proposal):
    services.proposal_object(actor=noord.ben, proposal=open_proposal, reason="Too far")
    services.proposal_comment(
        actor=noord.ben, proposal=open_proposal, body="Which clients?", kind="question"
    )
    html = browser_as(noord.ana).get("/teams/noord/activity/").content.decode()
    assert "Ana de Vries raised a proposal: “Share the Tuesday round”" in html
    assert "Ben Mulder objected to “Share the Tuesday round”" in html
    assert "Ben Mulder asked a question about “Share the Tuesday round”" in html


def record(kind, data, actor=None):
    return SimpleNamespace(type=kind, data=data, actor_id=actor, seq=1, at=timezone.now())


@pytest.mark.parametrize(
    "kind, data, actor, words",
    [
        ("proposal.raised", {"proposal": 7}, 1, "Ana de Vries raised a proposal: “Rota”"),
        (
            "proposal.responded",
            {"proposal": 7, "response": "consent"},
            2,
            "Ben consented to “Rota”",
        ),
        (
            "proposal.responded",
            {"proposal": 7, "response": "objection"},
            2,
            "Ben objected to “Rota”",
        ),
        (
            "proposal.objection_withdrawn",
            {"proposal": 7},
            2,
            "Ben withdrew their objection to “Rota”",
        ),
        (
            "proposal.amended",
            {"proposal": 7, "resolved_objections": 1},
            1,
            "Ana de Vries amended “Rota”; the objection window is open again"
            " (1 objection resolved)",
        ),
        ("proposal.withdrawn", {"proposal": 7}, 1, "Ana de Vries withdrew the proposal “Rota”"),
        (
            "proposal.adopted",
            {"proposal": 7, "outcome": "Ben holds Planner until 2027-01-31"},
            None,
            "The team adopted “Rota”: Ben holds Planner until 31 Jan 2027",
        ),
        ("proposal.commented", {"proposal": 7, "kind": "comment"}, 2, "Ben commented on “Rota”"),
        ("proposal.commented", {"proposal": 99}, 2, "Ben commented on a proposal"),
        (
            "role.handed_over",
            {"role": "planner", "person": 2, "ends": "2027-01-31"},
            None,
            "Ben now holds Planner until 31 Jan 2027",
        ),
        ("membership.changed", {"person": 3, "change": "admitted"}, None, "Dirk joined the team"),
        ("membership.changed", {"person": 2, "change": "left"}, None, "Ben left the team"),
        (
            "coach.invited",
            {"coach": 4, "ends": "2027-03-01"},
            None,
            "Coach Carla coaches the team until 1 Mar 2027",
        ),
        ("coach.ended", {"coach": 4}, None, "Coach Carla no longer coaches the team"),
        ("agreement.adopted", {"number": 2}, None, "The team adopted version 2 of its agreement"),
        ("team.split", {"moved": [2, 3]}, None, "The team split: 2 members formed a new team"),
        (
            "reminder.role_term_ending",
            {"role": "planner", "person": 2, "ends": "2027-01-31"},
            None,
            "Reminder: Ben's term as Planner ends on 31 Jan 2027",
        ),
        (
            "reminder.review_due",
            {"proposal": 7, "review_date": "2027-02-01"},
            None,
            "Reminder: “Rota” is due for review (1 Feb 2027)",
        ),
        ("visit.claimed", {"visit": 5, "assignee": 2}, 2, "Ben took a visit"),
        ("visit.assigned", {"visit": 5, "assignee": 3}, 1, "Ana de Vries gave a visit to Dirk"),
        ("visit.finished", {"visit": 5}, 2, "Ben recorded a visit done"),
        (
            "visit.running_late",
            {"late_until": "2026-12-08T09:30"},
            2,
            "Ben is running late for a visit",
        ),
        (
            "visit.running_late",
            {"late_until": None},
            2,
            "Ben is no longer running late for a visit",
        ),
        ("visit.generated", {"series": 1}, None, "Repeating visits were planned ahead"),
        ("visit_series.created", {"series": 1}, 1, "Ana de Vries set up a repeating visit"),
        (
            "visit_series.exception_added",
            {"series": 1, "cancelled": True},
            2,
            "Ben cancelled one day of a repeating visit",
        ),
        (
            "handover.offered",
            {"kind": "handover", "from_person": 1, "to_person": 2},
            1,
            "Ana de Vries offered Ben a visit",
        ),
        (
            "handover.accepted",
            {"kind": "swap", "from_person": 1, "to_person": 2},
            2,
            "Ben accepted a swap of visits from Ana de Vries",
        ),
        (
            "client.moved",
            {"client": 9},
            None,
            "A client moved to the new team with their whole record",
        ),
    ],
)
def test_each_event_reads_as_a_sentence(kind, data, actor, words):
    names = activity.Names(
        people={1: "Ana de Vries", 2: "Ben", 3: "Dirk", 4: "Coach Carla"},
        proposals={7: "Rota"},
        roles={"planner": "Planner"},
    )
    assert activity.describe(record(kind, data, actor), names) == words


# --- the proposal page and its forms -------------------------------------------------------


def test_the_proposal_page_shows_what_why_status_responses_and_comments(noord, open_proposal):
    services.proposal_object(actor=noord.ben, proposal=open_proposal, reason="Too far to drive")
    services.proposal_comment(actor=noord.ben, proposal=open_proposal, body="Which clients?")
    html = browser_as(noord.ana).get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Share the Tuesday round" in html and "Because it helps." in html
    assert "Ten visits." in html and "A team decision" in html
    assert "Open: the objection window closes in" in html
    assert "2 of 2 members responded; 1 needed. 1 consent, 1 open objection." in html
    assert "Too far to drive" in html and "objects" in html
    assert "Which clients?" in html
    assert "Amend this proposal" in html and "Withdraw this proposal" in html
    assert f'"team.{noord.noord.pk}"' in html
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
    objection = services.proposal_object(actor=noord.ben, proposal=open_proposal, reason="No")
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
    services.proposal_object(actor=noord.ben, proposal=open_proposal, reason="Only Tuesdays?")
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
    services.proposal_amend(
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


# --- raising a proposal -------------------------------------------------------------------


def test_the_raise_page_offers_every_kind(noord):
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/").content.decode()
    for key in ("general", "admit_member", "role_handover", "team_split", "coach_invite"):
        assert f"?kind={key}" in html


def test_raising_a_general_proposal_without_javascript(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "general",
            "title": "Weekly huddle on Mondays",
            "purpose": "We miss each other.",
            "details": "",
            "window_hours": "48",
            "review_date": "2099-01-01",
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{proposal.pk}/"
    assert proposal.window == datetime.timedelta(hours=48)
    assert proposal.review_date == datetime.date(2099, 1, 1)


def test_raising_with_htmx_redirects_the_browser(noord):
    response = htmx(
        browser_as(noord.ana),
        "post",
        "/teams/noord/proposals/new/?kind=general",
        {"kind": "general", "title": "T", "purpose": "P", "window_hours": "72"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/proposals/{Proposal.objects.get().pk}/"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"purpose": ""}, "purpose", "Required: say what and why."),
        ({"window_hours": "400"}, "window_hours", "from 1 hour to 14 days (336 hours)"),
        ({"window_hours": "soon"}, "window_hours", "A number of hours, from 1 to 336."),
        ({"review_date": "2000-01-01"}, "review_date", "The review date must be in the future."),
        ({"review_date": "someday"}, "review_date", "Not a date (YYYY-MM-DD)."),
    ],
)
def test_bad_input_names_the_field_and_keeps_what_was_typed(noord, data, field, message):
    typed = {
        "kind": "general",
        "title": "Typed title",
        "purpose": "Typed purpose",
        "window_hours": "72",
    } | data
    for headers in ({}, {"HX-Request": "true"}):
        response = browser_as(noord.ana).post("/teams/noord/proposals/new/", typed, headers=headers)
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert 'value="Typed title"' in html
        assert f'id="e-f-{field.replace("_", "-")}"' in html
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    assert not Proposal.objects.exists()


def test_kind_fields_name_their_errors(noord):
    client = browser_as(noord.ana)
    response = client.post(
        "/teams/noord/proposals/new/",
        {"kind": "admit_member", "title": "Welcome", "purpose": "We need hands", "person": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a person." in html and 'value="Welcome"' in html
    response = client.post(
        "/teams/noord/proposals/new/",
        {
            "kind": "role_handover",
            "title": "Planner",
            "purpose": "Rotate",
            "role": "planner",
            "person": str(noord.ben.pk),
            "starts": "2030-01-01",
            "ends": "2029-01-01",
            "handover_notes": "Rota is in the blue folder",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The term ends before it starts." in html
    assert "Rota is in the blue folder" in html and 'value="2029-01-01"' in html
    assert not Proposal.objects.exists()


def test_the_admit_form_offers_nurses_not_in_the_team(noord):
    dirk = PersonFactory(username="dirk", first_name="Dirk", last_name="Smit")
    html = (
        browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=admit_member").content.decode()
    )
    assert f'value="{dirk.pk}"' in html and "Dirk Smit" in html
    assert f'value="{noord.cas.pk}"' in html  # in another team: may join this one too
    assert f'value="{noord.ben.pk}"' not in html and f'value="{noord.coach.pk}"' not in html


def test_the_agreement_form_starts_from_the_current_agreement(noord):
    adopt(raise_(noord.ana, noord.noord, "agreement", {"text": "We visit in pairs at night."}))
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=agreement").content.decode()
    assert "We visit in pairs at night.</textarea>" in html


def test_raising_a_split_with_members_and_roles(noord):
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=team_split").content.decode()
    assert 'name="moving"' in html and 'name="roles.planner"' in html
    assert 'value="Noord"' in html  # the staying team keeps its name unless changed
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "team_split",
            "title": "Two teams",
            "purpose": "We are too many",
            "window_hours": "72",
            "new_name": "Noord-Oost",
            "stays_name": "Noord",
            "moving": [str(noord.ben.pk)],
            "roles.planner": "move",
            "roles.mentor": "end",
        },
    )
    assert response.status_code == 302
    payload = Proposal.objects.get().payload
    assert payload["moving"] == [noord.ben.pk] and payload["new_name"] == "Noord-Oost"
    assert payload["roles"]["planner"] == "move" and payload["roles"]["mentor"] == "end"


def test_a_split_moving_everyone_is_refused_with_the_boxes_still_ticked(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "team_split",
            "title": "Two teams",
            "purpose": "We are too many",
            "new_name": "Noord-Oost",
            "moving": [str(noord.ana.pk), str(noord.ben.pk)],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Both teams need at least one member." in html
    assert html.count("checked") >= 2 and 'value="Noord-Oost"' in html


# --- decision log, role history, coach reads -----------------------------------------------


def test_the_decision_log_searches_and_says_what_each_changed(noord):
    adopt(raise_(noord.ana, noord.noord, title="Night visits in pairs"))
    adopt(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "mentor", "person": noord.ben.pk, "ends": TERM_ENDS.isoformat()},
            title="Ben mentors",
        )
    )
    raise_(noord.ana, noord.noord, title="Still open about night")
    client = browser_as(noord.ana)
    html = client.get("/teams/noord/decisions/").content.decode()
    assert "Night visits in pairs" in html and "Ben mentors" in html
    assert f"Ben Mulder holds Mentor until {TERM_ENDS:%-d %b %Y}" in html
    assert "Still open about night" not in html
    html = client.get("/teams/noord/decisions/?q=night").content.decode()
    assert "Night visits in pairs" in html and "Ben mentors" not in html
    assert "matching “night”" in html
    partial = htmx(client, "get", "/teams/noord/decisions/?q=mentor").content.decode()
    assert partial.lstrip().startswith('<section class="card" id="results"')
    assert "Ben mentors" in partial and "Night visits" not in partial


def test_role_history_lists_every_term_with_its_decision_and_notes(noord):
    first = adopt(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "planner", "person": noord.ana.pk, "handover_notes": "Blue folder"},
            title="Ana plans",
        )
    )
    second = adopt(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "planner", "person": noord.ben.pk, "handover_notes": "Ask Femke"},
            title="Ben plans",
        )
    )
    html = browser_as(noord.ben).get("/teams/noord/roles/planner/").content.decode()
    assert "Ben Mulder</strong> holds the role until" in html
    assert "Ana de Vries" in html and "Blue folder" in html and "Ask Femke" in html
    assert f'href="/proposals/{first.pk}/"' in html and f'href="/proposals/{second.pk}/"' in html
    assert "?kind=role_handover&amp;role=planner" in html
    assert browser_as(noord.ben).get("/teams/noord/roles/nonsense/").status_code == 404


# --- query counts stay flat -----------------------------------------------------------------


def grow(noord, open_count: int, adopted_count: int) -> None:
    # Decided ones have a short window, so closing them leaves the open ones open.
    hour = datetime.timedelta(hours=1)
    for n in range(adopted_count):
        adopt(raise_(noord.ana, noord.noord, title=f"Decided {n}", window=hour))
    for n in range(open_count):
        proposal = raise_(noord.ben, noord.noord, title=f"Open {n}")
        services.proposal_comment(actor=noord.ana, proposal=proposal, body="ok")


def measure(client, url) -> int:
    client.get(url)  # warm: sessions, settling
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/teams/noord/", "/teams/noord/decisions/"])
def test_query_counts_stay_flat_as_decisions_grow(noord, url, django_assert_max_num_queries):
    client = browser_as(noord.ana)
    grow(noord, 2, 2)
    at_two = measure(client, url)
    assert at_two <= 30
    grow(noord, 8, 8)
    assert Proposal.objects.filter(status="open").count() == 10
    assert Proposal.objects.filter(status="adopted").count() == 10
    client.get(url)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    html = response.content.decode()
    assert html.count("Decided ") >= 5
    if url == "/teams/noord/":
        assert html.count('data-proposal="') == 10


def test_every_bad_field_is_named_at_once(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {"kind": "coach_invite", "title": "Coach", "purpose": "", "window_hours": "0"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("purpose", "window-hours", "coach"):
        assert f'id="e-f-{field}"' in html, field
    assert 'value="Coach"' in html
