"""The visits and budget API: who reaches what; a retried recording debits once."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine

from care.models import Budget, LedgerEntry, PlanIntervention, Visit, VisitSeries
from care.services import budgets as budget_services
from care.services import visits as visit_services
from tests.care.visit_helpers import NOW, at, intervention, jansen_client, plan
from tests.doors import api
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        personas.client = jansen_client(personas)
        personas.budget = budget_services.budget_create(
            actor=personas.ana,
            client=personas.client,
            kind="direct_payment",
            period="four_weekly",
            allocation=Decimal("480.00"),
            hourly_rate=Decimal("24.00"),
            starts=datetime.date(2026, 11, 30),
        )
        personas.visit = plan(personas.ana, personas.client, at("2026-12-07", "08:00"))
    yield personas


SERIES = {
    "weekdays": [0, 3],
    "window_start": "08:00",
    "window_end": "09:00",
    "expected_minutes": 45,
    "starts": "2026-12-08",
    "tasks": "Help with washing.",
}


def endpoints(w):
    c, v, b = w.client.pk, w.visit.pk, w.budget.pk
    return [
        ("get", f"/api/v1/clients/{c}/visits", None),
        (
            "post",
            f"/api/v1/clients/{c}/visits",
            {
                "window_start": "2026-12-08T08:00:00Z",
                "window_end": "2026-12-08T09:00:00Z",
                "expected_minutes": 30,
            },
        ),
        ("post", f"/api/v1/visits/{v}/assign", {"person": w.ana.pk, "version": 1}),
        ("post", f"/api/v1/visits/{v}/start", {"version": 1}),
        ("post", f"/api/v1/visits/{v}/finish", {"version": 1}),
        (
            "post",
            f"/api/v1/visits/{v}/record",
            {"version": 1, "actual_start": "2026-12-07T08:00:00Z"},
        ),
        ("post", f"/api/v1/visits/{v}/cancel", {"version": 1}),
        ("post", f"/api/v1/clients/{c}/series", SERIES),
        ("get", f"/api/v1/clients/{c}/budget", None),
        (
            "post",
            f"/api/v1/clients/{c}/budget",
            {
                "kind": "isf",
                "period": "weekly",
                "allocation": "100.00",
                "hourly_rate": "20.00",
                "starts": "2026-12-07",
            },
        ),
        (
            "post",
            f"/api/v1/budgets/{b}/entries",
            {"kind": "purchase", "amount": "-10.00", "reason": "taxi"},
        ),
    ]


def state():
    return (
        list(Visit.objects.values_list("status", "assignee", "version")),
        VisitSeries.objects.count(),
        LedgerEntry.objects.count(),
        Budget.objects.count(),
    )


@pytest.mark.parametrize("who", ["cas", "coach", "inspector"])
def test_outsiders_reach_nothing(world, who):
    before = state()
    with time_machine.travel(NOW, tick=False):
        for method, path, body in endpoints(world):
            response = getattr(api(getattr(world, who)), method)(path, body, format="json")
            assert response.status_code == 404, (who, method, path)
    assert state() == before


def test_family_with_visits_and_budget_scopes_reads_but_never_writes(world):
    before = state()
    daughter = api(world.daughter)
    with time_machine.travel(NOW, tick=False):
        assert daughter.get(f"/api/v1/clients/{world.client.pk}/visits").status_code == 200
        statement = daughter.get(f"/api/v1/clients/{world.client.pk}/budget")
        assert statement.status_code == 200
        assert statement.json()["allocated"] == "480.00"
        assert "£" in statement.json()["in_words"]
        for method, path, body in endpoints(world):
            if method == "post":
                assert getattr(daughter, method)(path, body, format="json").status_code in (
                    403,
                    404,
                )
    assert state() == before


def test_a_retried_recording_debits_exactly_once(world):
    client = api(world.ana)
    url = f"/api/v1/visits/{world.visit.pk}/finish"
    body = {
        "actual_start": "2026-12-07T08:05:00Z",
        "actual_end": "2026-12-07T08:50:00Z",
        "note": "ok",
    }
    with time_machine.travel(NOW, tick=False):
        started = client.post(
            f"/api/v1/visits/{world.visit.pk}/start",
            {"reason": "Recorded in the evening"},
            format="json",
            headers={"If-Match": "1"},
        )
        assert started.status_code == 200, started.json()
        first = client.post(
            url, body, format="json", headers={"If-Match": '"2"', "Idempotency-Key": "k-1"}
        )
        again = client.post(
            url, body, format="json", headers={"If-Match": '"2"', "Idempotency-Key": "k-1"}
        )
    assert first.status_code == 200, first.json()
    assert again.status_code == 200 and again.json() == first.json()
    debits = LedgerEntry.objects.filter(kind="visit_debit")
    assert debits.count() == 1
    assert debits.get().amount == Decimal("-18.00")  # 45 minutes at £24.00 an hour


def test_a_stale_version_is_409_and_a_visit_that_ends_first_is_400(world):
    client = api(world.ana)
    with time_machine.travel(NOW, tick=False):
        client.post(
            f"/api/v1/visits/{world.visit.pk}/assign",
            {"person": world.ben.pk},
            format="json",
            headers={"If-Match": "1"},
        )
        stale = client.post(
            f"/api/v1/visits/{world.visit.pk}/assign",
            {"person": world.ana.pk},
            format="json",
            headers={"If-Match": "1"},
        )
        backwards = client.post(
            f"/api/v1/clients/{world.client.pk}/visits",
            {
                "window_start": "2026-12-08T09:00:00Z",
                "window_end": "2026-12-08T08:00:00Z",
                "expected_minutes": 30,
            },
            format="json",
        )
    assert stale.status_code == 409
    assert stale.json()["extra"]["current"]["assignee"] == world.ben.pk
    assert backwards.status_code == 400
    assert "window_end" in backwards.json()["extra"]["fields"]


def test_a_negative_allocation_is_400_naming_the_field(world):
    response = api(world.ana).post(
        f"/api/v1/clients/{world.client.pk}/budget",
        {
            "kind": "isf",
            "period": "weekly",
            "allocation": "-1.00",
            "hourly_rate": "20.00",
            "starts": "2026-12-07",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "allocation" in response.json()["extra"]["fields"]
    assert Budget.objects.count() == 1


# --- the ledger's own keys: one person's, one request's --------------------------------------


def entry(world, person, body: dict, key: str):
    return api(person).post(
        f"/api/v1/budgets/{world.budget.pk}/entries",
        body,
        format="json",
        headers={"Idempotency-Key": key},
    )


TAXI = {"kind": "purchase", "amount": "-10.00", "reason": "Taxi to the GP."}


def test_two_people_sending_the_same_key_each_add_their_entry(world):
    with time_machine.travel(NOW, tick=False):
        anas = entry(world, world.ana, TAXI, "shared-key")
        bens = entry(world, world.ben, TAXI | {"amount": "-4.20", "reason": "Bus."}, "shared-key")
    assert (anas.status_code, bens.status_code) == (201, 201)
    assert bens.json()["id"] != anas.json()["id"]
    assert bens.json()["amount"] == "-4.20"
    assert LedgerEntry.objects.filter(budget=world.budget).count() == 2


def test_a_used_key_with_another_entry_is_a_422_after_the_key_layer_forgot_it(world):
    """The wiring's own key store answers for a day; past that, the ledger still
    refuses a different entry under the key, naming it, and adds nothing."""
    with time_machine.travel(NOW, tick=False):
        assert entry(world, world.ana, TAXI, "k-1").status_code == 201
    with time_machine.travel(NOW + datetime.timedelta(hours=25), tick=False):
        response = entry(world, world.ana, TAXI | {"amount": "-15.00"}, "k-1")
    assert response.status_code == 422
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert "already used for a different entry" in body["extra"]["fields"]["idempotency_key"][0]
    assert LedgerEntry.objects.filter(budget=world.budget).count() == 1


# --- one visit resource: every write answers one shape, with its version -----------------


def test_every_write_to_a_visit_answers_the_boards_shape_with_an_etag(world):
    """Take it, assign it, start it, record it: one representation (the board's, which
    the team's phones already hold) and the version in an ETag, whichever door."""
    client = api(world.ana)
    url = f"/api/v1/visits/{world.visit.pk}"
    with time_machine.travel(NOW, tick=False):
        answers = [
            client.post(f"{url}/claim", headers={"If-Match": "1"}),
            client.post(
                f"{url}/assign", {"person": world.ben.pk}, format="json", headers={"If-Match": "2"}
            ),
            client.post(
                f"{url}/start",
                {"went": "holder", "reason": "Ben went; recorded for him"},
                format="json",
                headers={"If-Match": "3"},
            ),
            client.post(
                f"{url}/finish",
                {"actual_start": "2026-12-07T17:00:00Z"},
                format="json",
                headers={"If-Match": "4"},
            ),
        ]
    assert [a.status_code for a in answers] == [200, 200, 200, 200], [a.json() for a in answers]
    keys = {frozenset(a.json()) for a in answers}
    assert len(keys) == 1 and {"tasks", "client_name", "offers", "late"} <= next(iter(keys))
    assert [a["ETag"] for a in answers] == ['"2"', '"3"', '"4"', '"5"']
    assert [a.json()["status"] for a in answers] == ["assigned", "assigned", "in_progress", "done"]


def test_a_visit_is_recorded_afterwards_with_its_real_times_in_one_step(world):
    client = api(world.ana)
    url = f"/api/v1/visits/{world.visit.pk}/record"
    body = {"actual_start": "2026-12-07T08:05:00Z", "actual_end": "2026-12-07T08:50:00Z"}
    with time_machine.travel(NOW, tick=False):
        first = client.post(
            url, body, format="json", headers={"If-Match": "1", "Idempotency-Key": "r-1"}
        )
        again = client.post(
            url, body, format="json", headers={"If-Match": "1", "Idempotency-Key": "r-1"}
        )
    assert first.status_code == 200, first.json()
    assert first.json()["status"] == "done"
    assert first.json()["actual_start"] == "2026-12-07T08:05:00Z"
    assert again.status_code == 200 and again.json() == first.json()
    debits = LedgerEntry.objects.filter(kind="visit_debit")
    assert debits.count() == 1 and debits.get().amount == Decimal("-18.00")


def test_recording_a_visit_never_started_needs_its_start_and_changes_nothing_without(world):
    before = state()
    with time_machine.travel(NOW, tick=False):
        response = api(world.ana).post(
            f"/api/v1/visits/{world.visit.pk}/record",
            {"actual_start": None, "actual_end": "2026-12-07T08:50:00Z"},
            format="json",
            headers={"If-Match": "1"},
        )
        stale = api(world.ana).post(
            f"/api/v1/visits/{world.visit.pk}/record",
            {"actual_start": "2026-12-07T08:05:00Z"},
            format="json",
            headers={"If-Match": "7"},
        )
    assert response.status_code == 400 and "actual_start" in response.json()["extra"]["fields"]
    assert stale.status_code == 409 and stale.json()["extra"]["current"]["version"] == 1
    assert state() == before


def test_a_series_starts_with_its_next_four_weeks_planned_at_once(world):
    with time_machine.travel(NOW, tick=False):
        response = api(world.ana).post(
            f"/api/v1/clients/{world.client.pk}/series", SERIES, format="json"
        )
    assert response.status_code == 201, response.json()
    series = VisitSeries.objects.get(pk=response.json()["series"]["id"])
    visits = response.json()["visits"]
    # Mondays and Thursdays from 8 December through 4 January: eight visits.
    assert len(visits) == 8 == series.visits.count()
    assert {v["tasks"] for v in visits} == {"Help with washing."}
    assert response.json()["series"]["weekdays"] == [0, 3]


def test_a_series_that_cannot_start_plans_nothing(world):
    before = state()
    with time_machine.travel(NOW, tick=False):
        response = api(world.ana).post(
            f"/api/v1/clients/{world.client.pk}/series",
            SERIES | {"window_end": "07:00"},
            format="json",
        )
    assert response.status_code == 400 and response.json()["extra"]["fields"]
    assert state() == before


# --- limits: the model's at every door ----------------------------------------------------


def test_a_visit_planned_alone_takes_the_tasks_a_series_gives_its_visits(world):
    # The API refused a visit's tasks past 2,000 characters, while the service (and a
    # series, whose visits carry its tasks) took 5,000: the model's 5,000 won.
    url = f"/api/v1/clients/{world.client.pk}/visits"
    body = {
        "window_start": "2026-12-08T08:00:00Z",
        "window_end": "2026-12-08T09:00:00Z",
        "expected_minutes": 30,
    }
    with time_machine.travel(NOW, tick=False):
        taken = api(world.ana).post(url, body | {"tasks": "x" * 5000}, format="json")
        refused = api(world.ana).post(url, body | {"tasks": "x" * 5001}, format="json")
    assert taken.status_code == 201, taken.content
    assert Visit.objects.get(pk=taken.json()["id"]).tasks == "x" * 5000
    assert refused.status_code == 400
    assert refused.json()["extra"]["fields"] == {
        "tasks": ["At most 5,000 characters (this has 5,001)."]
    }


def test_a_ledger_entry_takes_the_reason_the_page_takes(world):
    # The API refused a reason past 500 characters, while the service behind the page
    # took 2,000, and entries may hold that many already: the 2,000 won.
    with time_machine.travel(NOW, tick=False):
        taken = entry(world, world.ana, TAXI | {"reason": "x" * 2000}, "long-1")
        refused = entry(world, world.ana, TAXI | {"reason": "x" * 2001}, "long-2")
    assert taken.status_code == 201, taken.content
    assert refused.status_code == 400
    assert refused.json()["extra"]["fields"] == {
        "reason": ["At most 2,000 characters (this has 2,001)."]
    }
    assert LedgerEntry.objects.filter(budget=world.budget).count() == 1


# --- what a visit is for: the plan's interventions ------------------------------------------------


def test_a_series_carries_its_interventions_to_every_visit_it_plans(world):
    tablets = intervention(world.client, world.ana)
    walk = PlanIntervention.objects.create(
        plan_problem=tablets.plan_problem,
        category=tablets.category,
        target=tablets.target,
        description="A walk to the corner and back.",
        frequency="daily",
    )
    with time_machine.travel(NOW, tick=False):
        response = api(world.ana).post(
            f"/api/v1/clients/{world.client.pk}/series",
            SERIES | {"interventions": [tablets.pk, walk.pk]},
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["series"]["interventions"] == [tablets.pk, walk.pk]
        series = VisitSeries.objects.get(pk=response.json()["series"]["id"])
        assert series.visits.count() == 8
        for visit in series.visits.all():
            assert set(visit.interventions.values_list("pk", flat=True)) == {tablets.pk, walk.pk}
        # A line the plan no longer has is not carried to the visits planned later.
        walk.active = False
        walk.save()
        later = visit_services.series_generate(
            series=series, until=NOW.date() + datetime.timedelta(weeks=6)
        )
    assert later and all(list(v.interventions.all()) == [tablets] for v in later)


def test_a_visit_or_series_for_another_client_s_line_is_refused(world):
    elsewhere = intervention(ClientFactory(team=world.noord), world.ana)
    c = world.client.pk
    visit = {
        "window_start": "2026-12-08T08:00:00Z",
        "window_end": "2026-12-08T09:00:00Z",
        "expected_minutes": 30,
    }
    before = state()
    with time_machine.travel(NOW, tick=False):
        for url, body in (
            (f"/api/v1/clients/{c}/visits", visit),
            (f"/api/v1/clients/{c}/series", SERIES),
        ):
            response = api(world.ana).post(
                url, body | {"interventions": [elsewhere.pk]}, format="json"
            )
            assert response.status_code == 400
            assert response.json()["extra"]["fields"]["interventions"] == [
                "Only active interventions of this client's care plan."
            ]
    assert state() == before


def test_a_visit_planned_through_the_api_is_for_the_lines_it_names(world):
    tablets = intervention(world.client, world.ana)
    body = {
        "window_start": "2026-12-08T08:00:00Z",
        "window_end": "2026-12-08T09:00:00Z",
        "expected_minutes": 30,
        "interventions": [tablets.pk],
    }
    with time_machine.travel(NOW, tick=False):
        response = api(world.ana).post(
            f"/api/v1/clients/{world.client.pk}/visits", body, format="json"
        )
    assert response.status_code == 201, response.json()
    assert list(Visit.objects.get(pk=response.json()["id"]).interventions.all()) == [tablets]
