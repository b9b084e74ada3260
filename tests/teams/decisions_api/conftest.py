"""Noord with an open proposal ben objected to (``world``), and a coach it invited
(``invited``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from teams.models import (
    CoachTerm,
)
from teams.services import proposals as proposal_services
from teams.services.invitations import invitation_create
from tests.factories import proposal as build_proposal
from tests.teams.decisions_api.world import adopt_due, consent, in_days, raised


@pytest.fixture
def world(personas):
    """Noord with an open proposal by ana that ben objected to."""
    proposal = build_proposal(
        personas.ana,
        personas.noord,
        title="Shared car for the evening round",
        purpose="Fewer late taxis.",
    )
    objection = proposal_services.proposal_object(
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
