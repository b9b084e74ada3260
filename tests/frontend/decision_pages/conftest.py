"""Noord (``noord``), its open proposal (``open_proposal``) and a coach it invited
(``invited``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from teams.models import Proposal
from tests.factories import adopted
from tests.frontend.decision_pages.world import raise_


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
    adopted(proposal)
    return noord
