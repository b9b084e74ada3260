"""Overlapping visits: the one clash rule (``care.selectors.visits.clashes``) and the
care services that give a carer a visit (claim, assign, swap) refusing a clash at
``overlap``, naming it by its time, unless confirmed."""

from __future__ import annotations

import pytest
import time_machine
from django.core.exceptions import ValidationError

from care.models import Visit
from care.selectors import visits as visit_selectors
from care.services import visits as visit_services
from coordination.events import EventRecord
from teams.models import AuditEntry
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api
from tests.factories import VisitFactory

pytestmark = pytest.mark.django_db

DAY = "2026-12-08"  # a Tuesday
MORNING = at(DAY, "07:30")
CLASH = "It clashes with your visit at 08:00–09:00 on Tue 8 Dec (45 minutes)."


def visit(start: str, end: str, minutes: int, **extra) -> Visit:
    return VisitFactory.build(
        window_start=at(DAY, start), window_end=at(DAY, end), expected_minutes=minutes, **extra
    )


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "clash"),
    [
        # Touching windows that fit: one after the other.
        (("08:00", "09:00", 45), ("09:00", "10:00", 45), False),
        # Overlapping windows, short visits: one then the other fits.
        (("08:00", "09:00", 30), ("08:30", "09:30", 30), False),
        # The same window, two visits that fit in it together.
        (("08:00", "09:00", 25), ("08:00", "09:00", 30), False),
        # The same window, two visits too long to fit both.
        (("08:00", "09:00", 45), ("08:00", "09:00", 45), True),
        # Long visits in overlapping windows, neither order fits.
        (("08:00", "09:00", 90), ("08:30", "09:30", 60), True),
        # Touching windows, but the first fills its window and more.
        (("08:00", "09:00", 75), ("09:00", "09:30", 30), True),
        # Far apart.
        (("08:00", "09:00", 60), ("14:00", "15:00", 60), False),
    ],
)
def test_two_visits_clash_only_when_neither_order_fits(a, b, clash):
    first, second = visit(*a), visit(*b)
    assert visit_selectors.visits_clash(first, second) is clash
    assert visit_selectors.visits_clash(second, first) is clash


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        personas.client = jansen_client(personas)
        personas.held = plan(personas.ana, personas.client, at(DAY, "08:00"), assignee=personas.ana)
        personas.open = plan(personas.ana, personas.client, at(DAY, "08:15"))
        personas.later = plan(personas.ana, personas.client, at(DAY, "09:00"))
        yield personas


def test_clashes_finds_the_persons_undone_visits_in_one_query(w, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert visit_selectors.clashes(w.ana, w.open) == [w.held]
    assert visit_selectors.clashes(w.ana, w.later) == []  # touching windows, fits
    assert visit_selectors.clashes(w.ben, w.open) == []  # another person's visit
    assert visit_selectors.clashes(w.ana, w.open, ignoring=[w.held.pk]) == []
    assert visit_selectors.clashes(w.ana, w.held) == []  # never the visit itself


def test_clashes_with_several_visits_at_once_is_still_one_query(w, django_assert_num_queries):
    with time_machine.travel(MORNING, tick=False):
        evening = plan(w.ana, w.client, at(DAY, "18:00"))
        ana_evening = plan(w.ana, w.client, at(DAY, "18:20"), assignee=w.ana)
    with django_assert_num_queries(1):
        found = visit_selectors.clashes(w.ana, w.later, w.open, evening)
    assert found == [w.held, ana_evening]
    assert visit_selectors.clashes(w.ana, w.later, evening, ignoring=[ana_evening.pk]) == []


@pytest.mark.parametrize("status", [Visit.Status.DONE, Visit.Status.CANCELLED, "missed"])
def test_done_cancelled_and_missed_visits_never_clash(w, status):
    times = {"actual_start": at(DAY, "08:00"), "actual_end": at(DAY, "08:45")}
    Visit.objects.filter(pk=w.held.pk).update(status=status, **times)
    assert visit_selectors.clashes(w.ana, w.open) == []


def test_a_started_visit_still_clashes(w):
    Visit.objects.filter(pk=w.held.pk).update(
        status=Visit.Status.IN_PROGRESS, actual_start=at(DAY, "08:00")
    )
    assert visit_selectors.clashes(w.ana, w.open) == [w.held]


# --- claim --------------------------------------------------------------------------------


def state() -> list:
    return list(Visit.objects.order_by("pk").values_list("pk", "status", "assignee", "version"))


def counts() -> tuple[int, int]:
    return EventRecord.objects.count(), AuditEntry.objects.count()


def test_claiming_a_clashing_visit_is_refused_naming_the_clash_and_changes_nothing(w):
    before, written = state(), counts()
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as caught:
        visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)
    assert caught.value.message_dict == {"overlap": [CLASH]}
    assert "Jansen" not in CLASH
    assert (state(), counts()) == (before, written)
    assert Visit.objects.get(pk=w.open.pk).assignee_id is None


