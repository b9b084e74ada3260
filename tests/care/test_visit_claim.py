"""Claiming, swapping and running late: the care services the team board calls."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from care.models import Client, LedgerEntry, Visit
from care.services import visits as visit_services
from coordination.events import EventRecord
from coordination.events.streams import client_stream
from teams.errors import Conflict, PreconditionRequired
from teams.models import AuditEntry
from tests.care.visit_helpers import at, jansen_client, plan
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# Tuesday morning, before the day's visits.
MORNING = at("2026-12-08", "07:30")
MINUTE = datetime.timedelta(minutes=1)


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        personas.client = jansen_client(personas)
        personas.open = plan(personas.ana, personas.client, at("2026-12-08", "09:00"))
        personas.anas = plan(
            personas.ana, personas.client, at("2026-12-08", "11:00"), assignee=personas.ana
        )
        personas.bens = plan(
            personas.ana, personas.client, at("2026-12-08", "14:00"), assignee=personas.ben
        )
        personas.zuid_client = ClientFactory(
            team=personas.zuid, first_name="Jan", last_name="Bos", status=Client.Status.ACTIVE
        )
        personas.zuid_visit = plan(
            personas.cas, personas.zuid_client, at("2026-12-08", "10:00"), assignee=personas.cas
        )
        yield personas


def reload(visit: Visit) -> Visit:
    return Visit.objects.get(pk=visit.pk)


def state() -> list:
    return list(
        Visit.objects.order_by("pk").values_list(
            "pk", "status", "assignee", "version", "late_until", "late_note"
        )
    )


def events(kind: str) -> list[EventRecord]:
    return list(EventRecord.objects.filter(type=kind).order_by("stream", "seq"))


# --- claiming ---------------------------------------------------------------------------


def test_a_member_claims_an_unassigned_visit_audited_and_heard_on_both_streams(w):
    visit = visit_services.visit_claim(actor=w.ben, visit=w.open, version=1)
    assert (visit.assignee_id, visit.status, visit.version) == (w.ben.pk, "assigned", 2)
    assert reload(w.open).assignee_id == w.ben.pk
    claimed = events("visit.claimed")
    assert {e.stream for e in claimed} == {w.noord.stream, client_stream(w.client.pk, "visits")}
    assert all(e.data["assignee"] == w.ben.pk and e.data["version"] == 2 for e in claimed)
    assert all(e.actor_id == w.ben.pk for e in claimed)
    assert AuditEntry.objects.filter(action="visit.claimed", actor=w.ben).count() == 1


def test_claiming_a_visit_someone_has_names_them_with_the_current_state(w):
    visit_services.visit_claim(actor=w.ben, visit=w.open, version=1)
    before = state()
    with pytest.raises(Conflict) as caught:
        visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)
    assert caught.value.message == "Ben Mulder has already taken this visit."
    assert caught.value.current["assignee"] == w.ben.pk
    assert caught.value.current["version"] == 2
    assert state() == before


def test_a_stale_claim_is_a_conflict_with_the_current_state(w):
    # Ben said the (still unassigned) visit will start late: its version moved on.
    with time_machine.travel(MORNING, tick=False):
        visit_services.visit_running_late(
            actor=w.ben, visit=w.open, version=1, until=at("2026-12-08", "09:40")
        )
    before = state()
    with pytest.raises(Conflict) as caught:
        visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)
    assert caught.value.current["version"] == 2
    assert caught.value.current["assignee"] is None
    assert caught.value.current["late_until"] == at("2026-12-08", "09:40").isoformat()
    assert state() == before


def test_claiming_again_what_you_hold_changes_nothing(w):
    visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)
    before, heard = state(), EventRecord.objects.count()
    again = visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)  # a retry
    assert again.version == 2
    assert state() == before
    assert EventRecord.objects.count() == heard


def test_a_claim_needs_the_version(w):
    with pytest.raises(PreconditionRequired):
        visit_services.visit_claim(actor=w.ana, visit=w.open, version=None)


@pytest.mark.parametrize("who", ["cas", "coach", "inspector", "mrs_jansen", "daughter"])
def test_only_the_clients_team_claims(w, who):
    before = state()
    with pytest.raises(PermissionDenied):
        visit_services.visit_claim(actor=getattr(w, who), visit=w.open, version=1)
    assert state() == before


def test_a_closed_or_started_visit_cannot_be_claimed(w):
    visit_services.visit_cancel(actor=w.ana, visit=w.open, version=1, reason="In hospital")
    with pytest.raises(ValidationError, match="cancelled. It cannot be taken"):
        visit_services.visit_claim(actor=w.ben, visit=w.open, version=2)
    with time_machine.travel(at("2026-12-08", "11:05"), tick=False):
        visit_services.visit_start(actor=w.ana, visit=w.anas, version=1)
    with pytest.raises(ValidationError, match="has started"):
        visit_services.visit_claim(actor=w.ana, visit=w.anas, version=2)


# --- running late -----------------------------------------------------------------------


def test_the_carer_says_she_runs_late_and_the_family_hears_when_not_why(w):
    with time_machine.travel(at("2026-12-08", "10:50"), tick=False):
        visit = visit_services.visit_running_late(
            actor=w.ana,
            visit=w.anas,
            version=1,
            until=at("2026-12-08", "11:25"),
            note="Stuck behind the bin lorry on Ceintuurbaan",
        )
    assert visit.late_until == at("2026-12-08", "11:25")
    assert visit.late_note == "Stuck behind the bin lorry on Ceintuurbaan"
    late = events("visit.running_late")
    assert {e.stream for e in late} == {w.noord.stream, client_stream(w.client.pk, "visits")}
    assert all(e.data["late_until"] == at("2026-12-08", "11:25").isoformat() for e in late)
    assert all("late_note" not in e.data for e in late)  # notes may name people


def test_starting_the_visit_clears_running_late(w):
    with time_machine.travel(at("2026-12-08", "10:50"), tick=False):
        visit_services.visit_running_late(
            actor=w.ana, visit=w.anas, version=1, until=at("2026-12-08", "11:25"), note="Traffic"
        )
    with time_machine.travel(at("2026-12-08", "11:24"), tick=False):
        visit = visit_services.visit_start(actor=w.ana, visit=w.anas, version=2)
    assert (visit.late_until, visit.late_note) == (None, "")
    assert (reload(w.anas).late_until, reload(w.anas).late_note) == (None, "")
    started = events("visit.started")[0]
    assert started.data["late_until"] is None


def test_running_late_can_be_taken_back(w):
    with time_machine.travel(at("2026-12-08", "10:50"), tick=False):
        visit_services.visit_running_late(
            actor=w.ana, visit=w.anas, version=1, until=at("2026-12-08", "11:25"), note="Traffic"
        )
        visit = visit_services.visit_running_late(actor=w.ana, visit=w.anas, version=2, until=None)
    assert (visit.late_until, visit.late_note, visit.version) == (None, "", 3)


@pytest.mark.parametrize(
    ("until", "message"),
    [
        (MORNING - MINUTE, "Must be in the future."),
        (MORNING + datetime.timedelta(hours=12, minutes=1), "At most 12 hours from now"),
        (at("2026-12-08", "11:00"), "The window starts at 11:00: arriving by then is not late."),
        (datetime.datetime(2026, 12, 8, 11, 30), "Give the time zone"),
        ("11:30", "A date and time."),
        (None, "Required: when you expect to arrive."),
    ],
)
def test_running_late_checks_the_time_and_names_until(w, until, message):
    before = state()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        visit_services.visit_running_late(actor=w.ana, visit=w.anas, version=1, until=until)
    assert any(message in m for m in caught.value.message_dict["until"])
    assert state() == before


def test_a_long_late_note_is_refused_naming_note(w):
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        visit_services.visit_running_late(
            actor=w.ana, visit=w.anas, version=1, until=at("2026-12-08", "11:30"), note="x" * 201
        )
    assert set(caught.value.message_dict) == {"note"}


def test_only_the_carer_says_they_run_late_but_anyone_may_for_an_unassigned_visit(w):
    with time_machine.travel(MORNING, tick=False):
        with pytest.raises(PermissionDenied, match="Ben Mulder has this visit"):
            visit_services.visit_running_late(
                actor=w.ana, visit=w.bens, version=1, until=at("2026-12-08", "14:30")
            )
        visit = visit_services.visit_running_late(
            actor=w.ben, visit=w.open, version=1, until=at("2026-12-08", "09:30")
        )
    assert visit.late_until == at("2026-12-08", "09:30")


def test_a_started_visit_is_not_running_late(w):
    with time_machine.travel(at("2026-12-08", "11:05"), tick=False):
        visit_services.visit_start(actor=w.ana, visit=w.anas, version=1)
        with pytest.raises(ValidationError, match="has started"):
            visit_services.visit_running_late(
                actor=w.ana, visit=w.anas, version=2, until=at("2026-12-08", "11:30")
            )


# --- finishing a visit that never started -------------------------------------------------


def test_finishing_a_visit_that_never_started_is_a_clear_error_and_changes_nothing(w):
    before, debits = state(), LedgerEntry.objects.count()
    with (
        time_machine.travel(at("2026-12-08", "12:00"), tick=False),
        pytest.raises(ValidationError) as caught,
    ):
        visit_services.visit_finish(actor=w.ana, visit=w.anas, version=1)
    assert caught.value.messages == ["This visit was never started: record its start first."]
    assert state() == before
    assert LedgerEntry.objects.count() == debits


# --- swapping -----------------------------------------------------------------------------


def test_two_colleagues_swap_visits_both_locked_both_heard(w):
    first, second = visit_services.visit_swap(
        actor=w.ben, first=w.anas, first_version=1, second=w.bens, second_version=1
    )
    assert (first.assignee_id, first.version) == (w.ben.pk, 2)
    assert (second.assignee_id, second.version) == (w.ana.pk, 2)
    assert (reload(w.anas).assignee_id, reload(w.bens).assignee_id) == (w.ben.pk, w.ana.pk)
    swapped = [e for e in events("visit.swapped") if e.stream == w.noord.stream]
    assert {(e.data["visit"], e.data["assignee"]) for e in swapped} == {
        (w.anas.pk, w.ben.pk),
        (w.bens.pk, w.ana.pk),
    }


def test_a_swap_with_a_stale_version_changes_neither_visit(w):
    visit_services.visit_assign(actor=w.ben, visit=w.bens, person=w.ben, version=1)  # version 2
    before = state()
    with pytest.raises(Conflict) as caught:
        visit_services.visit_swap(
            actor=w.ana, first=w.anas, first_version=1, second=w.bens, second_version=1
        )
    assert caught.value.current["id"] == w.bens.pk and caught.value.current["version"] == 2
    assert state() == before


def test_a_swap_is_between_the_two_holders(w):
    third = plan(w.ana, w.client, at("2026-12-08", "16:00"), assignee=w.ben)
    before = state()
    with pytest.raises(PermissionDenied, match="Only a carer who has one of the two"):
        visit_services.visit_swap(
            actor=w.ana, first=w.bens, first_version=1, second=third, second_version=1
        )
    with pytest.raises(ValidationError, match="already with the same carer"):
        visit_services.visit_swap(
            actor=w.ben, first=w.bens, first_version=1, second=third, second_version=1
        )
    with pytest.raises(ValidationError, match="Nobody has one of these visits"):
        visit_services.visit_swap(
            actor=w.ana, first=w.anas, first_version=1, second=w.open, second_version=1
        )
    with pytest.raises(PermissionDenied):  # cas is not in Noord
        visit_services.visit_swap(
            actor=w.cas, first=w.zuid_visit, first_version=1, second=w.bens, second_version=1
        )
    assert state() == before
