"""Consent decisions through the API (issue 3): who may do what, bad input, the path
from raising a proposal to an adopted decision, and query counts of the lists.

A proposal is adopted when its objection window has closed (plus ``SETTLE``) with no
open objection and at least ceil(members / 2) responses to its current revision.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.events import EventRecord
from frontend import present
from teams import access as team_access
from teams import services
from teams import urls as team_urls
from teams.models import (
    AuditEntry,
    CoachAccess,
    CoachTerm,
    Comment,
    Invitation,
    Membership,
    Proposal,
    Response,
    RoleTerm,
    Team,
)
from teams.services import SETTLE
from teams.services.invitations import invitation_create
from tests.api_walk import api_endpoints
from tests.doors import api
from tests.factories import PersonFactory, member

pytestmark = pytest.mark.django_db

API = "/api/v1"
WRITE_METHODS = ("post", "put", "patch", "delete")
ONE_SECOND = datetime.timedelta(seconds=1)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def proposal_body(**overrides) -> dict:
    return {
        "kind": "general",
        "title": "Lunch rota on Thursdays",
        "purpose": "So that nobody eats alone at the office.",
        "details": "",
        "payload": {},
        "window_hours": 72,
    } | overrides


def raise_(person, team, **overrides):
    return api(person).post(
        f"{API}/teams/{team.pk}/proposals", proposal_body(**overrides), format="json"
    )


def raised(person, team, **overrides) -> int:
    response = raise_(person, team, **overrides)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def consent(person, proposal_id: int):
    return api(person).post(f"{API}/proposals/{proposal_id}/consent", format="json")


def adopt_due(proposal_id: int) -> list[int]:
    """Run the closer just after this proposal's window and settle delay."""
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    return services.proposals_close_due(now=closes_at + SETTLE + ONE_SECOND)


def after_window(proposal_id: int, extra: datetime.timedelta = ONE_SECOND):
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    return time_machine.travel(closes_at + SETTLE + extra, tick=False)


def snapshot() -> dict:
    """Everything a decision request could change, row by row."""
    return {
        "proposals": list(
            Proposal.objects.order_by("pk").values_list(
                "pk", "status", "revision", "version", "title", "closes_at", "outcome"
            )
        ),
        "responses": list(
            Response.objects.order_by("pk").values_list("pk", "kind", "state", "revision")
        ),
        "comments": Comment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": EventRecord.objects.count(),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "team", "left")),
        "role_terms": list(RoleTerm.objects.order_by("pk").values_list("pk", "person", "ended")),
        "coach_terms": list(CoachTerm.objects.order_by("pk").values_list("pk", "ended")),
        "teams": list(Team.objects.order_by("pk").values_list("pk", "name", "version", "phone")),
        "invitations": list(
            Invitation.objects.order_by("pk").values_list(
                "pk", "send_count", "withdrawn_at", "accepted_at", "nonce_digest"
            )
        ),
    }


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert body["message"], body
    return response.status_code, body["message"], body["extra"].get("fields", {})


# --- the endpoints, listed from the URL patterns ------------------------------------------


def _methods(view_class) -> list[str]:
    return [m for m in ("get", *WRITE_METHODS) if hasattr(view_class, m)]


def team_scoped_endpoints() -> list[tuple[str, str, str]]:
    """(url name, route, method) of every teams endpoint about one team, proposal or
    objection: every route with a <id:pk> (but a person's own API tokens, whose matrix
    is in test_credentials.py)."""
    return [
        (pattern.name, str(pattern.pattern), method)
        for pattern in team_urls.urlpatterns
        if "<id:pk>" in str(pattern.pattern) and not str(pattern.pattern).startswith("auth/")
        for method in _methods(pattern.callback.view_class)
    ]


ENDPOINTS = team_scoped_endpoints()
ENDPOINT_IDS = [f"{method.upper()} {route}" for _name, route, method in ENDPOINTS]

# What an invited coach gets from each (url name, method): reads of what the team
# shares and comments; never a say in the decision, never the team's own pages.
# A new endpoint fails the matrix until it is classified here.
COACH_EXPECTS = {
    ("api-team", "get"): 404,
    ("api-team", "patch"): 404,
    ("api-team-proposals", "get"): 200,
    ("api-team-proposals", "post"): 403,
    ("api-team-decisions", "get"): 200,
    ("api-team-roles", "get"): 200,
    ("api-team-coach-accesses", "get"): 404,
    ("api-proposal", "get"): 200,
    ("api-proposal-comments", "post"): 201,
    ("api-proposal-consent", "post"): 403,
    ("api-proposal-object", "post"): 403,
    ("api-proposal-amend", "post"): 403,
    ("api-proposal-withdraw", "post"): 403,
    ("api-objection-withdraw", "post"): 403,
    # Invitations are the team's own business: coaches do not see them.
    ("api-team-invitations", "get"): 404,
    ("api-invitation-resend", "post"): 404,
    ("api-invitation-withdraw", "post"): 404,
}