def test_claiming_a_clashing_visit_goes_ahead_when_confirmed(w):
    with time_machine.travel(MORNING, tick=False):
        claimed = visit_services.visit_claim(
            actor=w.ana, visit=w.open, version=1, confirm_overlap=True
        )
    assert (claimed.assignee_id, claimed.status) == (w.ana.pk, "assigned")


def test_claiming_a_visit_that_fits_needs_no_confirmation(w):
    with time_machine.travel(MORNING, tick=False):
        claimed = visit_services.visit_claim(actor=w.ana, visit=w.later, version=1)
    assert claimed.assignee_id == w.ana.pk


def test_a_retried_claim_by_the_holder_still_answers_with_the_visit(w):
    with time_machine.travel(MORNING, tick=False):
        visit_services.visit_claim(actor=w.ana, visit=w.open, version=1, confirm_overlap=True)
        again = visit_services.visit_claim(actor=w.ana, visit=w.open, version=1)
    assert (again.pk, again.assignee_id, again.version) == (w.open.pk, w.ana.pk, 2)


def test_the_claim_api_answers_400_at_overlap_and_claims_with_confirm_overlap(w):
    path = f"/api/v1/visits/{w.open.pk}/claim"
    with time_machine.travel(MORNING, tick=False):
        refused = api(w.ana).post(path, {"version": 1}, format="json")
        assert refused.status_code == 400, refused.content
        assert refused.json()["extra"]["fields"]["overlap"] == [CLASH]
        assert Visit.objects.get(pk=w.open.pk).assignee_id is None
        taken = api(w.ana).post(path, {"version": 1, "confirm_overlap": True}, format="json")
    assert taken.status_code == 200, taken.content
    assert taken.json()["assignee"]["id"] == w.ana.pk


# --- assign -------------------------------------------------------------------------------


def test_assigning_a_clashing_visit_to_a_colleague_names_them_unless_confirmed(w):
    before = state()
    with time_machine.travel(MORNING, tick=False):
        with pytest.raises(ValidationError) as caught:
            visit_services.visit_assign(actor=w.ben, visit=w.open, person=w.ana, version=1)
        assert caught.value.message_dict == {
            "overlap": [CLASH.replace("your visit", "Ana de Vries's visit")]
        }
        assert state() == before
        assigned = visit_services.visit_assign(
            actor=w.ben, visit=w.open, person=w.ana, version=1, confirm_overlap=True
        )
    assert assigned.assignee_id == w.ana.pk


def test_the_assign_api_answers_400_at_overlap(w):
    path = f"/api/v1/visits/{w.open.pk}/assign"
    with time_machine.travel(MORNING, tick=False):
        refused = api(w.ben).post(path, {"version": 1, "person": w.ana.pk}, format="json")
        assert refused.status_code == 400, refused.content
        assert "overlap" in refused.json()["extra"]["fields"]
        done = api(w.ben).post(
            path, {"version": 1, "person": w.ana.pk, "confirm_overlap": True}, format="json"
        )
    assert done.status_code == 200, done.content
