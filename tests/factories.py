"""factory_boy factories and the shared personas of DESIGN.md."""

from __future__ import annotations

import datetime

import factory

from teams.models import Membership, Person, Team
from teams.services.credentials import token_create
from teams.services.effects import roles_ensure_standard

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
