"""Consent decisions through the API, door by door: everyone outside the team, nobody signed
in, an invited coach (reads and comments, never decides), a member who left."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from teams.models import (
    CoachAccess,
    CoachTerm,
    Comment,
    Membership,
)
from teams.services import proposals as proposal_services
from tests.doors import api
from tests.teams.decisions_api.world import (
    API,
    COACH_EXPECTS,
    ENDPOINT_IDS,
    ENDPOINTS,
    adopt_due,
    call,
    consent,
    error,
    raised,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_the_matrix_covers_every_team_and_proposal_endpoint():
    covered = {(name, method) for name, _route, method in ENDPOINTS}
    assert covered >= {
        ("api-team-proposals", "get"),
        ("api-team-proposals", "post"),
        ("api-proposal", "get"),
        ("api-proposal-comments", "post"),
        ("api-proposal-consent", "post"),
        ("api-proposal-object", "post"),
        ("api-proposal-amend", "post"),
        ("api-proposal-withdraw", "post"),
        ("api-objection-withdraw", "post"),
        ("api-team-decisions", "get"),
        ("api-team-roles", "get"),
        ("api-team-coach-accesses", "get"),
    }
    unclassified = covered - set(COACH_EXPECTS)
    assert not unclassified, f"classify for coaches and outsiders: {unclassified}"


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=ENDPOINT_IDS)
@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_everyone_outside_the_team_gets_404_and_changes_nothing(
    world, outsiders, who, name, route, method
):
    before = snapshot()
    accesses = CoachAccess.objects.count()
    response = call(outsiders[who], world, name, route, method)
    assert response.status_code == 404, response.content
    assert error(response)[0] == 404
    assert snapshot() == before
    assert CoachAccess.objects.count() == accesses


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_anonymous_gets_401_and_changes_nothing(world, name, route, method):
    before = snapshot()
    response = call(None, world, name, route, method)
    assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_an_invited_coach_reads_and_comments_but_never_decides(invited, name, route, method):
    expected = COACH_EXPECTS[(name, method)]
    before = snapshot()
    response = call(invited.coach, invited, name, route, method)
    assert response.status_code == expected, response.content
    after = snapshot()
    if expected == 201:  # a comment: one comment, its audit row and its event
        assert after["comments"] == before["comments"] + 1
        assert after["audit"] == before["audit"] + 1
        comment = Comment.objects.latest("pk")
        assert (comment.author, comment.kind) == (invited.coach, "question")
        after |= {k: before[k] for k in ("comments", "audit", "events")}
    elif expected >= 400:
        assert error(response)[0] == expected
    assert after == before


def test_an_invited_coach_comments_and_asks(invited):
    client = api(invited.coach)
    url = f"{API}/proposals/{invited.proposal.pk}/comments"
    assert client.post(url, {"body": "Have you tried a pool car?"}, format="json").status_code == (
        201
    )
    response = client.post(url, {"body": "Who drives?", "kind": "question"}, format="json")
    assert response.status_code == 201
    assert [(c["author"]["id"], c["kind"], c["body"]) for c in response.json()["comments"]] == [
        (invited.coach.pk, "comment", "Have you tried a pool car?"),
        (invited.coach.pk, "question", "Who drives?"),
    ]


def test_an_invited_coach_sees_proposals_decisions_and_roles(invited):
    client = api(invited.coach)
    proposals = client.get(f"{API}/teams/{invited.noord.pk}/proposals").json()
    assert invited.proposal.pk in [p["id"] for p in proposals]
    decisions = client.get(f"{API}/teams/{invited.noord.pk}/decisions").json()
    assert [d["kind"] for d in decisions] == ["coach_invite"]
    roles = client.get(f"{API}/teams/{invited.noord.pk}/roles").json()
    assert "planner" in [r["key"] for r in roles]
    detail = client.get(f"{API}/proposals/{invited.proposal.pk}").json()
    assert detail["responses"][-1]["reason"] == "Who pays the insurance?"


@pytest.mark.parametrize(
    ("path", "what"),
    [
        ("teams/{team}/proposals", "proposals"),
        ("teams/{team}/decisions", "decision log"),
        ("teams/{team}/roles", "roles"),
    ],
)
def test_each_coach_read_of_a_list_is_logged_once_and_the_team_sees_it(invited, path, what):
    url = f"{API}/" + path.format(team=invited.noord.pk)
    assert api(invited.coach).get(url).status_code == 200
    assert list(CoachAccess.objects.values_list("coach", "team", "what")) == [
        (invited.coach.pk, invited.noord.pk, what)
    ]
    # Members' own reads are not coach reads.
    api(invited.ana).get(url)
    assert CoachAccess.objects.count() == 1
    seen = api(invited.ana).get(f"{API}/teams/{invited.noord.pk}/coach-accesses")
    assert seen.status_code == 200
    assert [(a["coach"]["id"], a["what"]) for a in seen.json()] == [(invited.coach.pk, what)]


def test_a_coach_reading_a_proposal_is_logged_once(invited):
    assert api(invited.coach).get(f"{API}/proposals/{invited.proposal.pk}").status_code == 200
    assert list(CoachAccess.objects.values_list("coach", "what")) == [
        (invited.coach.pk, f"proposal {invited.proposal.pk}")
    ]


def test_a_coach_reading_a_proposal_is_visible_to_the_team(invited):
    assert api(invited.coach).get(f"{API}/proposals/{invited.proposal.pk}").status_code == 200
    seen = api(invited.ana).get(f"{API}/teams/{invited.noord.pk}/coach-accesses").json()
    assert {(a["coach"]["id"], a["what"]) for a in seen} == {
        (invited.coach.pk, f"proposal {invited.proposal.pk}")
    }


def test_ben_sees_coach_reads_but_the_coach_does_not(invited):
    api(invited.coach).get(f"{API}/teams/{invited.noord.pk}/roles")
    assert len(api(invited.ben).get(f"{API}/teams/{invited.noord.pk}/coach-accesses").json()) == 1
    response = api(invited.coach).get(f"{API}/teams/{invited.noord.pk}/coach-accesses")
    assert response.status_code == 404


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=ENDPOINT_IDS)
def test_after_coach_end_is_adopted_the_coach_gets_404_again(invited, name, route, method):
    proposal_id = raised(
        invited.ana,
        invited.noord,
        kind="coach_end",
        title="Thank our coach",
        purpose="The rota works now.",
        payload={"coach": invited.coach.pk},
    )
    assert adopt_due(proposal_id) == [proposal_id]
    before = snapshot()
    accesses = CoachAccess.objects.count()
    response = call(invited.coach, invited, name, route, method)
    assert response.status_code == 404, response.content
    assert snapshot() == before
    assert CoachAccess.objects.count() == accesses


def test_a_coach_term_that_ended_by_date_gives_no_access(invited):
    term = CoachTerm.objects.get(team=invited.noord, coach=invited.coach)
    with time_machine.travel(
        datetime.datetime.combine(term.ends, datetime.time(12), tzinfo=datetime.UTC)
        + datetime.timedelta(days=2),
        tick=False,
    ):
        response = api(invited.coach).get(f"{API}/teams/{invited.noord.pk}/proposals")
    assert response.status_code == 404


def test_a_member_who_left_by_decision_gets_404(world):
    leaving = proposal_services.proposal_raise(
        actor=world.ana,
        team=world.noord,
        kind="remove_member",
        title="Ben moves to Zwolle",
        purpose="He found a team near home.",
        payload={"person": world.ben.pk},
    )
    # (The closer settles every due proposal; the removal is the one this test needs.)
    assert leaving.pk in adopt_due(leaving.pk)
    assert not Membership.objects.filter(person=world.ben, left=None).exists()
    client = api(world.ben)
    before = snapshot()
    assert client.get(f"{API}/teams/{world.noord.pk}/proposals").status_code == 404
    assert client.get(f"{API}/proposals/{world.proposal.pk}").status_code == 404
    assert consent(world.ben, world.proposal.pk).status_code == 404
    assert client.post(f"{API}/objections/{world.objection.pk}/withdraw").status_code == 404
    assert snapshot() == before
