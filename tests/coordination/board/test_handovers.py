"""Offering a visit to a colleague, or a swap: accept, decline, withdraw, lapse."""

from __future__ import annotations

import pytest

from care.models import Visit
from care.services import visits as visit_services
from coordination.models import HandoverOffer
from coordination.services import handovers as handover_services
from teams.models import AuditEntry
from tests.care.visit_helpers import at, plan
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


# --- handovers ----------------------------------------------------------------------------


def test_a_handover_offered_and_accepted_moves_the_visit(w):
    response = post(
        w.ana, f"visits/{w.spare.pk}/handovers", {"to": w.ben.pk, "note": "School run"}, version=1
    )
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert (offer["kind"], offer["status"], offer["to_person"]["id"]) == (
        "handover",
        "offered",
        w.ben.pk,
    )
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ana.pk  # not until accepted
    offered = team_events(w, "handover.offered")[-1]
    assert offered.data == {
        "offer": offer["id"],
        "kind": "handover",
        "visit": w.spare.pk,
        "swap_visit": None,
        "from_person": w.ana.pk,
        "to_person": w.ben.pk,
        "status": "offered",
        "version": 1,
    }  # ids only: never the note

    accepted = post(w.ben, f"handovers/{offer['id']}/accept", version=1)
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["status"], accepted.json()["version"]) == ("accepted", 2)
    visit = Visit.objects.get(pk=w.spare.pk)
    assert (visit.assignee_id, visit.status, visit.version) == (w.ben.pk, "assigned", 2)
    kinds = [e.type for e in team_events(w)][-2:]
    assert kinds == ["visit.assigned", "handover.accepted"]
    assert AuditEntry.objects.filter(action="handover.accepted", actor=w.ben).count() == 1


@pytest.mark.parametrize("to", ["cas", "coach", "mrs_jansen", "ana", "nobody"])
def test_a_handover_to_anyone_but_a_colleague_is_400_naming_to(w, to):
    before = snapshot()
    person = getattr(w, to, None)
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/handovers",
        {"to": person.pk if person else 999_999},
        version=1,
    )
    assert response.status_code == 400
    assert "to" in fields(response)
    assert snapshot() == before


