"""The team home: its sections of proposals, decisions and roles."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from frontend import activity
from teams.models import Proposal, Team
from teams.services import proposals as proposal_services
from tests.factories import adopted, member
from tests.frontend.decision_pages.world import SETTLE, TERM_ENDS, browser_as, raise_

pytestmark = pytest.mark.django_db


def test_team_home_shows_roles_open_proposals_decisions_and_coaches(invited):
    handover = raise_(
        invited.ana,
        invited.noord,
        "role_handover",
        {"role": "planner", "person": invited.ben.pk, "ends": TERM_ENDS.isoformat()},
        title="Ben plans",
    )
    adopted(handover)
    open_proposal = raise_(invited.ana, invited.noord, title="Share the Tuesday round")
    raise_(invited.ben, invited.noord, title="Blocked one")
    blocked = Proposal.objects.get(title="Blocked one")
    proposal_services.proposal_object(actor=invited.ana, proposal=blocked, reason="Not yet")

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
    proposal_services.proposal_object(actor=noord.ben, proposal=blocked, reason="Not like this")
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
    proposal_services.proposal_object(actor=noord.ben, proposal=open_proposal, reason="Too far")
    proposal_services.proposal_comment(
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
        # Published quality data read "Someone: snapshot published" before it had words.
        (
            "snapshot.prepared",
            {"snapshot": 3},
            1,
            "Ana de Vries prepared quality figures for publishing",
        ),
        (
            "snapshot.published",
            {"snapshot": 3, "version": 2},
            None,
            "The team's quality figures were published (version 2)",
        ),
        ("survey.answered", {"survey": 8}, None, "A client answered the experience survey"),
    ],
)
def test_each_event_reads_as_a_sentence(kind, data, actor, words):
    names = activity.Names(
        people={1: "Ana de Vries", 2: "Ben", 3: "Dirk", 4: "Coach Carla"},
        proposals={7: "Rota"},
        roles={"planner": "Planner"},
    )
    assert activity.describe(record(kind, data, actor), names) == words
