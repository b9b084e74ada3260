"""From raising a proposal to an adopted decision: consent, objections resolved by
amendment or withdrawn, the decision found in the log."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from teams.models import (
    AuditEntry,
    Proposal,
)
from tests.doors import api
from tests.factories import member
from tests.teams.decisions_api.world import (
    API,
    adopt_due,
    after_window,
    consent,
    in_days,
    raise_,
    raised,
)

pytestmark = pytest.mark.django_db


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


def test_a_member_the_closing_decision_removes_is_told_the_proposal_is_not_theirs(four):
    """Reading a proposal closes what is due first; when that adopts the asker's own
    removal, the read that follows is a 404 like any outsider's, not a server error."""
    proposal_id = raised(
        four.ana,
        four.noord,
        kind="remove_member",
        title="Eva moves to Zuid",
        payload={"person": four.eva.pk, "until": ""},
    )
    assert consent(four.ben, proposal_id).status_code == 200
    with after_window(proposal_id):
        response = api(four.eva).get(f"{API}/proposals/{proposal_id}")
        after = api(four.ana).get(f"{API}/proposals/{proposal_id}").json()
    assert response.status_code == 404
    assert response.json()["message"] == "No such proposal among your teams'."
    assert after["status"] == "adopted"
