"""The factories' defaults make rows the models accept, a visit's times follow from its
status, and the builders go through the services: a test that leans on a default
meets a valid record."""

from __future__ import annotations

import datetime

import pytest

from care.models import Visit
from tests.factories import (
    BudgetFactory,
    CarePlanFactory,
    ClientFactory,
    GrantFactory,
    LedgerEntryFactory,
    NetworkMemberFactory,
    OutcomeRatingFactory,
    PlanProblemFactory,
    VisitFactory,
    VisitSeriesFactory,
    adopted,
    note,
    proposal,
)
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

FACTORIES = [
    ClientFactory,
    NetworkMemberFactory,
    GrantFactory,
    CarePlanFactory,
    PlanProblemFactory,
    OutcomeRatingFactory,
    VisitFactory,
    VisitSeriesFactory,
    BudgetFactory,
    LedgerEntryFactory,
]


@pytest.mark.parametrize("factory", FACTORIES, ids=[f.__name__ for f in FACTORIES])
def test_a_factorys_defaults_make_a_row_its_model_accepts(factory):
    ensure_omaha_reference()
    factory().full_clean()


def test_a_visits_times_follow_from_its_status():
    start = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    done = VisitFactory(window_start=start, status=Visit.Status.DONE, late=5, minutes=40)
    assert done.window_end == start + datetime.timedelta(hours=1)
    assert (done.actual_start, done.actual_end) == (
        start + datetime.timedelta(minutes=5),
        start + datetime.timedelta(minutes=45),
    )
    going = VisitFactory(window_start=start, status=Visit.Status.IN_PROGRESS)
    assert (going.actual_start, going.actual_end) == (start, None)
    assert VisitFactory(status=Visit.Status.PLANNED).actual_start is None


def test_a_client_has_one_plan_and_the_client_grants_by_default(personas):
    ensure_omaha_reference()
    first = PlanProblemFactory()
    second = PlanProblemFactory(plan__client=first.plan.client, number=25)
    assert second.plan == first.plan
    client = ClientFactory(account=personas.mrs_jansen)
    assert GrantFactory(member__client=client).granted_by == personas.mrs_jansen


def test_the_builders_go_through_the_services(personas):
    raised = proposal(personas.ana, personas.noord)
    assert raised.responses.get().person == personas.ana  # raising is consenting
    assert adopted(raised).status == "adopted"
    written = note(personas.ana)
    assert written.body_html and written.versions.exists()
