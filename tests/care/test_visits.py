"""Visits: planning, series, assigning, starting, recording (with the budget debit), and who may."""

from __future__ import annotations

import datetime
import json
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction

from care.models import Budget, LedgerEntry, Visit, VisitSeries
from care.services import visits as visit_services
from coordination.events import EventRecord
from teams.errors import Conflict, KeyReused, PreconditionRequired
from teams.models import AuditEntry, Membership
from tests.care.visit_helpers import NOW, TZ, at, deliver, intervention, jansen_client, plan
from tests.factories import BudgetFactory, ClientFactory, member

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def jansen(personas, now):
    return jansen_client(personas)


@pytest.fixture
def budget(jansen):
    return BudgetFactory(
        client=jansen,
        funder="Deventshire County Council",
        hourly_rate=Decimal("24.50"),
        starts=datetime.date(2026, 10, 27),
    )


def events(stream: str, kind: str | None = None) -> list[EventRecord]:
    found = EventRecord.objects.filter(stream=stream).order_by("seq")
    return list(found.filter(type=kind) if kind else found)


def reload(visit: Visit) -> Visit:
    return Visit.objects.get(pk=visit.pk)


def started(personas, client, start=None) -> Visit:
    start = start or NOW - 2 * HOUR
    visit = plan(personas.ana, client, start)
    return visit_services.visit_start(
        actor=personas.ana, visit=visit, version=visit.version, at=start
    )


# --- planning ---------------------------------------------------------------------------


def test_the_care_team_plans_a_visit_and_both_streams_hear_it_without_names(personas, jansen):
    task = intervention(jansen, personas.ana)
    visit = plan(
        personas.ana,
        jansen,
        NOW + HOUR,
        interventions=[task],
        preferred_carers=[personas.ben],
        assignee=personas.ben,
    )
    assert visit.status == Visit.Status.ASSIGNED
    assert list(visit.interventions.all()) == [task]
    assert list(visit.preferred_carers.all()) == [personas.ben]
    for stream in (personas.noord.stream, jansen.stream("visits")):
        (event,) = events(stream, "visit.planned")
        assert event.data["visit"] == visit.pk
        assert event.data["assignee"] == personas.ben.pk
        assert event.actor_id == personas.ana.pk
        text = json.dumps(event.data)
        for name in ("Jansen", "Wilma", "Ben", "Mulder", "Ana"):
            assert name not in text
    assert AuditEntry.objects.filter(action="visit.planned", actor=personas.ana).count() == 1


def test_planning_reports_every_bad_field_at_once(personas, jansen):
    other = jansen_client_of_zuid(personas)
    foreign_task = intervention(other, personas.cas)
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_plan(
            actor=personas.ana,
            client=jansen,
            window_start=NOW.replace(tzinfo=None),
            window_end="tomorrow",
            expected_minutes=0,
            tasks=42,
            interventions=[foreign_task],
            preferred_carers=[personas.cas],
            assignee=personas.cas,
        )
    assert set(exc.value.message_dict) == {
        "window_start",
        "window_end",
        "expected_minutes",
        "tasks",
        "interventions",
        "preferred_carers",
        "assignee",
    }
    assert not Visit.objects.exists()


def jansen_client_of_zuid(personas):
    return ClientFactory(team=personas.zuid, first_name="Kees", last_name="Smit")


def test_a_window_that_ends_before_it_starts_is_refused_by_name(personas, jansen):
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_plan(
            actor=personas.ana,
            client=jansen,
            window_start=NOW + 2 * HOUR,
            window_end=NOW + HOUR,
            expected_minutes=30,
        )
    assert list(exc.value.message_dict) == ["window_end"]


def test_a_discharged_client_gets_no_new_visits(personas, jansen):
    jansen.status = jansen.Status.DISCHARGED
    jansen.save()
    with pytest.raises(ValidationError) as exc:
        plan(personas.ana, jansen, NOW + HOUR)
    assert "client" in exc.value.message_dict


# --- who may ----------------------------------------------------------------------------