@pytest.fixture
def world(personas):
    """Noord with an open proposal by ana that ben objected to."""
    proposal = services.proposal_raise(
        actor=personas.ana,
        team=personas.noord,
        kind="general",
        title="Shared car for the evening round",
        purpose="Fewer late taxis.",
    )
    objection = services.proposal_object(
        actor=personas.ben, proposal=proposal, reason="Who pays the insurance?"
    )
    invitation, _ = invitation_create(
        actor=personas.ana,
        purpose="admit",
        email="lotte@example.org",
        team=personas.noord,
    )
    return SimpleNamespace(
        **vars(personas), proposal=proposal, objection=objection, invitation=invitation
    )


def call(person, world, name: str, route: str, method: str):
    """Make a well-formed request to the endpoint, aimed at Noord's material: if the
    person were allowed, it would succeed and change something."""
    if route.startswith("teams/"):
        pk = world.noord.pk
    elif route.startswith("proposals/"):
        pk = world.proposal.pk
    elif route.startswith("objections/"):
        pk = world.objection.pk
    elif route.startswith("invitations/"):
        pk = world.invitation.pk
    else:
        pytest.fail(f"unclassified endpoint {route}: say what its <pk> is")
    bodies = {
        ("api-team", "patch"): {"phone": "0900 666"},
        ("api-team-proposals", "post"): proposal_body(),
        ("api-proposal-comments", "post"): {"body": "Is the car electric?", "kind": "question"},
        ("api-proposal-object", "post"): {"reason": "Not without a budget."},
        ("api-proposal-amend", "post"): {"title": "Shared car, insured by the team"},
    }
    if method != "get" and (name, method) not in bodies:
        assert (name, method) in {
            ("api-proposal-consent", "post"),
            ("api-proposal-withdraw", "post"),
            ("api-objection-withdraw", "post"),
            ("api-invitation-resend", "post"),
            ("api-invitation-withdraw", "post"),
        }, f"new write endpoint {method.upper()} {route}: give it a request body here"
    url = f"{API}/{route.replace('<id:pk>', str(pk))}"
    headers = {"If-Match": f'"{world.proposal.version if "proposal" in name else 1}"'}
    return getattr(api(person) if person else APIClient(), method)(
        url, bodies.get((name, method), {}), format="json", headers=headers
    )


# --- 1. the permission matrix -----------------------------------------------------------------


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


