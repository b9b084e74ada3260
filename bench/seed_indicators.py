"""A year of care for figure 7: every team of the data network (``bench/seed_data.py``)
with forty clients and, over the twelve full months before this one, about
``--indicator-visits`` visits (default 5,000,000: 1,000 teams x 12 months x ~417),
all in SQL (``INSERT ... SELECT`` over ``generate_series``) with the big tables'
indexes dropped during the load and built again after it.

So that every indicator has data:
- visits: 93.5% done (arrival 10 minutes early to 40 minutes late, so about 70%
  inside a window of 30 or 60 minutes; time spent 80 to 120% of the expected
  minutes), 4% cancelled, 2% missed, 0.5% never recorded; each client's visits
  mostly by two regular carers of the team's nine (55% and 25%), the rest by any;
- care plans of two Omaha problems per client, rated (Knowledge, Behaviour, Status)
  every 20 days for the first and every 45 for the second, scores drifting upward;
- a personal budget (weekly, four-weekly or yearly) for one client in four, with a
  visit debit in its ledger for each of their done visits;
- the experience survey for each quarter the year touches, from 60% of clients
  (answered by a team member standing in for the client's portal account: the data
  network has no portal accounts);
- team stability comes from the network's memberships (one team in five lost a
  member and gained one during the year).
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings

from bench.harness import say
from bench.seed_data import (
    CARERS_PER_TEAM,
    bulk_session,
    execute,
    insert_select,
    scalar,
    vacuum,
    without_indexes,
)

SEED_VERSION = 1
CLIENTS_PER_TEAM = 40
BUDGET_EVERY = 4  # one client in four has a budget


def add_arguments(p) -> None:
    g = p.add_argument_group("indicators (figure 7)")
    g.add_argument(
        "--indicator-visits",
        type=int,
        default=5_000_000,
        help="visits over the seeded year (default 5,000,000)",
    )


def signature(args) -> dict:
    return {
        "visits": args.indicator_visits,
        "clients_per_team": CLIENTS_PER_TEAM,
        "version": SEED_VERSION,
    }


def models() -> list:
    """What this seed fills (each must hold rows for the seed to be reused)."""
    from care.models import (
        Budget,
        CarePlan,
        Client,
        ExperienceSurvey,
        LedgerEntry,
        OutcomeRating,
        PlanProblem,
        Visit,
    )

    return [
        Client,
        Visit,
        CarePlan,
        PlanProblem,
        OutcomeRating,
        Budget,
        LedgerEntry,
        ExperienceSurvey,
    ]


def year_of(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first day of the seeded year and the first day after it: the twelve full
    months before the month of ``today``."""
    after = today.replace(day=1)
    return after.replace(year=after.year - 1), after