def _writes(personas, jansen):
    """Every visit write, as a function of who tries it."""
    planned = plan(personas.ana, jansen, NOW - HOUR)
    going = started(personas, jansen)
    series = visit_services.series_create(
        actor=personas.ana,
        client=jansen,
        weekdays=[0, 2, 4],
        window_start=datetime.time(8),
        window_end=datetime.time(9),
        expected_minutes=45,
        starts=NOW.date(),
    )
    return {
        "plan": lambda who: plan(who, jansen, NOW + HOUR),
        "assign": lambda who: visit_services.visit_assign(
            actor=who, visit=planned, person=personas.ben, version=planned.version
        ),
        "start": lambda who: visit_services.visit_start(
            actor=who, visit=planned, version=planned.version
        ),
        "finish": lambda who: visit_services.visit_finish(
            actor=who, visit=going, version=going.version, idempotency_key="k"
        ),
        "cancel": lambda who: visit_services.visit_cancel(
            actor=who, visit=planned, version=planned.version
        ),
        "mark_missed": lambda who: visit_services.visit_mark_missed(
            actor=who, visit=planned, version=planned.version
        ),
        "series_create": lambda who: visit_services.series_create(
            actor=who,
            client=jansen,
            weekdays=[1],
            window_start=datetime.time(8),
            window_end=datetime.time(9),
            expected_minutes=30,
            starts=NOW.date(),
        ),
        "series_generate": lambda who: visit_services.series_generate(
            actor=who, series=series, until=NOW.date() + datetime.timedelta(days=14)
        ),
        "series_exception": lambda who: visit_services.series_exception_add(
            actor=who, series=series, date=datetime.date(2026, 12, 9), cancelled=True
        ),
    }


WRITES = [
    "plan",
    "assign",
    "start",
    "finish",
    "cancel",
    "mark_missed",
    "series_create",
    "series_generate",
    "series_exception",
]


@pytest.mark.parametrize("write", WRITES)
@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_nobody_outside_the_care_team_writes_visits(personas, jansen, outsiders, who, write):
    attempt = _writes(personas, jansen)[write]
    before = (
        Visit.objects.count(),
        VisitSeries.objects.count(),
        EventRecord.objects.count(),
        sorted(Visit.objects.values_list("version", flat=True)),
    )
    with pytest.raises(PermissionDenied):
        attempt(outsiders[who])
    after = (
        Visit.objects.count(),
        VisitSeries.objects.count(),
        EventRecord.objects.count(),
        sorted(Visit.objects.values_list("version", flat=True)),
    )
    assert after == before


@pytest.mark.parametrize("write", WRITES)
def test_any_member_of_the_care_team_writes_visits(personas, jansen, write):
    # Ben set none of it up: being in the client's team is what counts.
    _writes(personas, jansen)[write](personas.ben)


def test_a_member_who_left_the_team_is_refused(personas, jansen):
    visit = plan(personas.ana, jansen, NOW + HOUR)
    Membership.objects.filter(person=personas.ben).update(left=NOW.date())
    with pytest.raises(PermissionDenied):
        visit_services.visit_cancel(actor=personas.ben, visit=visit, version=visit.version)


# --- assigning --------------------------------------------------------------------------


def test_a_visit_goes_only_to_a_current_member_of_the_clients_team(personas, jansen):
    visit = plan(personas.ana, jansen, NOW + HOUR)
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_assign(
            actor=personas.ana, visit=visit, person=personas.cas, version=visit.version
        )
    assert "assignee" in exc.value.message_dict
    former = member("femke", personas.noord)
    Membership.objects.filter(person=former).update(left=NOW.date())
    with pytest.raises(ValidationError):
        visit_services.visit_assign(actor=personas.ana, visit=visit, person=former, version=1)
    visit = visit_services.visit_assign(
        actor=personas.ana, visit=visit, person=personas.ben, version=visit.version
    )
    assert (visit.status, visit.assignee, visit.version) == ("assigned", personas.ben, 2)
    (event,) = events(jansen.stream("visits"), "visit.assigned")
    assert event.data == {
        "visit": visit.pk,
        "client": jansen.pk,
        "version": 2,
        "assignee": personas.ben.pk,
        "status": "assigned",
    }
    visit = visit_services.visit_assign(actor=personas.ben, visit=visit, person=None, version=2)
    assert (visit.status, visit.assignee) == ("planned", None)