@pytest.fixture
def invited(world):
    """The coach, invited by an adopted coach_invite decision of Noord."""
    proposal_id = raised(
        world.ana,
        world.noord,
        kind="coach_invite",
        title="Invite a coach for the rota conflicts",
        purpose="An outside view on how we plan.",
        payload={"coach": world.coach.pk, "ends": in_days(180)},
    )
    assert consent(world.ben, proposal_id).status_code == 200
    assert adopt_due(proposal_id) == [proposal_id]
    assert CoachTerm.objects.filter(team=world.noord, coach=world.coach, ended=None).exists()
    return world


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
    leaving = services.proposal_raise(
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


# --- 2. no one changes membership or roles alone ------------------------------------------------


def test_the_only_api_writes_are_known_and_none_changes_membership_directly():
    writes = {(name, method) for name, _route, method in api_endpoints() if method != "get"}
    # Each of these is known not to touch memberships or role terms except through an
    # adopted decision. A new write endpoint must be checked, then added here.
    assert writes == {
        ("api-token", "post"),
        ("api-token", "delete"),
        ("api-token-detail", "delete"),
        ("api-sign-out-everywhere", "post"),
        # One's own account: its email address and closing it (teams/api/account.py).
        ("api-me-email", "post"),
        ("api-me-email-confirm", "post"),
        ("api-me-close", "post"),
        ("api-team", "patch"),
        ("api-team-proposals", "post"),
        ("api-proposal-comments", "post"),
        ("api-proposal-consent", "post"),
        ("api-proposal-object", "post"),
        ("api-proposal-amend", "post"),
        ("api-proposal-withdraw", "post"),
        ("api-objection-withdraw", "post"),
        # Invitations: accepting one joins a team only when the invitation came from
        # an adopted admit decision or from founding (tests/teams/test_invitations.py);
        # opening, resending and withdrawing join nobody.
        ("api-invitation-open", "post"),
        ("api-invitation-accept", "post"),
        ("api-invitation-resend", "post"),
        ("api-invitation-withdraw", "post"),
        # Care records (care/urls.py): none of them touches memberships or roles.
        ("api-team-clients", "post"),
        ("api-client", "patch"),
        ("api-client-status", "post"),
        ("api-client-network", "post"),
        ("api-client-grants", "post"),
        ("api-grant-revoke", "post"),
        ("api-plan-problems", "post"),
        ("api-interventions", "post"),
        ("api-ratings", "post"),
        ("api-client-visits", "post"),
        ("api-visit-assign", "post"),
        ("api-visit-start", "post"),
        ("api-visit-finish", "post"),
        ("api-visit-record", "post"),
        ("api-client-series", "post"),
        ("api-visit-cancel", "post"),
        ("api-client-budget", "post"),
        ("api-budget-entries", "post"),
        # Shared figures (care/urls.py): the informer shares a month's figures.
        ("api-team-figures", "post"),
        # People into a client's record (care/urls.py): the client's own account, a
        # representative, the network; none is a team membership.
        ("api-client-portal-invitation", "post"),
        ("api-client-representative", "post"),
        ("api-client-representative-remove", "post"),
        ("api-client-network-invitations", "post"),
        ("api-network-member-remove", "post"),
        ("api-client-invitation-resend", "post"),
        ("api-client-invitation-withdraw", "post"),
        # Published quality data (care/figures/quality/urls.py): a client's survey answers, a
        # draft snapshot, and a proposal raised through proposal_raise (the engine).
        ("api-client-surveys", "post"),
        ("api-team-snapshot-drafts", "post"),
        ("api-snapshot-propose", "post"),
        # The team board (coordination/urls.py): visits change hands, never memberships.
        ("api-visit-claim", "post"),
        ("api-visit-late", "post"),
        ("api-visit-handovers", "post"),
        ("api-visit-swaps", "post"),
        ("api-handover-accept", "post"),
        ("api-handover-decline", "post"),
        ("api-handover-withdraw", "post"),
        # Help across teams (coordination/urls.py): visits are lent, never memberships.
        ("api-team-help-requests", "post"),
        ("api-help-request-withdraw", "post"),
        ("api-help-offers", "post"),
        ("api-help-offer-accept", "post"),
        ("api-help-offer-decline", "post"),
        ("api-help-offer-withdraw", "post"),
        ("api-granted-visit-start", "post"),
        ("api-granted-visit-finish", "post"),
        # Notifications (coordination/urls.py): the person's own, never memberships.
        ("api-notification-read", "post"),
        ("api-notifications-read-all", "post"),
        ("api-notification-preferences", "patch"),
        # Practice across the network (coordination/practice/urls.py): notes, answers,
        # comments, marks, follows, pointers and tags; never memberships or roles.
        ("api-practice-notes", "post"),
        ("api-practice-note", "patch"),
        ("api-practice-answers", "post"),
        ("api-practice-accept", "post"),
        ("api-practice-useful", "post"),
        ("api-practice-useful", "delete"),
        ("api-practice-comments", "post"),
        ("api-practice-pointers", "post"),
        ("api-practice-follows", "post"),
        ("api-practice-follow", "delete"),
        ("api-practice-tags", "post"),
    }


def test_team_detail_ignores_membership_and_role_fields(world):
    before = snapshot()
    response = api(world.ana).patch(
        f"{API}/teams/{world.noord.pk}",
        {
            "members": [world.ana.pk, world.cas.pk],
            "roles": {"planner": world.ana.pk},
            "name": "Ana's team",
            "size_norm": 1,
        },
        format="json",
        headers={"If-Match": "1"},
    )
    # TeamDetailsIn drops fields it does not declare, so today this is a 200 that
    # changes nothing; a 400 naming the fields would do as well.
    assert response.status_code in {200, 400}
    if response.status_code == 200:
        assert sorted(m["id"] for m in response.json()["members"]) == sorted(
            [world.ana.pk, world.ben.pk]
        )
        assert response.json()["name"] == "Noord"
    assert snapshot() == before
    assert Team.objects.get(pk=world.noord.pk).size_norm == 12


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_team_detail_takes_no_other_writes(world, method):
    before = snapshot()
    response = getattr(api(world.ana), method)(
        f"{API}/teams/{world.noord.pk}",
        {"members": [world.cas.pk]},
        format="json",
        headers={"If-Match": "1"},
    )
    assert response.status_code == 405
    assert api(world.ana).post(f"{API}/teams/", {"name": "Mine"}, format="json").status_code == 405
    assert snapshot() == before


def test_an_admission_changes_nothing_until_adopted(personas):
    dina = PersonFactory(username="dina")
    proposal_id = raised(
        personas.ana,
        personas.noord,
        kind="admit_member",
        title="Welcome Dina",
        purpose="We need a night nurse.",
        payload={"person": dina.pk},
    )
    assert consent(personas.ben, proposal_id).status_code == 200
    assert services.proposals_close_due() == []
    assert not Membership.objects.filter(person=dina).exists()
    assert api(dina).get(f"{API}/teams/{personas.noord.pk}/proposals").status_code == 404
    body = api(personas.ana).get(f"{API}/proposals/{proposal_id}").json()
    assert (body["status"], body["outcome"]) == ("open", {})

    assert adopt_due(proposal_id) == [proposal_id]
    membership = Membership.objects.get(person=dina, left=None)
    assert (membership.team, membership.admitted_by_id) == (personas.noord, proposal_id)
    assert api(dina).get(f"{API}/teams/{personas.noord.pk}/proposals").status_code == 200


def test_a_role_handover_changes_nothing_until_adopted(personas):
    proposal_id = raised(
        personas.ana,
        personas.noord,
        kind="role_handover",
        title="Ben plans the rota",
        purpose="Ana plans too much already.",
        payload={"role": "planner", "person": personas.ben.pk, "ends": in_days(200)},
    )
    assert consent(personas.ben, proposal_id).status_code == 200
    assert services.proposals_close_due() == []
    assert not RoleTerm.objects.exists()
    roles = api(personas.ben).get(f"{API}/teams/{personas.noord.pk}/roles").json()
    assert next(r for r in roles if r["key"] == "planner")["current"] is None


def test_an_open_objection_stops_adoption_when_the_window_closes(world):
    assert consent(world.ana, world.proposal.pk).status_code == 200  # quorum is there
    before = snapshot()
    assert adopt_due(world.proposal.pk) == []
    assert snapshot() == before
    with after_window(world.proposal.pk, datetime.timedelta(days=3)):
        body = api(world.ana).get(f"{API}/proposals/{world.proposal.pk}").json()
    assert body["status"] == "open"
    assert body["tally"]["open_objections"] == 1
    assert body["window_open"] is False
    assert snapshot() == before


def test_too_few_responses_keep_a_proposal_open_showing_what_it_needs(personas):
    member("dina", personas.noord)
    member("eva", personas.noord)
    proposal_id = raised(personas.ana, personas.noord)
    before = snapshot()
    assert adopt_due(proposal_id) == []
    assert snapshot() == before
    with after_window(proposal_id, datetime.timedelta(hours=1)):
        body = api(personas.ben).get(f"{API}/proposals/{proposal_id}").json()
        assert body["status"] == "open"
        assert body["tally"] == {
            "members": 4,
            "needed": 2,
            "responded": 1,
            "consents": 1,
            "open_objections": 0,
        }
        # A late consent completes the quorum: no new objection can arrive any more.
        response = consent(personas.ben, proposal_id)
    assert response.status_code == 200
    assert response.json()["status"] == "adopted"


def stage(person, proposal_id: int) -> str:
    """The proposal's ``stage`` in the API, as it is on its own and in its team's list;
    the page says the same (``frontend.present.status_of``)."""
    body = api(person).get(f"{API}/proposals/{proposal_id}").json()
    team = body["team"]
    listed = api(person).get(f"{API}/teams/{team}/proposals?status={body['status']}").json()
    assert [p["stage"] for p in listed if p["id"] == proposal_id] == [body["stage"]]
    assert present.status_of(Proposal.objects.get(pk=proposal_id)).state == body["stage"]
    return body["stage"]


def test_the_stage_says_where_a_proposal_stands(world):
    """Open while the window is; blocked by an open objection once it closed; then,
    with the objection withdrawn, adopted."""
    assert world.proposal.status == "open"
    assert stage(world.ana, world.proposal.pk) == "open"  # with ben's objection open
    with after_window(world.proposal.pk, datetime.timedelta(days=1)):
        assert stage(world.ben, world.proposal.pk) == "blocked"
        withdrawn = api(world.ben).post(f"{API}/objections/{world.objection.pk}/withdraw")
        assert withdrawn.status_code == 200
        assert stage(world.ben, world.proposal.pk) == "adopted"


def test_the_stage_of_a_new_and_of_a_withdrawn_proposal(world):
    response = raise_(world.ana, world.noord)
    assert response.status_code == 201 and response.json()["stage"] == "open"
    proposal_id = response.json()["id"]
    response = api(world.ana).post(f"{API}/proposals/{proposal_id}/withdraw", format="json")
    assert response.status_code == 200 and response.json()["stage"] == "withdrawn"
    assert stage(world.ben, proposal_id) == "withdrawn"


def test_the_stage_waits_for_responses_and_then_closes(personas):
    member("dina", personas.noord)
    member("eva", personas.noord)
    proposal_id = raised(personas.ana, personas.noord)
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    with time_machine.travel(closes_at + ONE_SECOND, tick=False):
        assert stage(personas.ben, proposal_id) == "waiting"  # 1 of 4 responded, 2 needed
        assert consent(personas.ben, proposal_id).status_code == 200
        # Within the settling delay the closer has not decided yet: being adopted.
        assert stage(personas.ben, proposal_id) == "closing"
    with time_machine.travel(closes_at + SETTLE + ONE_SECOND, tick=False):
        assert stage(personas.ben, proposal_id) == "adopted"


def test_the_stage_of_a_decision_that_could_not_be_applied(personas):
    proposal_id = raised(
        personas.ana,
        personas.noord,
        kind="role_handover",
        payload={"role": "planner", "person": personas.ben.pk, "ends": in_days(200)},
    )
    # Ben leaves before the window closes: the handover to him cannot be applied.
    Membership.objects.filter(person=personas.ben).update(left=timezone.localdate())
    with after_window(proposal_id):
        body = api(personas.ana).get(f"{API}/proposals/{proposal_id}").json()  # settles
        assert (body["status"], body["stage"]) == ("open", "not_applied")
        assert "Not a current member of this team." in body["outcome"]["not_applied"]
        assert stage(personas.ana, proposal_id) == "not_applied"


def test_the_stage_is_read_only(world):
    before = snapshot()
    response = api(world.ana).post(
        f"{API}/proposals/{world.proposal.pk}/amend",
        {"stage": "adopted"},
        format="json",
        headers={"If-Match": f'"{world.proposal.version}"'},
    )
    assert response.status_code == 200 and response.json()["stage"] == "open"
    assert Proposal.objects.get(pk=world.proposal.pk).status == "open"
    assert snapshot()["proposals"][0][1] == before["proposals"][0][1] == "open"


# --- 3. bad input ---------------------------------------------------------------------------


def refused(response, code: int, field: str | None = None, before: dict | None = None) -> str:
    status, message, fields = error(response)
    assert status == code, response.json()
    if field is not None:
        assert field in fields, response.json()
        assert fields[field] and all(fields[field]), response.json()
    if before is not None:
        assert snapshot() == before
    return message


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": ""}, "purpose"),
        ({"purpose": "   "}, "purpose"),
        ({"title": ""}, "title"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 161}, "title"),
        ({"window_hours": 0.5}, "window_hours"),
        ({"window_hours": 337}, "window_hours"),
        ({"window_hours": -3}, "window_hours"),
        ({"window_hours": "soon"}, "window_hours"),
        ({"kind": "coup"}, "kind"),
        ({"review_date": "2020-01-01"}, "review_date"),
        ({"kind": "general", "payload": [1, 2]}, "payload"),
    ],
    ids=lambda v: repr(v)[:40],
)
def test_raise_with_bad_input_names_the_field(world, overrides, field):
    before = snapshot()
    refused(raise_(world.ana, world.noord, **overrides), 400, field, before)


