"""factory_boy factories and the shared personas of DESIGN.md; builders for what only a
service makes valid."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from care.models import (
    Budget,
    CarePlan,
    Client,
    Grant,
    LedgerEntry,
    NetworkMember,
    OmahaProblem,
    OutcomeRating,
    PlanProblem,
    Visit,
    VisitSeries,
)
from coordination.practice.models import Note
from coordination.practice.services import note_publish
from teams.models import Membership, Person, Proposal, Team
from teams.services.credentials import token_create
from teams.services.effects import roles_ensure_standard
from teams.services.proposals import SETTLE, proposal_raise, proposals_close_due

PASSWORD = "correct horse battery staple"


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda p: f"{p.username}@kith.test")
    kind = Person.Kind.MEMBER
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ["slug"]
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    town = "Deventer"
    patch = "Keizerslanden"
    postcodes = "7413"

    @factory.post_generation
    def standard_roles(team, create, extracted, **kwargs):
        if create:
            roles_ensure_standard(team)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    person = factory.SubFactory(PersonFactory)
    joined = datetime.date(2024, 1, 8)


def member(username: str, team: Team, **fields) -> Person:
    person = PersonFactory(username=username, **fields)
    MembershipFactory(team=team, person=person)
    return person


def api_token(person: Person, name: str = "tests", **kwargs) -> str:
    """A new API token of ``person`` (the token itself, as the API shows it once)."""
    _token, raw = token_create(actor=person, name=name, **kwargs)
    return raw


# --- a client's record ----------------------------------------------------------------------
#
# Rows written directly, for tests that need a state (last month's delivered visits, a
# budget from March) rather than the steps that lead to it; tests of the steps go
# through the services (tests.care.jansen, tests.care.visit_helpers).


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    team = factory.SubFactory(TeamFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")


class NetworkMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NetworkMember

    client = factory.SubFactory(ClientFactory)
    circle = NetworkMember.Circle.INFORMAL
    relationship = "daughter"
    name = factory.Faker("name")


class GrantFactory(factory.django.DjangoModelFactory):
    """A scope of the record shared with a network member, granted by the client."""

    class Meta:
        model = Grant

    member = factory.SubFactory(NetworkMemberFactory)
    scope = Grant.Scope.VISITS
    granted_by = factory.LazyAttribute(lambda g: g.member.client.account or PersonFactory())


class CarePlanFactory(factory.django.DjangoModelFactory):
    """A client's plan: there is one per client, so asking again returns it."""

    class Meta:
        model = CarePlan
        django_get_or_create = ["client"]

    client = factory.SubFactory(ClientFactory)


class PlanProblemFactory(factory.django.DjangoModelFactory):
    """An Omaha problem on a client's plan (``plan__client=``), by its ``number``
    (the Omaha reference must be loaded)."""

    class Meta:
        model = PlanProblem

    class Params:
        number = 42

    plan = factory.SubFactory(CarePlanFactory)
    problem = factory.LazyAttribute(lambda p: OmahaProblem.objects.get(number=p.number))
    scope = "individual"
    severity = "actual"
    added_by = factory.SubFactory(PersonFactory)


class OutcomeRatingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeRating

    plan_problem = factory.SubFactory(PlanProblemFactory)
    knowledge = 3
    behavior = 3
    status = 3
    rated_by = factory.SelfAttribute("plan_problem.added_by")


def _started(visit) -> bool:
    return visit.status in (Visit.Status.DONE, Visit.Status.IN_PROGRESS)


class VisitFactory(factory.django.DjangoModelFactory):
    """A visit as it stands, its window an hour from ``window_start``: a started one
    began ``late`` minutes into the window (negative: early), a done one took
    ``minutes``. The times the database requires of a status follow from it."""

    class Meta:
        model = Visit
        skip_postgeneration_save = True

    class Params:
        late = 0
        minutes = 30

    client = factory.SubFactory(ClientFactory)
    window_start = factory.LazyFunction(timezone.now)
    window_end = factory.LazyAttribute(lambda v: v.window_start + datetime.timedelta(hours=1))
    expected_minutes = 30
    status = Visit.Status.PLANNED
    actual_start = factory.LazyAttribute(
        lambda v: v.window_start + datetime.timedelta(minutes=v.late) if _started(v) else None
    )
    actual_end = factory.LazyAttribute(
        lambda v: (
            v.actual_start + datetime.timedelta(minutes=v.minutes)
            if v.status == Visit.Status.DONE
            else None
        )
    )

    @factory.post_generation
    def preferred_carers(visit, create, extracted, **kwargs):
        if create and extracted:
            visit.preferred_carers.set(extracted)


class VisitSeriesFactory(factory.django.DjangoModelFactory):
    """Weekday mornings, 08:00 to 09:00, from today."""

    class Meta:
        model = VisitSeries
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    weekdays = 0b11111
    window_start = datetime.time(8)
    window_end = datetime.time(9)
    expected_minutes = 30
    starts = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def preferred_carers(series, create, extracted, **kwargs):
        if create and extracted:
            series.preferred_carers.set(extracted)


class BudgetFactory(factory.django.DjangoModelFactory):
    """A direct payment of £480 every four weeks at £24 an hour, from today; its
    ledger starts empty (entries: LedgerEntryFactory)."""

    class Meta:
        model = Budget

    client = factory.SubFactory(ClientFactory)
    kind = Budget.Kind.DIRECT_PAYMENT
    period = Budget.Period.FOUR_WEEKLY
    allocation = Decimal("480.00")
    hourly_rate = Decimal("24.00")
    starts = factory.LazyFunction(timezone.localdate)


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    """A purchase of £10 from the budget (a visit's debit: ``kind`` and ``visit``)."""

    class Meta:
        model = LedgerEntry

    budget = factory.SubFactory(BudgetFactory)
    kind = LedgerEntry.Kind.PURCHASE
    amount = Decimal("-10.00")
    reason = factory.LazyAttribute(
        lambda e: "" if e.kind == LedgerEntry.Kind.VISIT_DEBIT else "Taxi"
    )


# --- through the services -------------------------------------------------------------------
#
# What is only valid as a service leaves it (a proposal with its author's consent and its
# closing time, a note with its rendered body and first version) is made by calling it.


def proposal(author: Person, team: Team, kind: str = "general", payload=None, **fields) -> Proposal:
    """A proposal ``author`` raises in ``team`` (raising it is consenting to it)."""
    text = {"title": f"Proposal of kind {kind}", "purpose": "So that the team can work better."}
    return proposal_raise(actor=author, team=team, kind=kind, payload=payload, **(text | fields))


def adopted(open_proposal: Proposal) -> Proposal:
    """The proposal adopted: its window closed with no objection standing."""
    proposals_close_due(team=open_proposal.team, now=open_proposal.closes_at + SETTLE)
    open_proposal.refresh_from_db()
    assert open_proposal.status == Proposal.Status.ADOPTED, open_proposal.outcome
    return open_proposal


def note(author: Person, **fields) -> Note:
    """A practice note ``author`` publishes (a practice note unless ``kind`` says)."""
    values = {"kind": "practice", "title": "Falls at night", "body": "We put in night lights."}
    return note_publish(actor=author, **(values | fields))
