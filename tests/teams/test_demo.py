"""The demo network: believable, idempotent, and runs with no superuser at all."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from teams import demo
from teams.models import Membership, Person, Team

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_three_teams_of_six_to_twelve_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    counts = (Person.objects.count(), Team.objects.count(), Membership.objects.count())
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert (Person.objects.count(), Team.objects.count(), Membership.objects.count()) == counts
    assert Team.objects.count() == 3
    for team in Team.objects.all():
        assert 6 <= Membership.objects.current().filter(team=team).count() <= 12
    assert Person.objects.filter(kind=Person.Kind.COACH).exists()
    assert Person.objects.filter(kind=Person.Kind.INSPECTOR).exists()
    assert not Person.objects.filter(is_superuser=True).exists()
    assert not Person.objects.filter(is_staff=True).exists()


def test_the_printed_accounts_exist_and_log_in_with_the_printed_password(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.seed()
    for username, _what in demo.accounts():
        request = RequestFactory().post("/login/")
        person = authenticate(request, username=username, password=demo.DEMO_PASSWORD)
        assert person is not None and person.username == username, username


def test_ana_and_ben_share_noord_and_cas_is_in_zuid():
    demo.seed()
    assert set(
        Membership.objects.filter(team__slug="noord").values_list("person__username", flat=True)
    ) >= {"ana", "ben"}
    assert Membership.objects.filter(team__slug="zuid", person__username="cas").exists()


def test_the_demo_runs_its_decisions_through_consent_with_no_superuser_at_all():
    from teams.models import CoachTerm, Proposal, RoleTerm

    assert not Person.objects.filter(is_superuser=True).exists()
    demo.seed()
    for team in Team.objects.all():
        held = RoleTerm.objects.filter(role__team=team, ended__isnull=True)
        assert held.count() == 5
        assert all(term.decision.status == "adopted" for term in held)
        assert team.agreements.count() == 1
    noord = Team.objects.get(slug="noord")
    assert CoachTerm.objects.get(team=noord, ended__isnull=True).coach.username == "coach"
    open_ = Proposal.objects.filter(team=noord, status="open")
    assert open_.count() == 2
    assert any(p.responses.filter(kind="objection", state="open").exists() for p in open_)
    assert not Person.objects.filter(is_superuser=True).exists()
    assert not Person.objects.filter(is_staff=True).exists()
