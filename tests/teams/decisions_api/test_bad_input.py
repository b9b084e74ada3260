"""Bad input to proposals, objections and amendments: a 4xx naming the field, nothing
changed."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from teams import access as team_access
from teams.models import (
    Proposal,
    Response,
)
from tests.doors import api
from tests.factories import member
from tests.teams.decisions_api.world import (
    API,
    adopt_due,
    consent,
    error,
    proposal_body,
    raise_,
    raised,
    snapshot,
)

pytestmark = pytest.mark.django_db


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