def quarters(first: datetime.date, after: datetime.date) -> list[tuple[str, datetime.date]]:
    """Every quarter the year touches: (label, its last day)."""
    found, day = [], first
    while day < after:
        number = (day.month - 1) // 3 + 1
        label = f"{day.year}-Q{number}"
        end_month = 3 * number
        following = datetime.date(day.year + end_month // 12, end_month % 12 + 1, 1)
        found.append((label, following - datetime.timedelta(days=1)))
        day = following
    return found


def seed(args) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from care.models import (
        Budget,
        CarePlan,
        Client,
        ExperienceSurvey,
        LedgerEntry,
        OutcomeRating,
        PlanProblem,
        Visit,
    )

    started = time.monotonic()
    first, after = year_of(timezone.localdate())
    days = (after - first).days
    teams = scalar("SELECT count(*) FROM teams_team WHERE substr(slug, 1, 5) = 'data-'")
    clients = teams * CLIENTS_PER_TEAM
    per_client, extra = divmod(args.indicator_visits, clients)
    big = [
        Visit._meta.db_table,
        OutcomeRating._meta.db_table,
        LedgerEntry._meta.db_table,
    ]
    with transaction.atomic():
        bulk_session()
        execute("SELECT setseed(0.42)")
        execute(f"TRUNCATE {Client._meta.db_table} RESTART IDENTITY CASCADE")
        insert_select(
            Client,
            {
                "team_id": "t.id",
                "first_name": "'Client'",
                "last_name": "'C' || lpad(t.g::text, 5, '0') || '-' || lpad(c::text, 2, '0')",
                "postcode": "'BZ1 ' || mod(c, 9) || 'NC'",
                "status": "'active'",
                "status_since": f"DATE '{first}' - 200",
                "created": f"DATE '{first}' - 200",
            },
            "(SELECT id, substr(slug, 6)::int AS g FROM teams_team"
            " WHERE substr(slug, 1, 5) = 'data-') t"
            f" CROSS JOIN generate_series(1, {CLIENTS_PER_TEAM}) c ORDER BY t.id, c",
        )
        execute(
            "CREATE TEMPORARY TABLE bench_client ON COMMIT DROP AS"
            " SELECT id, team_id, (row_number() OVER (ORDER BY id) - 1)::int AS k"
            f" FROM {Client._meta.db_table}"
        )
        execute("ALTER TABLE bench_client ADD PRIMARY KEY (id)")
        with without_indexes(*big):
            _visits(Visit, first, days, per_client, extra)
            say(f"indicators: visits ({time.monotonic() - started:.0f} s)")
            _plans(CarePlan, PlanProblem, OutcomeRating, first, after, days)
            _budgets(Budget, LedgerEntry, Visit, first)
            _surveys(ExperienceSurvey, first, after)
            say(f"indicators: the rest ({time.monotonic() - started:.0f} s)")
        say(f"indicators: indexes built ({time.monotonic() - started:.0f} s)")
    vacuum(
        Client, Visit, CarePlan, PlanProblem, OutcomeRating, Budget, LedgerEntry, ExperienceSurvey
    )
    say(f"indicators: vacuumed ({time.monotonic() - started:.0f} s)")
    last_month = after - datetime.timedelta(days=1)
    full_quarters = [label for label, last in quarters(first, after) if last < after]
    starts_whole = [
        label
        for label in full_quarters
        if datetime.date(int(label[:4]), 3 * int(label[-1]) - 2, 1) >= first
    ]
    return {
        "first": first.isoformat(),
        "after": after.isoformat(),
        "month": f"{last_month:%Y-%m}",
        "quarter": starts_whole[-1] if starts_whole else None,
        "teams": teams,
        "clients": clients,
        "visits": scalar(f"SELECT count(*) FROM {Visit._meta.db_table}"),
    }


def _visits(Visit, first: datetime.date, days: int, per_client: int, extra: int) -> None:
    """The year's visits of every client, spread evenly over its days, at the
    client's usual morning, midday and evening times."""
    zone = settings.TIME_ZONE
    local_start = (
        f"((DATE '{first}' + v.day) + make_interval(mins => v.minute)) AT TIME ZONE '{zone}'"
    )
    insert_select(
        Visit,
        {
            "client_id": "client_id",
            "window_start": "window_start",
            "window_end": "window_start + make_interval(mins => window_minutes)",
            "expected_minutes": "expected_minutes",
            "tasks": "'Personal care, medication, a drink and a chat'",
            "assignee_id": "CASE WHEN status IN ('done', 'missed') THEN carer END",
            "status": "status",
            "actual_start": "CASE WHEN status = 'done' THEN window_start"
            " + make_interval(mins => (r_late * 50 - 10)::int) END",
            "actual_end": "CASE WHEN status = 'done' THEN window_start"
            " + make_interval(mins => (r_late * 50 - 10)::int)"
            " + make_interval(mins => greatest(1, (expected_minutes * (0.8 + 0.4 * r_len))::int))"
            " END",
            "cancel_reason": "CASE WHEN status = 'cancelled' THEN 'In hospital' ELSE '' END",
            "created": "window_start - interval '14 days'",
        },
        f"""(
          SELECT v.*, {local_start} AS window_start, bc.person_id AS carer,
            CASE WHEN v.r_status < 0.04 THEN 'cancelled' WHEN v.r_status < 0.06 THEN 'missed'
                 WHEN v.r_status < 0.065 THEN 'planned' ELSE 'done' END AS status
          FROM (
            SELECT c.id AS client_id, c.team_id, c.k, j,
              floor((j + random()) * {days} / m.n)::int AS day,
              CASE mod(j, 3) WHEN 0 THEN 420 + mod(c.k * 17, 180)
                             WHEN 1 THEN 720 + mod(c.k * 13, 90)
                             ELSE 1020 + mod(c.k * 11, 240) END AS minute,
              (ARRAY[30, 60])[1 + mod(c.k, 2)] AS window_minutes,
              (ARRAY[20, 30, 45, 60])[1 + mod(c.k + j, 4)] AS expected_minutes,
              random() AS r_status, random() AS r_late, random() AS r_len,
              -- 0.55 by the client's first regular carer, 0.25 (0.45 x 0.56) by
              -- the second, the rest by anyone of the nine.
              CASE WHEN random() < 0.55 THEN 1 + mod(c.k, {CARERS_PER_TEAM})
                   WHEN random() < 0.56 THEN 1 + mod(c.k + 4, {CARERS_PER_TEAM})
                   ELSE 1 + floor(random() * {CARERS_PER_TEAM})::int END AS slot
            FROM bench_client c
            CROSS JOIN LATERAL (SELECT {per_client} + (c.k < {extra})::int AS n) m
            CROSS JOIN LATERAL generate_series(0, m.n - 1) j
            OFFSET 0
          ) v
          JOIN bench_carer bc ON bc.team_id = v.team_id AND bc.slot = v.slot
        ) x ORDER BY window_start""",
    )


def _plans(CarePlan, PlanProblem, OutcomeRating, first, after, days: int) -> None:
    """Two Omaha problems per client's plan; the first rated every 20 days, the
    second every 45, from a start of 1 to 3 towards 5."""
    insert_select(
        CarePlan,
        {"client_id": "id", "updated": f"DATE '{first}' - 30"},
        "bench_client ORDER BY id",
    )
    insert_select(
        PlanProblem,
        {
            "plan_id": "pl.id",
            "problem_id": "(SELECT array_agg(id ORDER BY number) FROM care_omahaproblem)"
            "[1 + mod(c.k * 7 + p * 11, (SELECT count(*) FROM care_omahaproblem)::int)]",
            "scope": "'individual'",
            "severity": "'actual'",
            "status": "'active'",
            "added": f"DATE '{first}' - 30",
            "added_by_id": "bc.person_id",
        },
        "bench_client c JOIN care_careplan pl ON pl.client_id = c.id"
        " JOIN bench_carer bc ON bc.team_id = c.team_id AND bc.slot = 1"
        " CROSS JOIN generate_series(0, 1) p ORDER BY c.id, p",
    )
    insert_select(
        OutcomeRating,
        {
            "plan_problem_id": "id",
            "knowledge": "least(5, greatest(1, base + (j * 3) / n"
            " + (random() < 0.15)::int - (random() < 0.1)::int))",
            "behavior": "least(5, greatest(1, base + (j * 2) / n + (random() < 0.2)::int))",
            "status": "least(5, greatest(1, base + 1 + (j * 2) / n - (random() < 0.15)::int))",
            "rated_on": "rated_on",
            "rated_by_id": "rated_by",
            "at": f"(rated_on + time '10:00') AT TIME ZONE '{settings.TIME_ZONE}'",
        },
        f"""(
          SELECT pp.id, 1 + mod(pp.id, 3)::int AS base, j, n, bc.person_id AS rated_by,
                 DATE '{first}' + j * every + mod(pp.id + j, 5)::int AS rated_on
          FROM (SELECT pp.*, row_number() OVER (PARTITION BY pp.plan_id ORDER BY pp.id) AS p
                FROM care_planproblem pp) pp
          JOIN care_careplan pl ON pl.id = pp.plan_id
          JOIN bench_client c ON c.id = pl.client_id
          JOIN bench_carer bc ON bc.team_id = c.team_id AND bc.slot = 1 + mod(c.k + 1, 9)
          CROSS JOIN LATERAL (SELECT CASE WHEN pp.p = 1 THEN 20 ELSE 45 END AS every) e
          CROSS JOIN LATERAL (SELECT {days} / e.every AS n) m
          CROSS JOIN LATERAL generate_series(0, m.n) j
        ) r WHERE rated_on < DATE '{after}' ORDER BY rated_on, id""",
    )


def _budgets(Budget, LedgerEntry, Visit, first) -> None:
    """A budget for one client in four, and a debit for each of their done visits."""
    insert_select(
        Budget,
        {
            "client_id": "id",
            "kind": "(ARRAY['direct_payment', 'isf', 'commissioned'])[1 + mod(k / 4, 3)]",
            "funder": "'Council'",
            "period": "(ARRAY['weekly', 'four_weekly', 'yearly'])[1 + mod(k / 4 + k / 12, 3)]",
            "allocation": "(ARRAY[420.00, 1680.00, 21840.00])[1 + mod(k / 4 + k / 12, 3)]",
            "hourly_rate": "28.50",
            "starts": f"DATE '{first}' - 60",
            "active": "true",
        },
        f"bench_client WHERE mod(k, {BUDGET_EVERY}) = 0 ORDER BY id",
    )
    insert_select(
        LedgerEntry,
        {
            "budget_id": "b.id",
            "kind": "'visit_debit'",
            "amount": "-round(v.expected_minutes * b.hourly_rate / 60, 2)",
            "reason": "''",
            "visit_id": "v.id",
            "on": f"(v.window_start AT TIME ZONE '{settings.TIME_ZONE}')::date",
            "at": "v.actual_end",
        },
        f"{Budget._meta.db_table} b JOIN {Visit._meta.db_table} v"
        " ON v.client_id = b.client_id AND v.status = 'done' ORDER BY v.window_start, v.id",
    )


def _surveys(ExperienceSurvey, first, after) -> None:
    """The quarter's survey from six clients in ten."""
    for number, (label, last) in enumerate(quarters(first, after)):
        insert_select(
            ExperienceSurvey,
            {
                "client_id": "c.id",
                "period": f"'{label}'",
                "recommend": "least(10, 5 + floor(random() * 6.5)::int)",
                "listen": "least(5, 2 + floor(random() * 3.6)::int)",
                "informed": "least(5, 1 + floor(random() * 4.8)::int)",
                "say": "least(5, 2 + floor(random() * 3.4)::int)",
                "answered_by_id": "bc.person_id",
                "answered_at": f"(DATE '{min(last, after)}' - 5 + time '18:00')"
                f" AT TIME ZONE '{settings.TIME_ZONE}'",
            },
            "bench_client c JOIN bench_carer bc ON bc.team_id = c.team_id AND bc.slot = 1"
            f" WHERE mod(c.k * 7 + {number}, 10) < 6 ORDER BY c.id",
        )