def test_only_the_carer_who_has_the_visit_offers_it(w):
    before = snapshot()
    response = post(w.ben, f"visits/{w.spare.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert response.status_code == 403
    unassigned = post(w.ana, f"visits/{w.open.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert unassigned.status_code == 400
    assert "claim it" in unassigned.json()["message"]
    assert snapshot() == before


def test_a_visit_has_one_open_offer_at_a_time(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.anas.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert response.status_code == 400
    assert "already has an open offer" in response.json()["message"]
    # Nor may it be offered in a swap while it is offered.
    swap = post(
        w.ben, f"visits/{w.bens.pk}/swaps", {"swap_visit": w.anas.pk, "swap_version": 1}, version=1
    )
    assert swap.status_code == 400
    assert snapshot() == before


def test_accepting_your_own_offer_is_refused(w):
    before = snapshot()
    response = post(w.ana, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 403
    assert response.json()["message"] == "You made this offer: only Ben Mulder can accept it."
    assert snapshot() == before


def test_an_offer_lapses_when_the_visit_changed_since_and_the_lapse_is_kept(w):
    # Ana offered her 11:00 visit, then said she would be late for it: a different visit.
    visit_services.visit_running_late(actor=w.ana, visit=w.anas, version=1, until=at(DAY, "11:30"))
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert "the offer has lapsed" in response.json()["message"]
    current = response.json()["extra"]["current"]
    assert current["offer"]["status"] == "expired"
    assert current["visits"][0]["version"] == 2
    offer = HandoverOffer.objects.get(pk=w.offer.pk)
    assert (offer.status, offer.version) == ("expired", 2)
    assert offer.answered is not None
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk
    assert team_events(w, "handover.expired")[0].data["offer"] == w.offer.pk
    # Lapsed is final: the visit can be offered again.
    again = post(w.ana, f"visits/{w.anas.pk}/handovers", {"to": w.ben.pk}, version=2)
    assert again.status_code == 201


def test_declined_offers_keep_the_visit_and_the_reason_stays_out_of_the_event(w):
    response = post(w.ben, f"handovers/{w.offer.pk}/decline", {"reason": "My own mum"}, version=1)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reason"]) == ("declined", "My own mum")
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk
    (declined,) = team_events(w, "handover.declined")
    assert "My own mum" not in str(declined.data)
    assert post(w.ben, f"handovers/{w.offer.pk}/accept", version=2).status_code == 409


def test_only_the_addressee_answers_and_only_the_offerer_withdraws(w):
    before = snapshot()
    assert post(w.ana, f"handovers/{w.offer.pk}/decline", version=1).status_code == 403
    assert post(w.ben, f"handovers/{w.offer.pk}/withdraw", version=1).status_code == 403
    assert snapshot() == before


def test_a_withdrawn_offer_cannot_be_accepted(w):
    assert post(w.ana, f"handovers/{w.offer.pk}/withdraw", version=1).status_code == 200
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert response.json()["message"] == "This offer was already withdrawn."
    assert response.json()["extra"]["current"]["status"] == "withdrawn"
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk


def test_a_stale_offer_version_is_409(w):
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=7)
    assert response.status_code == 409
    assert response.json()["extra"]["current"]["version"] == 1
    assert HandoverOffer.objects.get(pk=w.offer.pk).status == "offered"


# --- swaps --------------------------------------------------------------------------------


def test_a_swap_offered_and_accepted_exchanges_the_two_visits(w):
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/swaps",
        {"swap_visit": w.bens.pk, "swap_version": 1, "note": "Can you take my 16:00?"},
        version=1,
    )
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert (offer["kind"], offer["to_person"]["id"], offer["swap_visit"]) == (
        "swap",
        w.ben.pk,
        w.bens.pk,
    )
    board = api(w.ben).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}").json()
    rows = {row["id"]: row for row in board["visits"]}
    assert [o["id"] for o in rows[w.bens.pk]["offers"]] == [offer["id"]]  # on both visits

    accepted = post(w.ben, f"handovers/{offer['id']}/accept", version=1)
    assert accepted.status_code == 200, accepted.json()
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ben.pk
    assert Visit.objects.get(pk=w.bens.pk).assignee_id == w.ana.pk
    kinds = [e.type for e in team_events(w)][-3:]
    assert kinds == ["visit.swapped", "visit.swapped", "handover.accepted"]


@pytest.mark.parametrize("target", ["open", "zuid_visit", "spare", "anas_too", "missing"])
def test_a_swap_needs_a_colleagues_visit_of_the_team_naming_swap_visit(w, target):
    if target == "anas_too":
        visit = plan(w.ana, w.client, at(DAY, "18:00"), assignee=w.ana)
    else:
        visit = getattr(w, target, None)
    before = snapshot()
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/swaps",
        {"swap_visit": visit.pk if visit else 999_999, "swap_version": 1},
        version=1,
    )
    assert response.status_code == 400
    assert "swap_visit" in fields(response)
    assert "Bos" not in response.content.decode()
    if target != "anas_too":
        assert snapshot() == before


def test_a_swap_lapses_when_the_colleagues_visit_changed(w):
    offer = handover_services.handover_offer_swap(
        actor=w.ana, visit=w.spare, version=1, swap_visit=w.bens, swap_version=1
    )
    visit_services.visit_running_late(actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:30"))
    response = post(w.ben, f"handovers/{offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert HandoverOffer.objects.get(pk=offer.pk).status == "expired"
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ana.pk
    assert Visit.objects.get(pk=w.bens.pk).assignee_id == w.ben.pk
