"""Recording a visit honestly: a start far outside its window asks why, a colleague's
visit says who went, and what the plan asked for is recorded as Omaha interventions."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from care.models import (
    LedgerEntry,
    OmahaCategory,
    OmahaTarget,
    OutcomeRating,
    PlanIntervention,
    Visit,
    VisitIntervention,
)
from care.services import visits as visit_services
from coordination.events import EventRecord
from coordination.notifications.models import Notification
from teams.errors import KeyReused
from teams.models import AuditEntry
from tests.care.visit_helpers import NOW, at, intervention, jansen_client, plan
from tests.doors import api
from tests.factories import BudgetFactory, PlanProblemFactory

pytestmark = pytest.mark.django_db

DAY = "2026-12-07"  # NOW is 18:00 that Monday


@pytest.fixture
def w(personas):
    with time_machine.travel(NOW, tick=False):
        w = personas
        w.client = jansen_client(w)
        w.budget = BudgetFactory(client=w.client, hourly_rate=Decimal("24.00"))
        w.morning = plan(w.ana, w.client, at(DAY, "08:00"), 45, assignee=w.ana)
        w.tablets = intervention(w.client, w.ana)
        w.walk = PlanIntervention.objects.create(
            plan_problem=w.tablets.plan_problem,
            category=OmahaCategory.objects.order_by("number").last(),
            target=OmahaTarget.objects.order_by("number").last(),
            description="A walk to the corner and back.",
            frequency="daily",
        )
        w.morning.interventions.add(w.tablets, w.walk)
        yield w


def reload(visit: Visit) -> Visit:
    return Visit.objects.get(pk=visit.pk)


def record(w, actor, visit, **more):
    fields = {"actual_start": at(DAY, "08:05"), "actual_end": at(DAY, "08:50")} | more
    return visit_services.visit_record(actor=actor, visit=visit, version=visit.version, **fields)


def test_a_start_far_outside_the_window_asks_why_and_keeps_the_answer(w):
    with pytest.raises(ValidationError) as refused:
        visit_services.visit_start(actor=w.ana, visit=w.morning, version=w.morning.version)
    (message,) = refused.value.message_dict["reason"]
    assert message == (
        "This visit's window begins at 08:00 on Mon 7 Dec; starting it at 18:00 on Mon 7 Dec"
        " needs a reason (or record the real times)."
    )
    assert reload(w.morning).status == "assigned"
    visit = visit_services.visit_start(
        actor=w.ana, visit=w.morning, version=w.morning.version, reason="Phoned: come tonight"
    )
    assert reload(visit).start_note == "Phoned: come tonight"
    (event,) = EventRecord.objects.filter(type="visit.started", stream=w.noord.stream)
    assert "start_note" not in event.data  # free text stays out of the event
    audit = AuditEntry.objects.filter(action="visit.started").latest("id")
    assert audit.data["start_note"] == "Phoned: come tonight"


def test_starting_within_two_hours_of_the_window_needs_no_reason(w):
    late = plan(w.ana, w.client, at(DAY, "15:30"), 30, assignee=w.ana)  # ends 16:30
    visit = visit_services.visit_start(actor=w.ana, visit=late, version=late.version)
    assert visit.status == "in_progress" and visit.start_note == ""


def test_recording_the_real_times_afterwards_needs_no_reason_and_debits_them(w):
    visit = record(w, w.ana, w.morning)
    assert (visit.actual_start, visit.actual_end) == (at(DAY, "08:05"), at(DAY, "08:50"))
    (debit,) = LedgerEntry.objects.filter(visit=visit)
    assert debit.amount == Decimal("-18.00")  # 45 minutes at 24.00 an hour


def test_a_colleague_s_visit_says_who_went(w):
    with pytest.raises(ValidationError) as refused:
        record(w, w.ben, w.morning)
    assert refused.value.message_dict["went"] == [
        "This is Ana de Vries's visit: say whether you went instead (you take it) or"
        " Ana de Vries went and you record it for them."
    ]
    assert reload(w.morning).status == "assigned" and not LedgerEntry.objects.exists()


def test_who_went_instead_takes_the_visit(w):
    visit = record(w, w.ben, w.morning, went="me")
    assert (visit.assignee, visit.finished_by, visit.status) == (w.ben, w.ben, "done")
    started = EventRecord.objects.get(type="visit.started", stream=w.noord.stream)
    assert started.data["assignee"] == w.ben.pk
    assert started.data["taken_from"] == w.ana.pk
    # Ana is told, so she does not set out for it too; Ben (who did it) is not.
    told = Notification.objects.get(person=w.ana, kind=Notification.Kind.VISIT_TAKEN)
    assert told.text.startswith("Ben Mulder went to your visit at 08:00 on")
    assert told.text.endswith("and took it over")
    assert not Notification.objects.filter(person=w.ben, kind=Notification.Kind.VISIT_TAKEN)


def test_recording_for_the_colleague_who_went_keeps_it_hers(w):
    visit = record(w, w.ben, w.morning, went="holder")
    assert (visit.assignee, visit.finished_by) == (w.ana, w.ben)
    started = EventRecord.objects.get(type="visit.started", stream=w.noord.stream)
    assert "taken_from" not in started.data
    assert not Notification.objects.filter(kind=Notification.Kind.VISIT_TAKEN).exists()


def test_what_the_plan_asked_is_recorded_done_or_not_done(w):
    visit = record(w, w.ana, w.morning, interventions={w.tablets.pk: True, w.walk.pk: False})
    rows = list(VisitIntervention.objects.filter(visit=visit).order_by("intervention_id"))
    assert [(r.intervention, r.done) for r in rows] == [(w.tablets, True), (w.walk, False)]
    assert (rows[0].category, rows[0].target) == (w.tablets.category, w.tablets.target)


def test_a_line_of_another_plan_is_refused_and_nothing_is_recorded(w):
    stranger = PlanProblemFactory(added_by=w.ana)  # another client's plan
    elsewhere = PlanIntervention.objects.create(
        plan_problem=stranger,
        category=w.tablets.category,
        target=w.tablets.target,
        description="Someone else's.",
        frequency="daily",
    )
    with pytest.raises(ValidationError) as refused:
        record(w, w.ana, w.morning, interventions={w.tablets.pk: True, elsewhere.pk: True})
    assert "interventions" in refused.value.message_dict
    assert reload(w.morning).status == "assigned"
    assert not VisitIntervention.objects.exists() and not LedgerEntry.objects.exists()


@pytest.mark.parametrize("bad", [{"7": True}, {1: "yes"}, [1, 2], "all"])
def test_a_malformed_answer_about_the_plan_is_refused_by_name(w, bad):
    with pytest.raises(ValidationError) as refused:
        record(w, w.ana, w.morning, interventions=bad)
    assert refused.value.message_dict["interventions"]


def test_a_retried_recording_records_the_interventions_once(w):
    done = {w.tablets.pk: True}
    first = record(w, w.ana, w.morning, interventions=done, idempotency_key="k1")
    again = visit_services.visit_record(
        actor=w.ana,
        visit=first,
        version=w.morning.version,
        actual_start=at(DAY, "08:05"),
        actual_end=at(DAY, "08:50"),
        interventions=done,
        idempotency_key="k1",
    )
    assert again.pk == first.pk and VisitIntervention.objects.count() == 1
    assert LedgerEntry.objects.filter(visit=first).count() == 1


def test_the_api_records_the_plan_and_who_went(w):
    url = f"/api/v1/visits/{w.morning.pk}/record"
    body = {
        "actual_start": at(DAY, "08:05").isoformat(),
        "actual_end": at(DAY, "08:50").isoformat(),
        "went": "me",
        "interventions": [
            {"intervention": w.tablets.pk, "done": True},
            {"intervention": w.walk.pk, "done": False},
        ],
    }
    with time_machine.travel(NOW, tick=False):
        twice = {**body, "interventions": [body["interventions"][0]] * 2}
        response = api(w.ben).post(url, twice, format="json", headers={"If-Match": "1"})
        assert response.status_code == 400
        assert response.json()["extra"]["fields"]["interventions"] == ["Each intervention once."]
        response = api(w.ben).post(url, body, format="json", headers={"If-Match": "1"})
    assert response.status_code == 200, response.json()
    assert reload(w.morning).assignee == w.ben
    assert VisitIntervention.objects.filter(visit=w.morning, done=True).count() == 1


def test_the_api_asks_why_a_start_is_far_from_its_window(w):
    url = f"/api/v1/visits/{w.morning.pk}/start"
    with time_machine.travel(NOW, tick=False):
        response = api(w.ana).post(url, {}, format="json", headers={"If-Match": "1"})
        assert response.status_code == 400 and "reason" in response.json()["extra"]["fields"]
        sent = {"reason": "The family asked for the evening"}
        response = api(w.ana).post(url, sent, format="json", headers={"If-Match": "1"})
    assert response.status_code == 200 and reload(w.morning).start_note == sent["reason"]


def test_a_retry_under_the_same_key_with_other_ticks_is_refused(w):
    first = record(w, w.ana, w.morning, interventions={w.tablets.pk: True}, idempotency_key="k2")
    with pytest.raises(KeyReused):
        visit_services.visit_record(
            actor=w.ana,
            visit=first,
            version=w.morning.version,
            actual_start=at(DAY, "08:05"),
            actual_end=at(DAY, "08:50"),
            interventions={w.tablets.pk: False},
            idempotency_key="k2",
        )
    assert list(VisitIntervention.objects.values_list("done", flat=True)) == [True]


def test_announced_lateness_is_reason_enough_to_start_late(w):
    with time_machine.travel(at(DAY, "09:30"), tick=False):
        late = visit_services.visit_running_late(
            actor=w.ana, visit=w.morning, version=w.morning.version, until=at(DAY, "12:00")
        )
    with time_machine.travel(at(DAY, "12:10"), tick=False):
        started = visit_services.visit_start(actor=w.ana, visit=late, version=late.version)
    assert started.status == "in_progress" and started.start_note == ""


# --- re-rating the plan's problems with the recording ------------------------------------------

KBS = {"knowledge": 3, "behavior": 4, "status": 2}


def test_a_re_rating_is_recorded_with_the_visit_once_whatever_the_retries(w):
    problem = w.tablets.plan_problem
    ratings = [{"problem": problem.pk, **KBS}]
    first = record(w, w.ana, w.morning, ratings=ratings, idempotency_key="r1")
    again = visit_services.visit_record(
        actor=w.ana,
        visit=w.morning,  # as the retry saw it: not yet recorded
        version=w.morning.version,
        actual_start=at(DAY, "08:05"),
        actual_end=at(DAY, "08:50"),
        ratings=ratings,
        idempotency_key="r1",
    )
    assert again.pk == first.pk and reload(first).status == "done"
    (rating,) = OutcomeRating.objects.filter(plan_problem=problem)
    assert (rating.knowledge, rating.behavior, rating.status) == (3, 4, 2)
    assert rating.rated_by == w.ana and str(rating.rated_on) == DAY
    assert EventRecord.objects.filter(type="plan.rated", stream=w.noord.stream).count() == 1


@pytest.mark.parametrize(
    ("scales", "refused_at", "message"),
    [
        ({"knowledge": 3}, ["behavior", "status"], "Rate all three, or none."),
        ({**KBS, "status": 6}, ["status"], "A rating from 1 to 5."),
        ({**KBS, "knowledge": 0}, ["knowledge"], "A rating from 1 to 5."),
        ({**KBS, "behavior": "4"}, ["behavior"], "A rating from 1 to 5."),
    ],
)
def test_a_partial_or_out_of_range_re_rating_refuses_the_whole_recording(
    w, scales, refused_at, message
):
    problem = w.tablets.plan_problem.pk
    with pytest.raises(ValidationError) as refused:
        record(w, w.ana, w.morning, ratings=[{"problem": problem, **scales}])
    errors = refused.value.message_dict
    assert {name: errors[name] for name in errors} == {
        f"rating-{problem}-{scale}": [message] for scale in refused_at
    }
    assert reload(w.morning).status == "assigned"
    assert not OutcomeRating.objects.exists() and not LedgerEntry.objects.exists()


def test_a_problem_of_another_plan_or_twice_is_refused(w):
    elsewhere = PlanProblemFactory(added_by=w.cas)
    with pytest.raises(ValidationError) as refused:
        record(w, w.ana, w.morning, ratings=[{"problem": elsewhere.pk, **KBS}])
    assert refused.value.message_dict == {
        f"rating-{elsewhere.pk}": ["Not a problem of this client's care plan."]
    }
    twice = [{"problem": w.tablets.plan_problem.pk, **KBS}] * 2
    with pytest.raises(ValidationError) as refused:
        record(w, w.ana, w.morning, ratings=twice)
    assert refused.value.message_dict == {"ratings": ["Each problem once."]}
    assert reload(w.morning).status == "assigned" and not OutcomeRating.objects.exists()


def lent_evening(w):
    """Ana's 19:00 visit (for the tablets), lent to Cas of Zuid: the visit and the grant."""
    with time_machine.travel(at(DAY, "07:00"), tick=False):
        evening = plan(w.ana, w.client, at(DAY, "19:00"), 30)
        evening.interventions.add(w.tablets)
        grant = visit_services.visit_lend(
            actor=w.ana,
            visit=evening,
            helper=w.cas,
            version=evening.version,
            expires_at=at(DAY, "22:00"),
            reason="help request 1",
        )
    return evening, grant