def test_raise_without_purpose_names_it(world):
    before = snapshot()
    body = proposal_body()
    del body["purpose"]
    response = api(world.ana).post(f"{API}/teams/{world.noord.pk}/proposals", body, format="json")
    refused(response, 400, "purpose", before)


def test_a_review_date_of_today_is_not_in_the_future(world):
    before = snapshot()
    response = raise_(world.ana, world.noord, review_date=timezone.localdate().isoformat())
    refused(response, 400, "review_date", before)


def test_a_huge_window_is_400_not_a_crash(world):
    before = snapshot()
    client = api(world.ana)
    client.raise_request_exception = False
    response = client.post(
        f"{API}/teams/{world.noord.pk}/proposals",
        proposal_body(window_hours=1e12),
        format="json",
    )
    assert response.status_code == 400
    refused(response, 400, "window_hours", before)


def test_admitting_a_current_member_names_the_person(world):
    before = snapshot()
    response = raise_(world.ana, world.noord, kind="admit_member", payload={"person": world.ben.pk})
    refused(response, 400, "payload.person", before)


@pytest.mark.parametrize("person", [987654, "987654", "abc", None, 10**20])
def test_admitting_nobody_names_the_person(world, person):
    before = snapshot()
    response = raise_(world.ana, world.noord, kind="admit_member", payload={"person": person})
    refused(response, 400, "payload.person", before)


