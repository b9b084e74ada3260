"""Team indicators (care.figures.compute) on a hand-built team, every figure worked out by
hand below, for March 2026 and for the first quarter of 2026.

The tests' "now" is Friday 10 April 2026, noon in London (summer time since 29 March).
"""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.figures.compute import METHOD_VERSION, network_indicators, team_indicators
from care.figures.periods import month, parse_period, quarter
from care.models import Budget, LedgerEntry, OutcomeRating, Visit
from teams.models import Membership
from tests.factories import (
    BudgetFactory,
    ClientFactory,
    LedgerEntryFactory,
    OutcomeRatingFactory,
    PersonFactory,
    PlanProblemFactory,
    TeamFactory,
    VisitFactory,
    member,
)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TZ)
MARCH = month(2026, 3)
Q1 = quarter(2026, 1)
D = Decimal


def at(day: str, clock: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)


def visit(client, day, clock, status="done", carer=None, late=0, minutes=30) -> Visit:
    """A visit whose window is an hour from ``day`` ``clock``; done ones started
    ``late`` minutes after the window opened (negative: early) and took ``minutes``."""
    return VisitFactory(
        client=client,
        window_start=at(day, clock),
        assignee=carer,
        status=status,
        late=late,
        minutes=minutes,
    )


def debit(budget, a_visit, amount: str, on: str) -> LedgerEntry:
    return LedgerEntryFactory(
        budget=budget,
        kind=LedgerEntry.Kind.VISIT_DEBIT,
        amount=D(amount),
        visit=a_visit,
        on=datetime.date.fromisoformat(on),
    )


def rate(entry, on: str, k: int, b: int, s: int, by, clock="10:00") -> OutcomeRating:
    return OutcomeRatingFactory(
        plan_problem=entry,
        knowledge=k,
        behavior=b,
        status=s,
        rated_on=datetime.date.fromisoformat(on),
        rated_by=by,
        at=at(on, clock),
    )