# --- stale versions ---------------------------------------------------------------------


@pytest.mark.parametrize("write", ["assign", "start", "cancel", "mark_missed", "finish"])
def test_a_stale_version_is_a_conflict_with_the_current_state(personas, jansen, write):
    visit = started(personas, jansen) if write == "finish" else plan(personas.ana, jansen, NOW)
    seen = visit.version
    # Someone else changed it in the meantime.
    Visit.objects.filter(pk=visit.pk).update(tasks="Also post the letter.", version=seen + 1)
    calls = {
        "assign": lambda: visit_services.visit_assign(
            actor=personas.ana, visit=visit, person=personas.ben, version=seen
        ),
        "start": lambda: visit_services.visit_start(actor=personas.ana, visit=visit, version=seen),
        "cancel": lambda: visit_services.visit_cancel(
            actor=personas.ana, visit=visit, version=seen
        ),
        "mark_missed": lambda: visit_services.visit_mark_missed(
            actor=personas.ana, visit=visit, version=seen
        ),
        "finish": lambda: visit_services.visit_finish(
            actor=personas.ana, visit=visit, version=seen
        ),
    }
    with pytest.raises(Conflict) as exc:
        calls[write]()
    assert exc.value.current["version"] == seen + 1
    assert exc.value.current["id"] == visit.pk
    assert reload(visit).status == visit.status


def test_a_write_that_does_not_say_which_version_it_saw_is_refused(personas, jansen):
    visit = plan(personas.ana, jansen, NOW + HOUR)
    with pytest.raises(PreconditionRequired):
        visit_services.visit_cancel(actor=personas.ana, visit=visit, version=None)


# --- starting and finishing -------------------------------------------------------------


def test_starting_takes_an_unassigned_visit(personas, jansen):
    visit = plan(personas.ana, jansen, NOW - HOUR)
    visit = visit_services.visit_start(actor=personas.ben, visit=visit, version=visit.version)
    assert (visit.status, visit.assignee, visit.actual_start) == ("in_progress", personas.ben, NOW)
    with pytest.raises(ValidationError, match="started"):
        visit_services.visit_start(actor=personas.ben, visit=visit, version=visit.version)


def test_a_start_in_the_future_is_refused(personas, jansen):
    visit = plan(personas.ana, jansen, NOW + HOUR)
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_start(actor=personas.ana, visit=visit, version=1, at=NOW + HOUR)
    assert "actual_start" in exc.value.message_dict


def test_finishing_records_the_visit_and_debits_the_budget_once(personas, jansen, budget):
    start = at("2026-12-07", "08:10")
    visit = deliver(personas.ana, jansen, start, 45, idempotency_key="phone-1")
    assert visit.status == Visit.Status.DONE
    assert (visit.actual_start, visit.actual_end) == (start, start + datetime.timedelta(minutes=45))
    assert visit.done_note == "All well."
    (debit,) = LedgerEntry.objects.all()
    # 45 minutes at £24.50 an hour is £18.375: half a penny rounds up.
    assert debit.amount == Decimal("-18.38")
    assert (debit.kind, debit.visit, debit.budget, debit.on) == (
        "visit_debit",
        visit,
        budget,
        datetime.date(2026, 12, 7),
    )
    (event,) = events(personas.noord.stream, "visit.finished")
    assert event.data["debit"] == debit.pk
    assert event.data["amount"] == "-18.38"
    assert "All well" not in json.dumps(event.data)
    assert len(events(jansen.stream("visits"), "visit.finished")) == 1


def test_recording_twice_with_the_same_key_returns_the_first_result(personas, jansen, budget):
    going = started(personas, jansen)
    seen = going.version
    first = visit_services.visit_finish(
        actor=personas.ana, visit=going, version=seen, note="First.", idempotency_key="k-1"
    )
    # The phone's retry: the same recording, under the same key, with the version it
    # saw then (the end it left out meant "now" then, so it is not compared).
    again = visit_services.visit_finish(
        actor=personas.ana, visit=going, version=seen, note="First.", idempotency_key="k-1"
    )
    assert again.pk == first.pk
    assert (again.version, again.done_note, again.actual_end) == (
        first.version,
        "First.",
        first.actual_end,
    )
    assert LedgerEntry.objects.filter(visit=going).count() == 1
    assert len(events(personas.noord.stream, "visit.finished")) == 1
    assert AuditEntry.objects.filter(action="visit.finished").count() == 1