@pytest.mark.parametrize("who", ["coach", "inspector", "client"])
def test_only_nurses_and_carers_can_be_admitted(world, outsiders, who):
    before = snapshot()
    response = raise_(
        world.ana, world.noord, kind="admit_member", payload={"person": outsiders[who].pk}
    )
    refused(response, 400, "payload.person", before)
    # The same rule lets pages skip membership lookups for such a person.
    assert not team_access.may_join_teams(outsiders[who])
    assert team_access.may_join_teams(world.ana)


def test_role_handover_to_a_non_member_names_the_person(world):
    before = snapshot()
    response = raise_(
        world.ana,
        world.noord,
        kind="role_handover",
        payload={"role": "planner", "person": world.cas.pk},
    )
    refused(response, 400, "payload.person", before)


def test_role_handover_of_an_unknown_role_names_the_role(world):
    before = snapshot()
    response = raise_(
        world.ana,
        world.noord,
        kind="role_handover",
        payload={"role": "captain", "person": world.ben.pk},
    )
    refused(response, 400, "payload.role", before)


@pytest.mark.parametrize("moving", ["all", "none"])
def test_a_split_needs_members_on_both_sides(world, moving):
    before = snapshot()
    payload = {
        "new_name": "Noord-Oost",
        "moving": [world.ana.pk, world.ben.pk] if moving == "all" else [],
    }
    response = raise_(world.ana, world.noord, kind="team_split", payload=payload)
    refused(response, 400, "payload.moving", before)


