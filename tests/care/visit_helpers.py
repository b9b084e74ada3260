"""Shared set-up for the visit and budget tests: Mrs Jansen's record in team Noord.

Her daughter is in her network and may read her visits and budget (the grants are
open), which is exactly why the tests check she still cannot change them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from care.models import Client, Grant, OmahaCategory, OmahaTarget, PlanIntervention, Visit
from care.services import visits as visit_services
from tests.factories import ClientFactory, GrantFactory, NetworkMemberFactory, PlanProblemFactory

TZ = ZoneInfo("Europe/London")
# A Monday evening: the tests' "now" (time_machine travels here).
NOW = datetime.datetime(2026, 12, 7, 18, 0, tzinfo=TZ)


def begun_today(minutes: int = 20) -> datetime.datetime:
    """A visit that began ``minutes`` ago, or at midnight if that was yesterday: the
    browser tests run on the real clock, and a nurse's day is today's."""
    now = timezone.localtime()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return max(now - datetime.timedelta(minutes=minutes), midnight)


def at(day: str, clock: str) -> datetime.datetime:
    """A London wall-clock moment: at("2026-12-02", "08:15")."""
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)


def jansen_client(personas) -> Client:
    client = ClientFactory(
        team=personas.noord,
        first_name="Wilma",
        last_name="Jansen",
        account=personas.mrs_jansen,
        status=Client.Status.ACTIVE,
    )
    daughter = NetworkMemberFactory(client=client, name="Petra Jansen", account=personas.daughter)
    for scope in (Grant.Scope.VISITS, Grant.Scope.BUDGET):
        GrantFactory(member=daughter, scope=scope)  # granted by Mrs Jansen, her account
    return client


def intervention(client: Client, author) -> PlanIntervention:
    return PlanIntervention.objects.create(
        plan_problem=PlanProblemFactory(plan__client=client, added_by=author),
        category=OmahaCategory.objects.order_by("number").first(),
        target=OmahaTarget.objects.order_by("number").first(),
        description="Set out the week's tablets in the dosette box.",
        frequency="weekly",
    )


def plan(actor, client, start: datetime.datetime, minutes: int = 45, **extra) -> Visit:
    return visit_services.visit_plan(
        actor=actor,
        client=client,
        window_start=start,
        window_end=start + datetime.timedelta(hours=1),
        expected_minutes=minutes,
        tasks="Help with washing and breakfast.",
        **extra,
    )


def deliver(actor, client, start: datetime.datetime, minutes: int, **finish) -> Visit:
    """Plan, start and finish a visit that took ``minutes`` from ``start``."""
    visit = plan(actor, client, start, minutes)
    visit = visit_services.visit_start(actor=actor, visit=visit, version=visit.version, at=start)
    return visit_services.visit_finish(
        actor=actor,
        visit=visit,
        version=visit.version,
        actual_start=start,
        actual_end=start + datetime.timedelta(minutes=minutes),
        note="All well.",
        **finish,
    )


def direct_payment(actor, client: Client, rate: str = "30.00"):
    """A four-weekly Direct Payment for the client from a week ago, at ``rate`` an hour."""
    from care.services import budgets as budget_services

    return budget_services.budget_create(
        actor=actor,
        client=client,
        kind="direct_payment",
        period="four_weekly",
        allocation=Decimal("1250.00"),
        hourly_rate=Decimal(rate),
        starts=timezone.localdate() - datetime.timedelta(days=7),
        funder="Deventshire County Council",
    )
