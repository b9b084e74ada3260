"""Omaha care plans: coded problems, interventions, ratings; conflicts and bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from care.models import OmahaSign, OutcomeRating, PlanProblem
from care.services import clients as client_services
from care.services import plans
from teams.errors import Conflict

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(personas):
    return client_services.client_create(
        actor=personas.ana, team=personas.noord, first_name="Wilma", last_name="Jansen"
    )


def pain_signs(*texts):
    return list(
        OmahaSign.objects.filter(problem__number=22, text__in=texts).values_list("pk", flat=True)
    )


def test_a_plan_with_a_coded_problem_intervention_and_ratings(personas, client):
    signs = pain_signs("expresses discomfort/pain", "other")
    entry = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=22,
        scope="individual",
        severity="actual",
        signs=signs,
    )
    assert entry.problem.name == "Pain" and entry.signs.count() == len(signs) > 0
    plans.plan_add_intervention(
        actor=personas.ben,
        plan_problem=entry,
        version=2,
        category=2,
        target=38,
        description="Check pain relief is taken as prescribed",
        frequency="daily",
    )
    plans.plan_rate(actor=personas.ana, plan_problem=entry, knowledge=2, behavior=3, status=2)
    plans.plan_rate(actor=personas.ben, plan_problem=entry, knowledge=4, behavior=4, status=3)
    assert list(entry.ratings.values_list("knowledge", "behavior", "status")) == [
        (2, 3, 2),
        (4, 4, 3),
    ]
    entry.plan.refresh_from_db()
    assert entry.plan.version == 5


def test_a_stale_plan_edit_is_409_with_the_current_plan(personas, client):
    plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=6,
        scope="individual",
        severity="potential",
    )
    with pytest.raises(Conflict) as err:
        plans.plan_add_problem(
            actor=personas.ben,
            client=client,
            version=1,
            problem=35,
            scope="individual",
            severity="potential",
        )
    assert err.value.current["version"] == 2
    assert [p["problem"] for p in err.value.current["problems"]] == [6]
    assert PlanProblem.objects.count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"problem": 43}, "problem"),
        ({"problem": 0}, "problem"),
        ({"scope": "street"}, "scope"),
        ({"severity": "bad"}, "severity"),
        ({"severity": "actual"}, "signs"),
    ],
)
def test_unknown_codes_are_refused_by_field(personas, client, fields, field):
    args = {"problem": 22, "scope": "individual", "severity": "potential"} | fields
    with pytest.raises(ValidationError) as err:
        plans.plan_add_problem(actor=personas.ana, client=client, version=1, **args)
    assert field in err.value.message_dict
    assert not PlanProblem.objects.exists()


def test_signs_must_belong_to_the_problem(personas, client):
    wrong = list(OmahaSign.objects.filter(problem__number=1).values_list("pk", flat=True)[:1])
    with pytest.raises(ValidationError) as err:
        plans.plan_add_problem(
            actor=personas.ana,
            client=client,
            version=1,
            problem=22,
            scope="individual",
            severity="actual",
            signs=wrong,
        )
    assert "signs" in err.value.message_dict


@pytest.mark.parametrize(
    "k, b, s, field", [(0, 3, 3, "knowledge"), (3, 6, 3, "behavior"), (3, 3, "5", "status")]
)
def test_ratings_outside_one_to_five_are_refused(personas, client, k, b, s, field):
    entry = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=6,
        scope="individual",
        severity="potential",
    )
    with pytest.raises(ValidationError) as err:
        plans.plan_rate(actor=personas.ana, plan_problem=entry, knowledge=k, behavior=b, status=s)
    assert set(err.value.message_dict) == {field}
    assert not OutcomeRating.objects.exists()


def test_unknown_intervention_codes_are_refused(personas, client):
    entry = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=6,
        scope="individual",
        severity="potential",
    )
    with pytest.raises(ValidationError) as err:
        plans.plan_add_intervention(
            actor=personas.ana,
            plan_problem=entry,
            version=2,
            category=5,
            target=77,
            description="",
            frequency="weekly",
        )
    assert set(err.value.message_dict) == {"category", "target", "description"}


@pytest.mark.parametrize("who", ["cas", "coach", "inspector", "mrs_jansen", "daughter"])
def test_only_the_care_team_keeps_the_plan(personas, client, who):
    with pytest.raises(PermissionDenied):
        plans.plan_add_problem(
            actor=getattr(personas, who),
            client=client,
            version=1,
            problem=6,
            scope="individual",
            severity="potential",
        )
    assert not PlanProblem.objects.exists()