@pytest.mark.parametrize("body", [{"reason": ""}, {"reason": "   "}, {}])
def test_an_objection_needs_a_reason(world, body):
    before = snapshot()
    response = api(world.ana).post(
        f"{API}/proposals/{world.proposal.pk}/objections", body, format="json"
    )
    refused(response, 400, "reason", before)


@pytest.mark.parametrize(
    "late",
    [datetime.timedelta(seconds=1), datetime.timedelta(days=1)],
    ids=["within-settle", "a-day-late"],
)
def test_no_objection_after_the_window(personas, late):
    member("dina", personas.noord)
    member("eva", personas.noord)  # four members: ana's consent alone is not enough
    proposal_id = raised(personas.ana, personas.noord)
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    before = snapshot()
    with time_machine.travel(closes_at + late, tick=False):
        response = api(personas.ben).post(
            f"{API}/proposals/{proposal_id}/objections", {"reason": "Too late?"}, format="json"
        )
    message = refused(response, 400, before=before)
    assert "window" in message.lower()


def test_no_consent_to_a_withdrawn_proposal(world):
    assert api(world.ana).post(f"{API}/proposals/{world.proposal.pk}/withdraw").status_code == 200
    before = snapshot()
    message = refused(consent(world.ben, world.proposal.pk), 400, before=before)
    assert "withdrawn" in message


def test_no_consent_or_objection_to_an_adopted_proposal(personas):
    proposal_id = raised(personas.ana, personas.noord)
    assert adopt_due(proposal_id) == [proposal_id]
    before = snapshot()
    assert "adopted" in refused(consent(personas.ben, proposal_id), 400, before=before)
    response = api(personas.ben).post(
        f"{API}/proposals/{proposal_id}/objections", {"reason": "Missed it"}, format="json"
    )
    refused(response, 400, before=before)


def test_only_the_author_amends(world):
    before = snapshot()
    response = api(world.ben).post(
        f"{API}/proposals/{world.proposal.pk}/amend",
        {"title": "Ben's version"},
        format="json",
        headers={"If-Match": f'"{world.proposal.version}"'},
    )
    refused(response, 403, before=before)