def test_a_helper_from_another_team_may_not_re_rate(w):
    evening, _grant = lent_evening(w)
    ratings = [{"problem": w.tablets.plan_problem.pk, **KBS}]
    times = {"actual_start": at(DAY, "19:00"), "actual_end": at(DAY, "19:30")}
    with time_machine.travel(at(DAY, "19:40"), tick=False):
        with pytest.raises(PermissionDenied):
            record(w, w.cas, reload(evening), ratings=ratings, **times)
        assert reload(evening).status == "assigned" and not OutcomeRating.objects.exists()
        assert record(w, w.cas, reload(evening), **times).status == "done"  # theirs to record


def test_the_api_records_re_ratings_and_names_a_refused_scale(w):
    url = f"/api/v1/visits/{w.morning.pk}/record"
    problem = w.tablets.plan_problem.pk
    body = {
        "actual_start": at(DAY, "08:05").isoformat(),
        "actual_end": at(DAY, "08:50").isoformat(),
        "ratings": [{"problem": problem, "knowledge": 3}],
    }
    headers = {"If-Match": "1", "Idempotency-Key": "api-r1"}
    with time_machine.travel(NOW, tick=False):
        response = api(w.ana).post(url, body, format="json", headers=headers)
        assert response.status_code == 400
        fields = response.json()["extra"]["fields"]
        assert fields[f"rating-{problem}-status"] == ["Rate all three, or none."]
        body["ratings"] = [{"problem": problem, **KBS}]
        headers["Idempotency-Key"] = "api-r2"
        response = api(w.ana).post(url, body, format="json", headers=headers)
        assert response.status_code == 200, response.json()
        again = api(w.ana).post(url, body, format="json", headers=headers)
    assert again.status_code == 200
    assert OutcomeRating.objects.filter(plan_problem=problem).count() == 1


def test_taking_a_lent_visit_back_ends_the_helpers_access_and_tells_them(w):
    evening, grant = lent_evening(w)
    assert reload(evening).assignee == w.cas
    # Ben went instead: starting it, not yet done, already ends Cas's access.
    with time_machine.travel(at(DAY, "19:05"), tick=False):
        lent = reload(evening)
        started = visit_services.visit_start(
            actor=w.ben, visit=lent, version=lent.version, went="me"
        )
    assert (started.assignee, started.status) == (w.ben, "in_progress")
    grant.refresh_from_db()
    assert grant.ended_at is not None
    assert Notification.objects.filter(person=w.cas, kind=Notification.Kind.VISIT_TAKEN).exists()