@pytest.fixture
def world(personas):
    w = personas
    noord = w.noord
    # Members of Noord: ana and ben since 2024; eva from June 2025, left 20 March;
    # fay joined 5 February, dee 10 March.
    eva = member("eva", noord)
    Membership.objects.filter(person=eva).update(
        joined=datetime.date(2025, 6, 1), left=datetime.date(2026, 3, 20)
    )
    fay = member("fay", noord)
    Membership.objects.filter(person=fay).update(joined=datetime.date(2026, 2, 5))
    dee = member("dee", noord)
    Membership.objects.filter(person=dee).update(joined=datetime.date(2026, 3, 10))
    ana, ben = w.ana, w.ben

    a = ClientFactory(team=noord, first_name="Anna", last_name="Aa")
    b = ClientFactory(team=noord, first_name="Bert", last_name="Bee")
    c = ClientFactory(team=noord, first_name="Cor", last_name="Cee")
    d = ClientFactory(team=noord, first_name="Dirk", last_name="Dee")
    z = ClientFactory(team=w.zuid, first_name="Zus", last_name="Zet")

    # Client A, March: done 1,2,3,4,7 (5); planned also 5 (missed): 6; 6 (cancelled)
    # is not planned. Punctual (started inside the window, ends included): 1, 3, 7.
    # Carers: ana 3 (1, 2, 7), ben 1, dee 1 -> 3 carers, top two 3 + 1 = 4.
    # Minutes: 30 + 40 + 20 + 30 + 50 = 170.
    v1 = visit(a, "2026-03-02", "09:00", carer=ana, late=10, minutes=30)
    v2 = visit(a, "2026-03-03", "09:00", carer=ana, late=-10, minutes=40)  # early
    visit(a, "2026-03-04", "09:00", carer=ben, late=60, minutes=20)  # at the window's end
    visit(a, "2026-03-05", "09:00", carer=dee, late=65, minutes=30)  # late
    visit(a, "2026-03-06", "09:00", status="missed")
    visit(a, "2026-03-07", "09:00", status="cancelled")
    # 23:30 on 31 March in London is 22:30 UTC: March. It ends in April; it is March's.
    visit(a, "2026-03-31", "23:30", carer=ana, late=10, minutes=50)
    # 00:15 on 1 April in London is 23:15 UTC on 31 March: April, not March.
    v8 = visit(a, "2026-04-01", "00:15", carer=ben, late=0, minutes=25)
    # February (the quarter only): punctual, ana, 30 minutes.
    v9 = visit(a, "2026-02-10", "09:00", carer=ana, late=5, minutes=30)

    # Client B, March: done 10, 11, 12 (3), one still "in progress" since 16 March:
    # planned 4. All three done punctual (10 started at the window's start). Carers:
    # ben 2, ana 1 -> 2 carers, top two 3. Minutes 60 + 45 + 45 = 150.
    v10 = visit(b, "2026-03-10", "14:00", carer=ben, late=0, minutes=60)
    v11 = visit(b, "2026-03-12", "14:00", carer=ben, late=30, minutes=45)
    visit(b, "2026-03-14", "14:00", carer=ana, late=20, minutes=45)
    visit(b, "2026-03-16", "14:00", status="in_progress", carer=ana, late=5)
    # January (the quarter only): punctual, ben, 30 minutes.
    v17 = visit(b, "2026-01-15", "10:00", carer=ben, late=10, minutes=30)

    # Client C, March: done 2, planned 2, punctual 1 (16 started an hour and a half
    # late). Carers eva 1, ana 1 -> 2 carers, top two 2. Minutes 25 + 35 = 60.
    v15 = visit(c, "2026-03-20", "08:00", carer=eva, late=15, minutes=25)
    visit(c, "2026-03-21", "08:00", carer=ana, late=90, minutes=35)

    # Client D: a visit planned for 25 March that never happened (planned, not
    # delivered: D counts among the clients planned for, not those served), and a
    # cancelled one.
    visit(d, "2026-03-25", "10:00", status="planned")
    visit(d, "2026-03-22", "10:00", status="cancelled")

    # April, the month running now (the 10th): 8 done, a visit of 5 April left
    # unrecorded (planned), one on 20 April still ahead (not counted yet).
    visit(b, "2026-04-05", "10:00", status="assigned", carer=ben)
    visit(b, "2026-04-20", "10:00", status="assigned", carer=ben)

    # Zuid: one punctual visit of 30 minutes by cas.
    visit(z, "2026-03-03", "11:00", carer=w.cas, late=5, minutes=30)

    # --- outcomes ------------------------------------------------------------------
    def problem(client, number):
        return PlanProblemFactory(plan__client=client, number=number, added_by=ana)

    p1, p2 = problem(a, 25), problem(a, 42)
    p3, p4 = problem(b, 42), problem(c, 25)
    rate(p1, "2026-02-20", 2, 2, 2, ana)  # the quarter's first
    rate(p1, "2026-03-02", 2, 3, 2, ana)  # March's first
    rate(p1, "2026-03-15", 3, 3, 2, ana)
    rate(p1, "2026-03-30", 4, 3, 3, ana)  # the latest of both
    rate(p2, "2026-03-05", 3, 3, 4, ben)
    rate(p2, "2026-03-25", 3, 2, 4, ben)  # Behavior fell: not improved
    rate(p3, "2026-03-10", 2, 2, 2, ben, clock="09:00")
    rate(p3, "2026-03-10", 3, 2, 3, ben, clock="16:00")  # same day, later: the latest
    rate(p3, "2026-04-02", 5, 5, 5, ben)  # April: outside both periods
    # Entered last, dated earliest: the first of the period all the same.
    rate(p3, "2026-03-01", 1, 1, 1, ana, clock="18:00")
    rate(p4, "2026-01-10", 2, 3, 3, ana)  # the quarter only
    rate(p4, "2026-03-12", 3, 3, 3, ana)  # alone in March: not counted there

    # --- budgets ---------------------------------------------------------------------
    def budget(client, period, allocation, starts, active=True):
        return BudgetFactory(
            client=client,
            period=period,
            allocation=D(allocation),
            starts=datetime.date.fromisoformat(starts),
            active=active,
        )

    a_old = budget(a, "weekly", "70.00", "2026-02-20", active=False)
    a_new = budget(a, "weekly", "84.00", "2026-03-16")  # replaces A's first one
    b_budget = budget(b, "four_weekly", "560.00", "2025-12-01")
    c_budget = budget(c, "yearly", "3650.00", "2026-03-11")
    budget(d, "weekly", "100.00", "2026-04-01")  # begins after March
    debit(a_old, v1, "-14.00", "2026-03-02")
    overcharged = debit(a_old, v2, "-18.00", "2026-03-03")
    LedgerEntryFactory(
        budget=a_old,
        kind=LedgerEntry.Kind.CORRECTION,
        amount=D("3.00"),
        corrects=overcharged,
        reason="Charged 45 minutes, 40 were given",
        on=datetime.date(2026, 3, 20),
    )
    purchase = LedgerEntryFactory(
        budget=a_new,
        amount=D("-25.00"),
        reason="Taxi to the clinic",
        on=datetime.date(2026, 3, 18),
    )
    LedgerEntryFactory(
        budget=a_new,
        kind=LedgerEntry.Kind.CORRECTION,
        amount=D("5.00"),
        corrects=purchase,
        reason="Taxi was cheaper",
        on=datetime.date(2026, 3, 19),
    )
    debit(a_new, v8, "-10.00", "2026-04-01")
    debit(a_old, v9, "-15.00", "2026-02-10")
    debit(b_budget, v10, "-30.00", "2026-03-10")
    debit(b_budget, v11, "-22.50", "2026-03-12")
    debit(b_budget, v17, "-15.00", "2026-01-15")
    debit(c_budget, v15, "-12.50", "2026-03-20")
    return w