def test_amend_with_a_stale_version_is_409_with_the_current_state(world):
    url = f"{API}/proposals/{world.proposal.pk}/amend"
    first = api(world.ana).post(
        url, {"title": "Shared car, insured"}, format="json", headers={"If-Match": '"1"'}
    )
    assert first.status_code == 200
    before = snapshot()
    response = api(world.ana).post(
        url, {"title": "Another idea"}, format="json", headers={"If-Match": '"1"'}
    )
    assert response.status_code == 409
    current = response.json()["extra"]["current"]
    assert (current["title"], current["version"], current["revision"]) == (
        "Shared car, insured",
        2,
        2,
    )
    assert snapshot() == before


def test_amend_without_a_version_is_428(world):
    before = snapshot()
    response = api(world.ana).post(
        f"{API}/proposals/{world.proposal.pk}/amend", {"title": "No version"}, format="json"
    )
    assert "If-Match" in refused(response, 428, before=before)


def test_amend_with_bad_input_names_the_field(world):
    before = snapshot()
    response = api(world.ana).post(
        f"{API}/proposals/{world.proposal.pk}/amend",
        {"purpose": " ", "window_hours": 400},
        format="json",
        headers={"If-Match": "1"},
    )
    refused(response, 400, "purpose", before)


def test_only_the_author_withdraws(world):
    before = snapshot()
    response = api(world.ben).post(f"{API}/proposals/{world.proposal.pk}/withdraw")
    refused(response, 403, before=before)


def test_only_the_objector_withdraws_an_objection(world):
    before = snapshot()
    response = api(world.ana).post(f"{API}/objections/{world.objection.pk}/withdraw")
    refused(response, 403, before=before)


def test_a_consent_is_not_an_objection_to_withdraw(world):
    consent_row = Response.objects.get(proposal=world.proposal, person=world.ana)
    before = snapshot()
    response = api(world.ana).post(f"{API}/objections/{consent_row.pk}/withdraw")
    refused(response, 400, before=before)


# --- 4. the happy path ---------------------------------------------------------------------------


@pytest.fixture
def four(personas):
    """Noord with four members: the quorum is two."""
    return SimpleNamespace(
        **vars(personas), dina=member("dina", personas.noord), eva=member("eva", personas.noord)
    )


def test_raise_consent_adopt_and_find_the_decision(four):
    response = raise_(four.ana, four.noord, title="Lunch rota on Thursdays")
    assert response.status_code == 201
    raised_body = response.json()
    assert (raised_body["status"], raised_body["revision"], raised_body["window_open"]) == (
        "open",
        1,
        True,
    )
    assert raised_body["tally"] == {
        "members": 4,
        "needed": 2,
        "responded": 1,
        "consents": 1,
        "open_objections": 0,
    }
    proposal_id = raised_body["id"]
    for person in (four.ben, four.dina):
        answer = consent(person, proposal_id)
        assert answer.status_code == 200
        assert answer.json()["status"] == "open"  # the window is still open
    assert answer.json()["tally"]["consents"] == 3

    with after_window(proposal_id):
        body = api(four.eva).get(f"{API}/proposals/{proposal_id}").json()
        assert body["status"] == "adopted"
        assert body["outcome"]["summary"]
        assert body["decided_at"]
        log = api(four.ana).get(f"{API}/teams/{four.noord.pk}/decisions").json()
        found = api(four.ana).get(f"{API}/teams/{four.noord.pk}/decisions?search=thursdays")
        missing = api(four.ana).get(f"{API}/teams/{four.noord.pk}/decisions?search=bicycle")
    assert [d["id"] for d in log] == [proposal_id]
    assert log[0]["outcome"]["summary"] == body["outcome"]["summary"]
    assert [d["id"] for d in found.json()] == [proposal_id]
    assert missing.status_code == 200
    assert missing.json() == []
    assert AuditEntry.objects.filter(action="proposal.adopted").count() == 1


