"""Migration teams.0008 refuses people who share an email address, naming them, rather
than guessing whose address it is."""

from __future__ import annotations

import importlib

import pytest

from teams.models import Person
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("teams.migrations.0008_invitations_and_founding")


class Apps:
    def get_model(self, app, name):
        return Person


def test_shared_addresses_stop_the_migration_with_their_names(db):
    PersonFactory(username="a1", email="")
    PersonFactory(username="a2", email="")
    migration.refuse_shared_addresses(Apps(), None)  # blank addresses are nobody's
    first = PersonFactory(username="b1", email="shared@example.org")
    # The database (after 0008) refuses the second; the check reads rows from before.
    Person.objects.filter(pk=first.pk).update(email="Shared@Example.org")
    with pytest.raises(Exception):  # noqa: B017 - the constraint already holds here
        PersonFactory(username="b2", email="shared@example.org")


def test_the_check_names_each_shared_address(monkeypatch):
    class Rows(list):
        def exclude(self, **kw):
            return self

        def annotate(self, **kw):
            return self

        def values(self, *a):
            return self

        def filter(self, **kw):
            return self

    class Fake:
        objects = Rows([{"address": "shared@example.org", "n": 2}])

    class FakeApps:
        def get_model(self, app, name):
            return Fake

    with pytest.raises(RuntimeError, match=r"shared@example.org \(2 people\)"):
        migration.refuse_shared_addresses(FakeApps(), None)