def test_a_used_key_with_other_details_is_refused_and_nothing_is_dropped_silently(
    personas, jansen, budget
):
    """Other words under the same key are another request: refused with a reason
    (422 through the API), never answered as if they had been recorded."""
    going = started(personas, jansen)
    seen = going.version
    visit_services.visit_finish(
        actor=personas.ana, visit=going, version=seen, note="First.", idempotency_key="k-1"
    )
    state = (Visit.objects.get(pk=going.pk).version, LedgerEntry.objects.count())
    with pytest.raises(KeyReused) as refused:
        visit_services.visit_finish(
            actor=personas.ana, visit=going, version=seen, note="Later.", idempotency_key="k-1"
        )
    assert list(refused.value.message_dict) == ["idempotency_key"]
    with pytest.raises(KeyReused):
        visit_services.visit_finish(
            actor=personas.ana,
            visit=going,
            version=seen,
            note="First.",
            actual_end=NOW - HOUR,
            idempotency_key="k-1",
        )
    assert (Visit.objects.get(pk=going.pk).version, LedgerEntry.objects.count()) == state
    assert Visit.objects.get(pk=going.pk).done_note == "First."


def test_another_persons_key_is_not_a_retry_of_theirs(personas, jansen, budget):
    """Ben sends Ana's key for the visit she recorded: not his retry, so he is told the
    visit is recorded already, as anyone recording it a second time is."""
    going = started(personas, jansen)
    seen = going.version
    visit_services.visit_finish(
        actor=personas.ana, visit=going, version=seen, note="First.", idempotency_key="k-1"
    )
    with pytest.raises(ValidationError, match="already recorded") as refused:
        visit_services.visit_finish(
            actor=personas.ben, visit=going, version=seen, note="First.", idempotency_key="k-1"
        )
    assert not isinstance(refused.value, KeyReused)
    assert Visit.objects.get(pk=going.pk).finished_by == personas.ana


@pytest.mark.parametrize("key", ["k-2", None])
def test_recording_a_done_visit_again_is_refused(personas, jansen, budget, key):
    visit = deliver(personas.ana, jansen, NOW - 3 * HOUR, 30, idempotency_key="k-1")
    with pytest.raises(ValidationError, match="already recorded"):
        visit_services.visit_finish(
            actor=personas.ana, visit=visit, version=visit.version, idempotency_key=key
        )
    assert LedgerEntry.objects.filter(visit=visit).count() == 1


def test_the_ledger_itself_refuses_a_second_debit_for_a_visit(personas, jansen, budget):
    visit = deliver(personas.ana, jansen, NOW - 3 * HOUR, 30)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=budget, kind="visit_debit", amount=Decimal("-12.25"), visit=visit
        )


def test_finishing_a_visit_never_started_is_refused(personas, jansen, budget):
    visit = plan(personas.ana, jansen, NOW - 2 * HOUR)
    with pytest.raises(ValidationError, match="never started"):
        visit_services.visit_finish(
            actor=personas.ana, visit=visit, version=visit.version, actual_end=NOW
        )
    assert reload(visit).status == "planned"
    assert not LedgerEntry.objects.exists()


def test_a_visit_that_ends_before_it_starts_is_refused_by_name(personas, jansen, budget):
    going = started(personas, jansen)
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_finish(
            actor=personas.ana,
            visit=going,
            version=going.version,
            actual_end=going.actual_start - datetime.timedelta(minutes=5),
        )
    assert exc.value.message_dict == {"actual_end": ["The visit cannot end before it starts."]}
    with pytest.raises(ValidationError) as exc:
        visit_services.visit_finish(
            actor=personas.ana,
            visit=going,
            version=going.version,
            actual_end=NOW + HOUR,
            note=7,
            idempotency_key="",
        )
    assert set(exc.value.message_dict) == {"actual_end", "note", "idempotency_key"}
    assert reload(going).status == "in_progress"
    assert not LedgerEntry.objects.exists()


