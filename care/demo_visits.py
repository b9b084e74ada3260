"""The demo's visits and personal budgets: every active client has a repeating visit,
four weeks of visits already done (mostly by the same two carers, so continuity of
carer has something to show), the coming four weeks generated, today's visits partly
taken and partly open on the board; three clients have a personal budget whose ledger
the done visits have debited.

Called by ``care.demo.seed`` once the clients exist; idempotent (a client with a
series already is left alone). Today's and future visits go through the services;
the four weeks of history are written as they would have been recorded then, with
each done visit debiting the budget through ``debit_visit`` as recording does.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from care.models import Budget, Client, Visit, VisitSeries
from care.services import budgets as budget_services
from care.services import visits as visit_services
from teams.models import Membership, Person, Team

HISTORY_DAYS = 28
AHEAD_DAYS = 28

# By client index within the team: weekdays (Monday 0), window, minutes, tasks.
PATTERNS = [
    ([0, 1, 2, 3, 4, 5, 6], (8, 0), (9, 0), 45, "Help with washing, dressing and breakfast."),
    ([0, 2, 4], (9, 30), (10, 30), 30, "Medication check and a cup of coffee together."),
    ([1, 3], (11, 0), (12, 0), 40, "Wound care as in the plan."),
    ([0, 1, 2, 3, 4], (17, 0), (18, 0), 30, "Evening round: compression stockings off."),
    ([2, 5], (14, 0), (15, 0), 60, "Shower and a walk round the block."),
]

# (client by first name, kind, funder, period, allocation, hourly rate)
BUDGETS = {
    "Wilma": (
        Budget.Kind.ISF,
        "Deventer council; held by the team for Mrs Jansen",
        Budget.Period.WEEKLY,
        "180.00",
        "28.50",
    ),
    "Gerrit": (
        Budget.Kind.DIRECT_PAYMENT,
        "Deventer council",
        Budget.Period.FOUR_WEEKLY,
        "640.00",
        "24.00",
    ),
    "Aaltje": (
        Budget.Kind.COMMISSIONED,
        "Zorgkantoor IJssel",
        Budget.Period.YEARLY,
        "9400.00",
        "31.20",
    ),
}


def _local(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _members(team: Team) -> list[Person]:
    return [
        m.person
        for m in Membership.objects.current()
        .filter(team=team)
        .select_related("person")
        .order_by("joined", "id")
    ]


def seed_team(team: Team, keeper: Person, today: datetime.date | None = None) -> dict[str, int]:
    made = {"visit series": 0, "visits": 0, "budgets": 0}
    today = today or timezone.localdate()
    carers = _members(team)
    if len(carers) < 2:
        return made
    clients = list(Client.objects.filter(team=team, status=Client.Status.ACTIVE).order_by("id"))
    for index, client in enumerate(clients):
        if VisitSeries.objects.filter(client=client).exists():
            continue
        days, start, end, minutes, tasks = PATTERNS[index % len(PATTERNS)]
        # Two regular carers per client, a third now and then.
        primary = carers[index % len(carers)]
        second = carers[(index + 1) % len(carers)]
        third = carers[(index + 2) % len(carers)]
        budget_spec = BUDGETS.get(client.first_name)
        if budget_spec:
            kind, funder, period, allocation, rate = budget_spec
            budget_services.budget_create(
                actor=keeper,
                client=client,
                kind=kind,
                funder=funder,
                period=period,
                allocation=Decimal(allocation),
                hourly_rate=Decimal(rate),
                starts=today - datetime.timedelta(days=HISTORY_DAYS + 7),
            )
            made["budgets"] += 1
        series = visit_services.series_create(
            actor=keeper,
            client=client,
            weekdays=days,
            window_start=datetime.time(*start),
            window_end=datetime.time(*end),
            expected_minutes=minutes,
            tasks=tasks,
            starts=today - datetime.timedelta(days=HISTORY_DAYS),
            preferred_carers=[primary, second],
        )
        made["visit series"] += 1
        # The last four weeks, as recorded at the time.
        history = []
        n = 0
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - datetime.timedelta(days=back)
            if day.weekday() not in days:
                continue
            n += 1
            carer = third if n % 7 == 0 else second if n % 4 == 0 else primary
            arrived = _local(day, *start) + datetime.timedelta(minutes=(n * 7) % 25)
            left = arrived + datetime.timedelta(minutes=minutes + (n * 3) % 11 - 4)
            history.append(
                Visit(
                    client=client,
                    series=series,
                    series_date=day,
                    window_start=_local(day, *start),
                    window_end=_local(day, *end),
                    expected_minutes=minutes,
                    tasks=tasks,
                    assignee=carer,
                    status=Visit.Status.DONE,
                    actual_start=arrived,
                    actual_end=left,
                    done_note="All as planned." if n % 3 else "Tired today; ate well.",
                )
            )
        for visit in Visit.objects.bulk_create(history):
            if budget_spec:
                budget_services.debit_visit(visit=visit, by=visit.assignee)
        made["visits"] += len(history)
        # Today onwards through the services; today's visits partly taken already.
        upcoming = visit_services.series_generate(
            series=series, until=today + datetime.timedelta(days=AHEAD_DAYS), actor=keeper
        )
        made["visits"] += len(upcoming)
        week = today + datetime.timedelta(days=6)
        for visit in upcoming:
            # Half of today's visits are taken; the rest of the week mostly so.
            day = visit.series_date or today  # a series' visit always has its date
            taken_today = day == today and index % 2 == 0
            taken_later = today < day <= week and index % 3 != 1
            if taken_today or taken_later:
                # Deliberately: a carer may get two clients at once, as a real rota
                # sometimes does; the board marks the clash for her to sort out.
                visit_services.visit_assign(
                    actor=keeper,
                    visit=visit,
                    person=primary,
                    version=visit.version,
                    confirm_overlap=True,
                )
    return made