def figures(team, period):
    with time_machine.travel(NOW, tick=False):
        return team_indicators(team, period)


def triple(indicator):
    return indicator.value, indicator.numerator, indicator.denominator, indicator.clients


def test_march_matches_the_hand_count(world):
    f = figures(world.noord, MARCH)
    # Served: A, B, C (D was planned for but nobody came).
    assert triple(f["clients_served"]) == (3, 3, None, 3)
    # Done 5 + 3 + 2 = 10 of planned 6 + 4 + 2 + 1 = 13: 76.92...% -> 76.9; the
    # planned visits were for A, B, C and D.
    assert triple(f["visits_delivered"]) == (D("76.9"), 10, 13, 4)
    # Started inside the window: 3 + 3 + 1 = 7 of the 10 done.
    assert triple(f["punctuality"]) == (D("70.0"), 7, 10, 3)
    # (client, carer) pairs 3 + 2 + 2 = 7 over 3 clients: 2.33... -> 2.3.
    assert triple(f["carers_per_client"]) == (D("2.3"), 7, 3, 3)
    # Two most frequent carers: 4 + 3 + 2 = 9 of 10 visits.
    assert triple(f["top_two_share"]) == (D("90.0"), 9, 10, 3)
    # 170 + 150 + 60 = 380 minutes over 3 clients: 2.11 hours -> 2.1.
    assert triple(f["hours_per_client"]) == (D("2.1"), 380, 3, 3)
    # Problems rated twice in March: P1 (2,3,2 -> 4,3,3: +2, 0, +1), P2 (3,3,4 ->
    # 3,2,4: 0, -1, 0), P3 (1,1,1 -> 3,2,3: +2, +1, +2), of clients A and B.
    # Knowledge 4/3 = 1.33; Behavior 0/3 = 0.00; Status 3/3 = 1.00; improved P1, P3.
    assert triple(f["knowledge_change"]) == (D("1.33"), 4, 3, 2)
    assert triple(f["behavior_change"]) == (D("0.00"), 0, 3, 2)
    assert triple(f["status_change"]) == (D("1.00"), 3, 3, 2)
    assert triple(f["problems_improved"]) == (D("66.7"), 2, 3, 2)
    # Allocated: A 70 x 15/7 (1-15 March) = 150.00 + 84 x 16/7 (16-31) = 192.00;
    # B 560 x 31/28 = 620.00; C 3650 x 21/365 (11-31) = 210.00: 1,172.00.
    # Delivered: A 14.00 + 18.00 - 3.00 = 29.00; B 30.00 + 22.50; C 12.50: 94.00
    # (the taxi and its correction are not visits). 94 / 1172 = 8.02% -> 8.0.
    assert triple(f["budget_use"]) == (D("8.0"), D("94.00"), D("1172.00"), 3)
    # At the start of March: ana, ben, eva, fay (4); dee joined, eva left.
    assert triple(f["members_joined"]) == (1, 1, 4, None)
    assert triple(f["members_left"]) == (1, 1, 4, None)
    assert f.method_version == METHOD_VERSION
    by_problem = {p.problem: p for p in f.outcomes_by_problem}
    assert set(by_problem) == {25, 42}
    # 25: P1 alone (P4 was rated once in March).  42: P2 and P3.
    p25, p42 = by_problem[25], by_problem[42]
    assert (p25.problems, p25.clients, p25.improved) == (1, 1, 1)
    assert (p25.knowledge_change, p25.behavior_change, p25.status_change) == (
        D("2.00"),
        D("0.00"),
        D("1.00"),
    )
    assert (p42.problems, p42.clients, p42.improved) == (2, 2, 1)
    # (0 + 2)/2, (-1 + 1)/2, (0 + 2)/2.
    assert (p42.knowledge_change, p42.behavior_change, p42.status_change) == (
        D("1.00"),
        D("0.00"),
        D("1.00"),
    )


