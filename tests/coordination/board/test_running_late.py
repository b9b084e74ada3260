"""Saying you are running late, and when you expect to arrive."""

from __future__ import annotations

import pytest

from tests.care.visit_helpers import at
from tests.coordination.board.world import (
    DAY,
    fields,
    post,
    snapshot,
    team_events,
)

pytestmark = pytest.mark.django_db


# --- running late -------------------------------------------------------------------------


def test_running_late_through_the_api(w):
    response = post(
        w.ben,
        f"visits/{w.bens.pk}/late",
        {"until": "2026-12-08T14:25:00Z", "note": "Flat tyre"},
        version=1,
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["late"], response.json()["late_note"]) == (True, "Flat tyre")
    (late,) = team_events(w, "visit.running_late")
    assert late.data["late_until"] == at(DAY, "14:25").isoformat()
    assert "late_note" not in late.data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"until": "2026-12-08T07:00:00Z"}, "until"),  # already past
        ({"until": "2026-12-08T13:30:00Z"}, "until"),  # before the window starts
        ({"until": "2026-12-09T09:00:00Z"}, "until"),  # more than 12 hours ahead
        ({"until": "half past two"}, "until"),
        ({}, "until"),
        ({"until": "2026-12-08T14:25:00Z", "note": "x" * 201}, "note"),
    ],
)
def test_running_late_with_a_bad_time_is_400_naming_the_field(w, body, field):
    before = snapshot()
    response = post(w.ben, f"visits/{w.bens.pk}/late", body, version=1)
    assert response.status_code == 400
    assert field in fields(response)
    assert snapshot() == before


def test_only_the_carer_says_they_run_late(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.bens.pk}/late", {"until": "2026-12-08T14:25:00Z"}, version=1)
    assert response.status_code == 403
    assert "Ben Mulder has this visit" in response.json()["message"]
    assert snapshot() == before