def test_an_adopted_role_handover_shows_in_roles(four):
    ends = in_days(300)
    proposal_id = raised(
        four.ana,
        four.noord,
        kind="role_handover",
        title="Dina plans the rota",
        purpose="Rotate the planner.",
        payload={
            "role": "planner",
            "person": four.dina.pk,
            "ends": ends,
            "handover_notes": "The rota lives in the blue folder.",
        },
    )
    assert consent(four.dina, proposal_id).status_code == 200
    with after_window(proposal_id):
        roles = api(four.ben).get(f"{API}/teams/{four.noord.pk}/roles").json()
    planner = next(r for r in roles if r["key"] == "planner")
    current = planner["current"]
    assert current is not None
    assert (current["person"]["id"], current["ends"], current["decision"]) == (
        four.dina.pk,
        ends,
        proposal_id,
    )
    assert current["handover_notes"] == "The rota lives in the blue folder."
    assert current["ended"] is None
    assert [t["id"] for t in planner["history"]] == [current["id"]]
    assert Proposal.objects.get(pk=proposal_id).status == "adopted"


def test_amend_resolves_objections_and_reopens_the_window(four):
    proposal_id = raised(four.ana, four.noord)
    objection = api(four.ben).post(
        f"{API}/proposals/{proposal_id}/objections", {"reason": "Not Thursdays"}, format="json"
    )
    assert objection.status_code == 201
    assert consent(four.dina, proposal_id).status_code == 200
    first = api(four.ana).get(f"{API}/proposals/{proposal_id}").json()
    assert first["tally"] == {
        "members": 4,
        "needed": 2,
        "responded": 3,
        "consents": 2,
        "open_objections": 1,
    }

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=5), tick=False):
        response = api(four.ana).post(
            f"{API}/proposals/{proposal_id}/amend",
            {"title": "Lunch rota on Wednesdays"},
            format="json",
            headers={"If-Match": f'"{first["version"]}"'},
        )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["revision"], body["title"], body["status"]) == (
        2,
        "Lunch rota on Wednesdays",
        "open",
    )
    assert body["closes_at"] > first["closes_at"]
    assert response.headers["ETag"] == f'"{body["version"]}"'
    bens = [r for r in body["responses"] if r["person"]["id"] == four.ben.pk]
    assert [(r["kind"], r["state"], r["revision"]) for r in bens] == [("objection", "resolved", 1)]
    # Only responses to revision 2 count: ana's, given by amending.
    assert body["tally"] == {
        "members": 4,
        "needed": 2,
        "responded": 1,
        "consents": 1,
        "open_objections": 0,
    }
    # Not adopted on the old window: dina's consent was to revision 1.
    assert adopt_due(proposal_id) == []


def test_withdrawing_an_objection_lets_the_proposal_through(world):
    response = api(world.ben).post(f"{API}/objections/{world.objection.pk}/withdraw")
    assert response.status_code == 200
    ben = next(r for r in response.json()["responses"] if r["person"]["id"] == world.ben.pk)
    assert ben["state"] == "withdrawn"
    assert response.json()["tally"]["open_objections"] == 0
    assert adopt_due(world.proposal.pk) == [world.proposal.pk]


# --- 5. query counts ---------------------------------------------------------------------------


def open_proposals(personas, n: int) -> list[Proposal]:
    made = []
    for i in range(n):
        proposal = services.proposal_raise(
            actor=personas.ana,
            team=personas.noord,
            kind="general",
            title=f"Idea {i}",
            purpose="Try it.",
        )
        services.proposal_consent(actor=personas.ben, proposal=proposal)
        services.proposal_comment(actor=personas.ben, proposal=proposal, body="Good.")
        made.append(proposal)
    return made


def adopted_proposals(personas, n: int) -> None:
    made = open_proposals(personas, n)
    latest = max(p.closes_at for p in made)
    adopted = services.proposals_close_due(now=latest + SETTLE + ONE_SECOND)
    assert sorted(adopted) == sorted(p.pk for p in made)


def count_queries(client: APIClient, url: str) -> int:
    client.get(url)  # warm: content types, sessions
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_team_proposals_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/proposals"
    open_proposals(personas, 2)
    at_two = count_queries(client, url)
    open_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10


def test_decision_log_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/decisions"
    adopted_proposals(personas, 2)
    at_two = count_queries(client, url)
    adopted_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10
    assert all(d["tally"]["consents"] == 2 for d in response.json())


def test_decision_search_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/decisions?search=idea"
    adopted_proposals(personas, 2)
    at_two = count_queries(client, url)
    adopted_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10


def test_a_coach_page_refreshing_itself_is_one_read_not_many(invited):
    import time_machine

    url = f"{API}/proposals/{invited.proposal.pk}"
    for _ in range(3):
        assert api(invited.coach).get(url).status_code == 200
    assert CoachAccess.objects.count() == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11), tick=False):
        assert api(invited.coach).get(url).status_code == 200
    assert CoachAccess.objects.count() == 2
