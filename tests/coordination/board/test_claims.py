"""Taking an unassigned visit: first come, a stale claim, another team's visit, the version."""

from __future__ import annotations

import pytest

from care.models import Visit
from care.services import visits as visit_services
from coordination.events import EventRecord
from coordination.events.streams import client_stream
from tests.care.visit_helpers import at
from tests.coordination.board.world import (
    API,
    DAY,
    fields,
    post,
    snapshot,
    team_events,
)
from tests.doors import api

pytestmark = pytest.mark.django_db


# --- claiming -----------------------------------------------------------------------------


def test_claiming_an_unassigned_visit_gives_it_to_me_and_everyone_hears(w):
    response = post(w.ben, f"visits/{w.open.pk}/claim", version=1)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["assignee"]["id"], body["version"]) == ("assigned", w.ben.pk, 2)
    assert response["ETag"] == '"2"'
    (claimed,) = team_events(w, "visit.claimed")
    assert (claimed.data["visit"], claimed.data["assignee"]) == (w.open.pk, w.ben.pk)
    assert EventRecord.objects.filter(
        stream=client_stream(w.client.pk, "visits"), type="visit.claimed"
    ).exists()


def test_claiming_a_visit_someone_took_first_names_them(w):
    assert post(w.ben, f"visits/{w.open.pk}/claim", version=1).status_code == 200
    before = snapshot()
    response = post(w.ana, f"visits/{w.open.pk}/claim", version=1)
    assert response.status_code == 409
    assert response.json()["message"] == "Ben Mulder has already taken this visit."
    assert response.json()["extra"]["current"]["assignee"] == w.ben.pk
    assert snapshot() == before


def test_a_stale_claim_is_409_with_the_current_state(w):
    visit_services.visit_running_late(actor=w.ben, visit=w.open, version=1, until=at(DAY, "09:45"))
    before = snapshot()
    response = post(w.ana, f"visits/{w.open.pk}/claim", {"version": 1})
    assert response.status_code == 409
    current = response.json()["extra"]["current"]
    assert (current["version"], current["assignee"]) == (2, None)
    assert snapshot() == before


def test_claiming_another_teams_visit_is_404_and_changes_nothing(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.zuid_visit.pk}/claim", version=1)
    assert response.status_code == 404
    assert snapshot() == before


def test_a_claim_without_a_version_is_428_and_a_garbled_one_400(w):
    assert post(w.ana, f"visits/{w.open.pk}/claim").status_code == 428
    garbled = api(w.ana).post(
        f"{API}/visits/{w.open.pk}/claim", {}, format="json", headers={"If-Match": "soon"}
    )
    assert garbled.status_code == 400
    assert "version" in fields(garbled)
    assert Visit.objects.get(pk=w.open.pk).assignee is None


# --- finishing a visit that never started -------------------------------------------------


def test_finishing_a_visit_that_never_started_is_a_clear_400(w):
    before = snapshot()
    response = post(w.ben, f"visits/{w.bens.pk}/finish", {"note": "Done"}, version=1)
    assert response.status_code == 400
    assert response.json()["message"] == "This visit was never started: record its start first."
    assert snapshot() == before
