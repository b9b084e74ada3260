"""Overlapping visits on the board's and the help board's doors: accepting a handover
or a swap, offering help and accepting an offer of help are refused at ``overlap``
when a carer would hold two visits they cannot both do (the clash named by its time,
nothing changed), and go ahead with ``confirm_overlap``. The rule itself is tested in
``tests/care/test_overlaps.py``."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from care.models import Client, Visit, VisitGrant
from coordination.events import EventRecord
from coordination.models import HandoverOffer, HelpOffer, HelpRequest
from coordination.services import handovers as handover_services
from coordination.services import help as help_services
from teams.models import AuditEntry
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

DAY = "2026-12-08"  # a Tuesday
MORNING = at(DAY, "07:30")
API = "/api/v1"


def words(start: str, end: str, holder: str = "your") -> str:
    whose = "your visit" if holder == "your" else f"{holder}'s visit"
    return f"It clashes with {whose} at {start}–{end} on Tue 8 Dec (45 minutes)."


def snapshot() -> dict:
    return {
        "visits": list(
            Visit.objects.order_by("pk").values_list("pk", "status", "assignee", "version")
        ),
        "handovers": list(
            HandoverOffer.objects.order_by("pk").values_list("pk", "status", "version")
        ),
        "help": list(HelpOffer.objects.order_by("pk").values_list("pk", "status", "version")),
        "requests": list(HelpRequest.objects.order_by("pk").values_list("pk", "status")),
        "grants": VisitGrant.objects.count(),
        "events": EventRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def post(person, path: str, body: dict):
    return api(person).post(f"{API}/{path}", body, format="json")


@pytest.fixture
def w(personas):
    """Noord's Tuesday: Ana has 08:00 and 10:00, Ben 08:15 and 10:15 (each 45 minutes
    in an hour's window), so Ana taking Ben's 08:15 clashes with her 08:00."""
    with time_machine.travel(MORNING, tick=False):
        w = personas
        w.client = jansen_client(w)
        w.ana_8 = plan(w.ana, w.client, at(DAY, "08:00"), assignee=w.ana)
        w.ana_10 = plan(w.ana, w.client, at(DAY, "10:00"), assignee=w.ana)
        w.ben_8 = plan(w.ana, w.client, at(DAY, "08:15"), assignee=w.ben)
        w.ben_10 = plan(w.ana, w.client, at(DAY, "10:15"), assignee=w.ben)
        yield w


# --- handover -----------------------------------------------------------------------------


@pytest.fixture
def handover(w):
    with time_machine.travel(MORNING, tick=False):
        w.offer = handover_services.handover_offer(actor=w.ben, visit=w.ben_8, version=1, to=w.ana)
        yield w


def test_accepting_a_handover_that_clashes_is_refused_and_the_offer_stays_open(handover):
    w = handover
    before = snapshot()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        handover_services.handover_accept(actor=w.ana, offer=w.offer, version=1)
    assert caught.value.message_dict == {"overlap": [words("08:00", "09:00")]}
    assert snapshot() == before
    assert HandoverOffer.objects.get(pk=w.offer.pk).status == "offered"


def test_accepting_a_handover_that_clashes_goes_ahead_when_confirmed(handover):
    w = handover
    with time_machine.travel(MORNING, tick=False):
        handover_services.handover_accept(
            actor=w.ana, offer=w.offer, version=1, confirm_overlap=True
        )
    assert Visit.objects.get(pk=w.ben_8.pk).assignee_id == w.ana.pk


def test_the_handover_accept_api_answers_400_at_overlap_then_accepts_confirmed(handover):
    w = handover
    path = f"handovers/{w.offer.pk}/accept"
    with time_machine.travel(MORNING, tick=False):
        before = snapshot()
        refused = post(w.ana, path, {"version": 1})
        assert refused.status_code == 400, refused.content
        assert refused.json()["extra"]["fields"]["overlap"] == [words("08:00", "09:00")]
        assert snapshot() == before
        accepted = post(w.ana, path, {"version": 1, "confirm_overlap": True})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"


# --- swap ---------------------------------------------------------------------------------


def swap(w, mine: Visit, theirs: Visit) -> HandoverOffer:
    """Ben offers ``mine`` (his) for Ana's ``theirs``."""
    with time_machine.travel(MORNING, tick=False):
        return handover_services.handover_offer_swap(
            actor=w.ben, visit=mine, version=1, swap_visit=theirs, swap_version=1
        )


def test_a_swap_where_the_taker_would_clash_is_refused_naming_her_visit(w):
    offer = swap(w, w.ben_8, w.ana_10)  # Ana would hold 08:00 and 08:15
    Visit.objects.filter(pk=w.ben_10.pk).update(status=Visit.Status.CANCELLED)  # Ben fits
    before = snapshot()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        handover_services.handover_accept(actor=w.ana, offer=offer, version=1)
    assert caught.value.message_dict == {"overlap": [words("08:00", "09:00")]}
    assert snapshot() == before