def test_without_an_active_budget_a_visit_is_recorded_and_debits_nothing(personas, jansen):
    visit = deliver(personas.ana, jansen, NOW - 3 * HOUR, 30)
    assert visit.status == "done"
    assert not LedgerEntry.objects.exists()
    (event,) = events(jansen.stream("visits"), "visit.finished")
    assert (event.data["debit"], event.data["amount"]) == (None, None)


# --- cancel and missed ------------------------------------------------------------------


def test_a_cancelled_visit_cannot_be_started_or_recorded(personas, jansen):
    visit = plan(personas.ana, jansen, NOW + HOUR)
    visit = visit_services.visit_cancel(
        actor=personas.ben, visit=visit, version=visit.version, reason="In hospital."
    )
    assert (visit.status, visit.cancel_reason, visit.version) == ("cancelled", "In hospital.", 2)
    with pytest.raises(ValidationError, match="cancelled"):
        visit_services.visit_start(actor=personas.ana, visit=visit, version=visit.version)
    with pytest.raises(ValidationError, match="cancelled"):
        visit_services.visit_cancel(actor=personas.ana, visit=visit, version=visit.version)
    (event,) = events(personas.noord.stream, "visit.cancelled")
    assert event.data == {
        "visit": visit.pk,
        "client": jansen.pk,
        "version": 2,
        "status": "cancelled",
    }


def test_a_done_visit_cannot_be_cancelled(personas, jansen):
    visit = deliver(personas.ana, jansen, NOW - 3 * HOUR, 30)
    with pytest.raises(ValidationError, match="already recorded"):
        visit_services.visit_cancel(actor=personas.ana, visit=visit, version=visit.version)


def test_a_visit_is_missed_only_once_its_window_has_begun(personas, jansen, budget):
    later = plan(personas.ana, jansen, NOW + HOUR)
    with pytest.raises(ValidationError, match="window has begun"):
        visit_services.visit_mark_missed(actor=personas.ana, visit=later, version=later.version)
    earlier = plan(personas.ana, jansen, NOW - HOUR)
    earlier = visit_services.visit_mark_missed(
        actor=personas.ana, visit=earlier, version=earlier.version, reason="Nobody came."
    )
    assert earlier.status == "missed"
    assert not LedgerEntry.objects.exists()
    (event,) = events(jansen.stream("visits"), "visit.missed")
    assert event.data["status"] == "missed"