def test_figures_are_plain_json_on_every_database(world):
    # Counts are whole numbers and figures text, whatever the database's SUM returns
    # (a numeric on PostgreSQL): shares store this, and the API sends it.
    data = figures(world.noord, MARCH).as_json()
    assert json.loads(json.dumps(data)) == data
    assert data["indicators"]["top_two_share"] == {
        "value": "90.0",
        "numerator": 9,
        "denominator": 10,
        "clients": 3,
    }
    for key, figure in data["indicators"].items():
        if key != "budget_use":
            assert type(figure["numerator"]) is int, key
            assert figure["denominator"] is None or type(figure["denominator"]) is int, key
    assert data["indicators"]["budget_use"]["numerator"] == "94.00"


def test_the_first_quarter_matches_the_hand_count(world):
    f = figures(world.noord, Q1)
    assert triple(f["clients_served"]) == (3, 3, None, 3)
    # March's 10 of 13, plus 9 (February, A) and 17 (January, B): 12 of 15 = 80.0%.
    assert triple(f["visits_delivered"]) == (D("80.0"), 12, 15, 4)
    # 7 + 2 punctual = 9 of 12 = 75.0%.
    assert triple(f["punctuality"]) == (D("75.0"), 9, 12, 3)
    # Same pairs (ana and ben had visited A and B already): 7 / 3 = 2.3.
    assert triple(f["carers_per_client"]) == (D("2.3"), 7, 3, 3)
    # A: ana 4 + ben 1 = 5; B: ben 3 + ana 1 = 4; C: 2 -> 11 of 12 = 91.67 -> 91.7.
    assert triple(f["top_two_share"]) == (D("91.7"), 11, 12, 3)
    # 380 + 30 + 30 = 440 minutes over 3 clients: 2.44 hours -> 2.4.
    assert triple(f["hours_per_client"]) == (D("2.4"), 440, 3, 3)
    # P1 from 20 February (2,2,2 -> 4,3,3: +2, +1, +1), P2 as in March (0, -1, 0),
    # P3 as in March (+2, +1, +2), P4 (2,3,3 -> 3,3,3: +1, 0, 0): clients A, B, C.
    # Knowledge 5/4 = 1.25; Behavior 1/4 = 0.25; Status 3/4 = 0.75; improved 3 of 4.
    assert triple(f["knowledge_change"]) == (D("1.25"), 5, 4, 3)
    assert triple(f["behavior_change"]) == (D("0.25"), 1, 4, 3)
    assert triple(f["status_change"]) == (D("0.75"), 3, 4, 3)
    assert triple(f["problems_improved"]) == (D("75.0"), 3, 4, 3)
    # Allocated: A 70 x 24/7 (20 Feb - 15 Mar: 9 + 15 days) = 240.00 + 192.00;
    # B 560 x 90/28 = 1,800.00; C 210.00: 2,442.00. Delivered: March's 94.00 + 15.00
    # (A, February) + 15.00 (B, January) = 124.00. 124 / 2442 = 5.08% -> 5.1.
    assert triple(f["budget_use"]) == (D("5.1"), D("124.00"), D("2442.00"), 3)
    # At the start of the quarter: ana, ben, eva (3); fay and dee joined; eva left.
    assert triple(f["members_joined"]) == (2, 2, 3, None)
    assert triple(f["members_left"]) == (1, 1, 3, None)


def test_the_month_running_counts_only_what_has_happened(world):
    f = figures(world.noord, month(2026, 4))
    # April so far: 8 done (ben, on time, 25 minutes); 5 April left unrecorded;
    # 20 April is still ahead, so not planned yet: 1 of 2 delivered.
    assert triple(f["visits_delivered"]) == (D("50.0"), 1, 2, 2)
    assert triple(f["clients_served"]) == (1, 1, None, 1)
    assert triple(f["hours_per_client"]) == (D("0.4"), 25, 1, 1)
    # P3's one April rating is not a change.
    assert f["knowledge_change"].value is None


def test_another_team_gets_only_its_own_figures(world):
    f = figures(world.zuid, MARCH)
    assert triple(f["clients_served"]) == (1, 1, None, 1)
    assert triple(f["visits_delivered"]) == (D("100.0"), 1, 1, 1)
    assert triple(f["punctuality"]) == (D("100.0"), 1, 1, 1)
    assert triple(f["carers_per_client"]) == (D("1.0"), 1, 1, 1)
    assert triple(f["hours_per_client"]) == (D("0.5"), 30, 1, 1)
    # Nothing rated, no budget: no value rather than a misleading zero.
    assert triple(f["knowledge_change"]) == (None, 0, 0, 0)
    assert triple(f["budget_use"]) == (None, D("0.00"), D("0.00"), 0)
    assert triple(f["members_joined"]) == (0, 0, 1, None)