def test_a_swap_where_the_offerer_would_clash_is_refused_naming_him(w):
    offer = swap(w, w.ben_8, w.ana_10)
    # Ben's own 10:15 would clash with Ana's 10:00 he takes; Ana's side is fine once
    # her 08:00 is gone.
    Visit.objects.filter(pk=w.ana_8.pk).update(status=Visit.Status.CANCELLED)
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        handover_services.handover_accept(actor=w.ana, offer=offer, version=1)
    assert caught.value.message_dict == {"overlap": [words("10:15", "11:15", "Ben Mulder")]}


def test_a_swap_of_the_clashing_pair_itself_ignores_the_visits_given_away(w):
    # Ana gives 08:00 and takes 08:15; Ben the other way round: nobody holds both.
    offer = swap(w, w.ben_8, w.ana_8)
    with time_machine.travel(MORNING, tick=False):
        handover_services.handover_accept(actor=w.ana, offer=offer, version=1)
    assert Visit.objects.get(pk=w.ben_8.pk).assignee_id == w.ana.pk
    assert Visit.objects.get(pk=w.ana_8.pk).assignee_id == w.ben.pk


def test_a_swap_where_both_would_clash_names_both_clashes_the_takers_first(w):
    offer = swap(w, w.ben_8, w.ana_10)
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        handover_services.handover_accept(actor=w.ana, offer=offer, version=1)
    assert caught.value.message_dict == {
        "overlap": [words("08:00", "09:00"), words("10:15", "11:15", "Ben Mulder")]
    }


def test_a_clashing_swap_goes_ahead_when_confirmed_and_through_the_api(w):
    offer = swap(w, w.ben_8, w.ana_10)
    path = f"handovers/{offer.pk}/accept"
    with time_machine.travel(MORNING, tick=False):
        refused = post(w.ana, path, {"version": 1})
        assert refused.status_code == 400, refused.content
        assert "overlap" in refused.json()["extra"]["fields"]
        accepted = post(w.ana, path, {"version": 1, "confirm_overlap": True})
    assert accepted.status_code == 200, accepted.content
    assert Visit.objects.get(pk=w.ben_8.pk).assignee_id == w.ana.pk
    assert Visit.objects.get(pk=w.ana_10.pk).assignee_id == w.ben.pk


# --- help ---------------------------------------------------------------------------------


@pytest.fixture
def asked(w):
    """Noord asks for help with an open 09:00; Cas (Zuid) holds a Zuid visit at 11:00."""
    with time_machine.travel(MORNING, tick=False):
        w.wanted = plan(w.ana, w.client, at(DAY, "09:00"))
        w.request = help_services.help_request_raise(
            actor=w.ana, team=w.noord, visits=[w.wanted], skills="Insulin injections"
        )
        w.zuid_client = ClientFactory(
            team=w.zuid, first_name="Jan", last_name="Bos", status=Client.Status.ACTIVE
        )
        w.cas_11 = plan(w.cas, w.zuid_client, at(DAY, "11:00"), assignee=w.cas)
        yield w


def cas_takes_a_clashing_visit(w) -> Visit:
    with time_machine.travel(MORNING, tick=False):
        return plan(w.cas, w.zuid_client, at(DAY, "09:10"), assignee=w.cas)


def test_offering_help_that_clashes_is_refused_naming_the_clash(asked):
    w = asked
    cas_takes_a_clashing_visit(w)
    before = snapshot()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    assert caught.value.message_dict == {"overlap": [words("09:10", "10:10")]}
    assert snapshot() == before
    with time_machine.travel(MORNING, tick=False):
        offer = help_services.help_offer_make(
            actor=w.cas, request=w.request, version=1, confirm_overlap=True
        )
    assert offer.status == "offered"


def test_offering_help_that_fits_needs_no_confirmation(asked):
    w = asked
    with time_machine.travel(MORNING, tick=False):
        offer = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    assert offer.status == "offered"


def test_the_help_offer_api_answers_400_at_overlap_then_offers_confirmed(asked):
    w = asked
    cas_takes_a_clashing_visit(w)
    path = f"help-requests/{w.request.pk}/offers"
    with time_machine.travel(MORNING, tick=False):
        refused = post(w.cas, path, {"version": 1})
        assert refused.status_code == 400, refused.content
        assert refused.json()["extra"]["fields"]["overlap"] == [words("09:10", "10:10")]
        made = post(w.cas, path, {"version": 1, "confirm_overlap": True})
    assert made.status_code == 201, made.content


def test_accepting_help_rechecks_the_helper_who_took_a_clashing_visit_since(asked):
    w = asked
    with time_machine.travel(MORNING, tick=False):
        offer = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    cas_takes_a_clashing_visit(w)
    before = snapshot()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        help_services.help_offer_accept(actor=w.ana, offer=offer, version=1)
    assert caught.value.message_dict == {"overlap": [words("09:10", "10:10", "Cas Bakker")]}
    assert "Bos" not in caught.value.message_dict["overlap"][0]
    assert snapshot() == before
    path = f"help-offers/{offer.pk}/accept"
    with time_machine.travel(MORNING, tick=False):
        refused = post(w.ana, path, {"version": 1})
        assert refused.status_code == 400, refused.content
        assert "overlap" in refused.json()["extra"]["fields"]
        accepted = post(w.ana, path, {"version": 1, "confirm_overlap": True})
    assert accepted.status_code == 200, accepted.content
    assert Visit.objects.get(pk=w.wanted.pk).assignee_id == w.cas.pk