# --- the model's own guards -------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"window_end": NOW - HOUR},  # ends before its window starts
        {"status": "done"},  # done without times
        {"status": "done", "actual_start": NOW, "actual_end": NOW},  # ends as it starts
        {"status": "in_progress"},  # started without a start
        {"status": "assigned"},  # assigned to nobody
        {"expected_minutes": 0},
    ],
)
def test_the_database_refuses_an_impossible_visit(jansen, fields):
    row = {
        "client": jansen,
        "window_start": NOW,
        "window_end": NOW + HOUR,
        "expected_minutes": 30,
        **fields,
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(**row)


# --- series -----------------------------------------------------------------------------


@pytest.fixture
def mwf(personas, jansen):
    """Monday, Wednesday and Friday mornings from Monday 7 December, Ben preferred."""
    return visit_services.series_create(
        actor=personas.ana,
        client=jansen,
        weekdays=[0, 2, 4],
        window_start=datetime.time(8, 0),
        window_end=datetime.time(9, 0),
        expected_minutes=45,
        starts=datetime.date(2026, 12, 7),
        tasks="Washing, breakfast, tablets.",
        preferred_carers=[personas.ben],
    )


def test_a_series_generates_its_weekdays_skipping_and_moving_exceptions(personas, jansen, mwf):
    assert mwf.days == [0, 2, 4]
    visit_services.series_exception_add(
        actor=personas.ana, series=mwf, date=datetime.date(2026, 12, 9), cancelled=True
    )
    visit_services.series_exception_add(
        actor=personas.ben,
        series=mwf,
        date=datetime.date(2026, 12, 11),
        window_start=datetime.time(10, 0),
        window_end=datetime.time(11, 0),
        note="Day centre first.",
    )
    created = visit_services.series_generate(
        actor=personas.ana, series=mwf, until=datetime.date(2026, 12, 20)
    )
    # Mon 7, (Wed 9 cancelled), Fri 11 moved, Mon 14, Wed 16, Fri 18.
    assert [(v.series_date.isoformat(), v.window_start.astimezone(TZ).hour) for v in created] == [
        ("2026-12-07", 8),
        ("2026-12-11", 10),
        ("2026-12-14", 8),
        ("2026-12-16", 8),
        ("2026-12-18", 8),
    ]
    visit = Visit.objects.get(series_date=datetime.date(2026, 12, 14))
    assert (visit.expected_minutes, visit.tasks, visit.status) == (
        45,
        "Washing, breakfast, tablets.",
        "planned",
    )
    assert list(visit.preferred_carers.all()) == [personas.ben]
    (event,) = events(personas.noord.stream, "visit.generated")
    assert event.data["visits"] == [v.pk for v in created]
    assert len(events(jansen.stream("visits"), "visit.generated")) == 1


def test_generating_again_adds_only_what_is_missing(personas, jansen, mwf):
    visit_services.series_generate(
        actor=personas.ana, series=mwf, until=datetime.date(2026, 12, 13)
    )
    assert visit_services.series_generate(series=mwf, until=datetime.date(2026, 12, 13)) == []
    assert Visit.objects.count() == 3
    more = visit_services.series_generate(series=mwf, until=datetime.date(2026, 12, 16))
    assert [v.series_date.day for v in more] == [14, 16]
    assert Visit.objects.count() == 5
    assert len(events(personas.noord.stream, "visit.generated")) == 2


def test_a_series_starts_from_today_not_in_the_past(personas, jansen):
    series = visit_services.series_create(
        actor=personas.ana,
        client=jansen,
        weekdays=[0, 1, 2, 3, 4, 5, 6],
        window_start=datetime.time(20),
        window_end=datetime.time(21),
        expected_minutes=20,
        starts=datetime.date(2026, 11, 1),
        ends=datetime.date(2026, 12, 9),
    )
    created = visit_services.series_generate(series=series, until=datetime.date(2026, 12, 31))
    assert [v.series_date.day for v in created] == [7, 8, 9]


def test_a_series_keeps_the_wall_clock_over_the_change_to_summer_time(personas, jansen):
    series = visit_services.series_create(
        actor=personas.ana,
        client=jansen,
        weekdays=[5, 6, 0],
        window_start=datetime.time(8),
        window_end=datetime.time(9),
        expected_minutes=30,
        starts=datetime.date(2027, 3, 27),
    )
    created = visit_services.series_generate(series=series, until=datetime.date(2027, 3, 29))
    assert [v.window_start.astimezone(TZ).hour for v in created] == [8, 8, 8]
    assert [v.window_start.astimezone(datetime.UTC).hour for v in created] == [8, 7, 7]


def test_an_exception_after_generation_changes_the_visit_already_made(personas, jansen, mwf):
    visit_services.series_generate(series=mwf, until=datetime.date(2026, 12, 11))
    wednesday = Visit.objects.get(series_date=datetime.date(2026, 12, 9))
    visit_services.series_exception_add(
        actor=personas.ana, series=mwf, date=wednesday.series_date, cancelled=True, note="Away."
    )
    wednesday = reload(wednesday)
    assert (wednesday.status, wednesday.cancel_reason, wednesday.version) == (
        "cancelled",
        "Away.",
        2,
    )
    friday = Visit.objects.get(series_date=datetime.date(2026, 12, 11))
    visit_services.series_exception_add(
        actor=personas.ana,
        series=mwf,
        date=friday.series_date,
        window_start=datetime.time(14),
        window_end=datetime.time(15),
    )
    assert reload(friday).window_start == at("2026-12-11", "14:00")
    # Regenerating does not bring the cancelled Wednesday back.
    assert visit_services.series_generate(series=mwf, until=datetime.date(2026, 12, 11)) == []
    assert reload(wednesday).status == "cancelled"


def test_an_exception_for_a_visit_already_started_is_refused(personas, jansen, mwf):
    (monday, *_) = visit_services.series_generate(series=mwf, until=datetime.date(2026, 12, 7))
    visit_services.visit_start(
        actor=personas.ana, visit=monday, version=monday.version, reason="Came after the round"
    )
    with pytest.raises(ValidationError) as exc:
        visit_services.series_exception_add(
            actor=personas.ana, series=mwf, date=monday.series_date, cancelled=True
        )
    assert "date" in exc.value.message_dict
    assert not mwf.exceptions.exists()


def test_series_input_is_checked_field_by_field(personas, jansen, mwf):
    with pytest.raises(ValidationError) as exc:
        visit_services.series_create(
            actor=personas.ana,
            client=jansen,
            weekdays=[7, True],
            window_start=datetime.time(9),
            window_end=datetime.time(8),
            expected_minutes=30,
            starts=datetime.date(2026, 12, 10),
            ends=datetime.date(2026, 12, 1),
        )
    assert set(exc.value.message_dict) == {"weekdays", "window_end", "ends"}
    with pytest.raises(ValidationError) as exc:
        visit_services.series_exception_add(
            actor=personas.ana, series=mwf, date=datetime.date(2026, 12, 8), cancelled=True
        )
    assert "weekday" in exc.value.message_dict["date"][0]
    visit_services.series_exception_add(
        actor=personas.ana, series=mwf, date=datetime.date(2026, 12, 9), cancelled=True
    )
    with pytest.raises(ValidationError) as exc:
        visit_services.series_exception_add(
            actor=personas.ana, series=mwf, date=datetime.date(2026, 12, 9), cancelled=True
        )
    assert "date" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        visit_services.series_generate(series=mwf, until=datetime.date(2028, 1, 1))
    assert "until" in exc.value.message_dict


# --- a real race ------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "senders",
    [
        (("ana", "same"), ("ana", "same")),  # one phone sending its request twice
        (("ana", "same"), ("ben", "same")),  # a key is its sender's: two requests
        (("ana", "phone"), ("ben", "laptop")),
    ],
    ids=["one person's retry", "two people, one key", "two people, two keys"],
)
def test_two_concurrent_recordings_of_a_visit_debit_it_once(postgres, personas, now, senders):
    """Real threads on PostgreSQL: Ana's phone twice, or Ana's phone and Ben's laptop,
    record the same visit."""
    jansen = jansen_client(personas)
    BudgetFactory(
        client=jansen,
        kind=Budget.Kind.ISF,
        period=Budget.Period.WEEKLY,
        allocation=Decimal("300.00"),
        hourly_rate=Decimal("26.00"),
        starts=datetime.date(2026, 1, 5),
    )
    start = NOW - 3 * HOUR
    visit = plan(personas.ana, jansen, start)
    visit = visit_services.visit_start(
        actor=personas.ana, visit=visit, version=visit.version, at=start
    )
    barrier = threading.Barrier(2)
    results: list[object] = []

    def record(who, key):
        try:
            barrier.wait(timeout=10)
            results.append(
                visit_services.visit_finish(
                    actor=who,
                    visit=visit,
                    version=visit.version,
                    actual_start=start,
                    actual_end=start + datetime.timedelta(minutes=50),
                    idempotency_key=key,
                )
            )
        except Exception as exc:  # noqa: BLE001
            results.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=record, args=(getattr(personas, who), key)) for who, key in senders
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 2, results
    (debit,) = LedgerEntry.objects.filter(visit=visit)
    assert debit.amount == Decimal("-21.67")  # 50 minutes at £26.00: £21.666...
    recorded = [r for r in results if isinstance(r, Visit)]
    refused = [r for r in results if isinstance(r, ValidationError)]
    if senders[0] == senders[1]:
        assert len(recorded) == 2  # the retry got the first result
    else:
        assert (len(recorded), len(refused)) == (1, 1), results
        assert "already recorded" in refused[0].messages[0]
    assert reload(visit).status == "done"
    assert EventRecord.objects.filter(type="visit.finished").count() == 2  # one per stream