def test_the_network_at_once_matches_each_team_alone(world):
    with time_machine.travel(NOW, tick=False):
        network = network_indicators(MARCH)
        alone = {t.pk: team_indicators(t, MARCH) for t in (world.noord, world.zuid)}
    assert set(network) == {world.noord.pk, world.zuid.pk}
    for pk, figures_alone in alone.items():
        assert network[pk].as_json() == figures_alone.as_json()


def test_a_team_without_anything_gets_empty_figures(personas):
    empty = TeamFactory(name="Leeg", slug="leeg")
    f = figures(empty, MARCH)
    assert triple(f["clients_served"]) == (0, 0, None, 0)
    assert triple(f["visits_delivered"]) == (None, 0, 0, 0)
    assert triple(f["members_joined"]) == (0, 0, 0, None)
    assert f.outcomes_by_problem == []


# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label", "first", "last"),
    [
        ("2026-03", "2026-03", "2026-03-01", "2026-03-31"),
        ("2024-02", "2024-02", "2024-02-01", "2024-02-29"),
        ("2026-Q1", "2026-Q1", "2026-01-01", "2026-03-31"),
        ("2025-Q4", "2025-Q4", "2025-10-01", "2025-12-31"),
        (" 2026-04 ", "2026-04", "2026-04-01", "2026-04-30"),  # the month running now
    ],
)
def test_periods_are_months_and_quarters(text, label, first, last):
    period = parse_period(text, today=NOW.date())
    assert period.label == label
    assert (period.first.isoformat(), period.last.isoformat()) == (first, last)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-05", "has not begun yet"),
        ("2026-Q3", "has not begun yet"),
        ("2026-13", "Not a period"),
        ("2026-00", "Not a period"),
        ("2026-Q5", "Not a period"),
        ("26-03", "Not a period"),
        ("March 2026", "Not a period"),
        ("2026-3", "Not a period"),
        ("1999-12", "Not a period"),
        ("", "Required"),
        (None, "Required"),
        (202603, "Required"),
    ],
)
def test_a_future_or_unknown_period_is_refused(text, message):
    with pytest.raises(ValidationError) as refused:
        parse_period(text, today=NOW.date())
    assert message in refused.value.message_dict["period"][0]


def test_where_only_a_month_will_do_a_quarter_is_refused():
    with pytest.raises(ValidationError) as refused:
        parse_period("2026-Q1", today=NOW.date(), months_only=True)
    assert "not a quarter" in refused.value.message_dict["period"][0]


def test_period_boundaries_follow_london_time():
    # 1 April 2026 00:00 in London (summer time) is 31 March 23:00 UTC.
    assert MARCH.end() == datetime.datetime(2026, 3, 31, 23, 0, tzinfo=datetime.UTC)
    assert MARCH.start() == datetime.datetime(2026, 3, 1, 0, 0, tzinfo=datetime.UTC)


# --- query counts --------------------------------------------------------------------------


def test_the_whole_network_takes_the_same_queries_however_big(world):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries, time_machine.travel(NOW, tick=False):
            network_indicators(MARCH)
        return len(queries)

    small = count()
    # Eight more teams, each with members, clients, visits, ratings and a budget.
    for n in range(8):
        team = TeamFactory(name=f"Extra {n}", slug=f"extra-{n}")
        carer = member(f"extra-carer-{n}", team)
        other = member(f"extra-other-{n}", team)
        for i in range(3):
            client = ClientFactory(team=team, first_name=f"C{i}", last_name=f"T{n}")
            for day in range(1, 6):
                visit(client, f"2026-03-{day:02d}", "10:00", carer=carer if day % 2 else other)
            entry = PlanProblemFactory(plan__client=client, added_by=carer)
            rate(entry, "2026-03-02", 2, 2, 2, carer)
            rate(entry, "2026-03-20", 3, 3, 3, carer)
            BudgetFactory(
                client=client,
                kind=Budget.Kind.ISF,
                period="weekly",
                allocation=D("70.00"),
                hourly_rate=D("20.00"),
                starts=datetime.date(2026, 1, 1),
            )
    PersonFactory(username="no-team")
    large = count()
    # The team list, visits, continuity, outcomes (per team and per problem in one),
    # money spent and allocated, memberships: seven, however many teams, clients and
    # visits.
    assert small == large == 7
    with time_machine.travel(NOW, tick=False):
        assert len(network_indicators(MARCH)) == 10
