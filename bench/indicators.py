"""Figure 7, indicators: ``care.figures.compute.network_indicators`` for the whole network
of the data database (1,000 teams with a year of about 5,000,000 visits, ratings,
budgets and surveys: ``bench/seed_indicators.py``), for the last month and the last
whole quarter of the seeded year, beside the single bare aggregate query over the
same rows (one ``GROUP BY`` team over the period's visits) in the same run. Each is
timed ``--indicator-repeats`` times, alternating; the queries Kith ran are listed
with their times, and the plan of its visits query is printed. Goal: <= 10 s for the
whole network.

Opening a published snapshot (goal <= 20 ms): a few teams' snapshots of the quarter
are published through the decision engine (first run only), then opened by an
inspector through the API and the portal page, beside the bare read of the row.

    .venv/bin/python -m bench.indicators --indicator-visits 5000000
"""

from __future__ import annotations

import statistics
import time

from bench import harness, seed_data, seed_indicators
from bench.harness import Figure, say
from bench.search import load_note, plan_summary

GOAL_NETWORK_SECONDS = 10
GOAL_SNAPSHOT_MS = 20

BARE_AGGREGATE = (
    "SELECT c.team_id, count(*) FILTER (WHERE v.status <> 'cancelled') AS planned,"
    " count(*) FILTER (WHERE v.status = 'done') AS done,"
    " count(DISTINCT v.client_id) FILTER (WHERE v.status = 'done') AS served,"
    " sum(v.actual_end - v.actual_start) FILTER (WHERE v.status = 'done') AS delivered"
    " FROM care_visit v JOIN care_client c ON c.id = v.client_id"
    " WHERE v.window_start >= %s AND v.window_start < %s GROUP BY c.team_id"
)
# What each of compute's queries reads, to name them in the notes (first match wins).
FAMILIES = (
    ("care_outcomerating", "outcomes"),
    ("ROW_NUMBER", "continuity"),
    ("care_ledgerentry", "budget spent"),
    ("care_budget", "budget allocated"),
    ("care_experiencesurvey", "experience"),
    ("teams_membership", "stability"),
    ("care_visit", "visits"),
    ("teams_team", "teams"),
)


def add_arguments(p) -> None:
    seed_indicators.add_arguments(p)
    g = p.add_argument_group("indicators (figure 7)")
    g.add_argument(
        "--indicator-repeats",
        type=int,
        default=3,
        help="times each computation is timed per side (default 3)",
    )


def run(args, bench: harness.Bench, plan: dict | None = None) -> Figure:
    data = seed_data.prepare(args, bench, "indicators")
    with data.connected():
        return indicators_figure(args, data.plan("indicators"))


def family(sql: str) -> str:
    for marker, name in FAMILIES:
        if marker in sql:
            return name
    return "other"


def indicators_figure(args, seeded: dict) -> Figure:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from care.figures.compute import network_indicators
    from care.figures.periods import parse_period

    periods = [parse_period(seeded["month"])]
    if seeded.get("quarter"):
        periods.append(parse_period(seeded["quarter"]))
    figure = Figure(
        7,
        "Indicators",
        f"{seeded['teams']:,} teams, {seeded['clients']:,} clients,"
        f" {seeded['visits']:,} visits from {seeded['first']} to {seeded['after']},"
        f" the whole network at once, {args.indicator_repeats} runs each, in-process",
    )
    for period in periods:
        start, end = period.start(), period.end()
        visits = seed_data.scalar(
            "SELECT count(*) FROM care_visit WHERE window_start >= %s AND window_start < %s",
            [start, end],
        )
        say(f"indicators: {period.label}, {visits:,} visits")
        kith, bare, captured, found = [], [], None, None
        for repeat in range(args.indicator_repeats):
            sides = ["kith", "bare"] if repeat % 2 == 0 else ["bare", "kith"]
            for side in sides:
                if side == "bare":
                    started = time.perf_counter()
                    with connection.cursor() as cursor:
                        cursor.execute(BARE_AGGREGATE, [start, end])
                        cursor.fetchall()
                    bare.append(time.perf_counter() - started)
                elif captured is None:
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        found = network_indicators(period)
                        kith.append(time.perf_counter() - started)
                    captured = list(queries.captured_queries)
                else:
                    started = time.perf_counter()
                    network_indicators(period)
                    kith.append(time.perf_counter() - started)
        name = f"{period.kind} {period.label}"
        figure.row(f"{name}, median", ms(median(kith)), ms(median(bare)), " ms")
        figure.row(f"{name}, slowest", ms(max(kith)), ms(max(bare)), " ms")
        figure.row(f"{name}, queries", len(captured), 1)
        figure.goal(
            f"whole network <= {GOAL_NETWORK_SECONDS} s, {name} (median)",
            median(kith) <= GOAL_NETWORK_SECONDS,
        )
        times: dict[str, float] = {}
        for query in captured:
            label = family(query["sql"])
            times[label] = times.get(label, 0.0) + float(query["time"])
        figure.notes.append(
            f"{name}, Kith's queries (first run): "
            + ", ".join(f"{label} {seconds:.2f} s" for label, seconds in times.items())
        )
        figure.notes.append(f"{name}: {visits:,} visits; {_with_data(found)}")
        if period is periods[0]:
            visit_sql = next(q["sql"] for q in captured if family(q["sql"]) == "visits")
            figure.notes.append(
                f"plan of Kith's visits query, {name}: "
                + " <- ".join(plan_summary(visit_sql, None))
            )
    if seeded.get("quarter"):
        opened = open_snapshot(seeded["quarter"])
        bare50, bare95 = opened["bare"]
        for side, name in (("api", "API"), ("page", "portal page")):
            p50, p95 = opened[side]
            figure.row(f"open a published snapshot ({name}), p50", p50, bare50, " ms")
            figure.row(f"open a published snapshot ({name}), p95", p95, bare95, " ms")
            figure.goal(
                f"open a published snapshot ({name}) <= {GOAL_SNAPSHOT_MS} ms (p95)",
                p95 <= GOAL_SNAPSHOT_MS,
            )
        figure.notes.append(
            f"open a published snapshot: {opened['snapshots']} snapshots of"
            f" {seeded['quarter']}, published through the decision engine; opened"
            f" {opened['opens']['api']} times each way by an inspector through Django's"
            " whole request path (session, check, read, read log, JSON or HTML); bare:"
            " SELECT content of the row"
        )
    figure.notes.append(
        "bare: one SELECT ... GROUP BY team over the period's visits joined to their"
        " clients (planned, done, clients served, time delivered)"
    )
    figure.notes.append(load_note())
    return figure


def median(values: list[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> float:
    return seconds * 1000


def _with_data(found: dict) -> str:
    """How many teams have a value for each indicator: every one should have some."""
    if not found:
        return "no teams"
    keys = next(iter(found.values())).indicators
    empty = [key for key in keys if all(team[key].value is None for team in found.values())]
    teams_with_visits = sum(1 for team in found.values() if team["clients_served"].value)
    text = (
        f"{len(found):,} teams computed, {teams_with_visits:,} with visits;"
        f" {len(keys) - len(empty)} of {len(keys)} indicators have values"
    )
    if empty:
        text += f" (none for {', '.join(empty)}"
        if all(key.startswith("experience") for key in empty):
            text += ": the experience survey is asked per quarter, not per month"
        text += ")"
    return text


SNAPSHOT_TEAMS = 5
SNAPSHOT_OPENS = 200


def _publish_snapshots(period: str, teams: int) -> list[int]:
    """Published snapshots of ``period`` for the first ``teams`` teams, made the way a
    team makes them: a role handover decided by consent makes a member the informer,
    who prepares the snapshot (the team's indicators, disclosure control) and proposes
    it; every member consents and the window closes (``teams.demo._decided``, the
    demo's path through the real decision engine). Kept in the data database: a
    rerun finds them."""
    from care.figures.quality import services as quality
    from care.models import Snapshot
    from teams.demo import _decided
    from teams.models import Membership, Role, Team
    from teams.services import proposals as proposal_services
    from teams.services.effects import roles_ensure_standard

    found = []
    for team in Team.objects.order_by("pk")[:teams]:
        published = Snapshot.objects.published().filter(team=team, period=period).first()
        if published is not None:
            found.append(published.pk)
            continue
        members = [
            m.person
            for m in Membership.objects.current().filter(team=team).select_related("person")
        ]
        roles_ensure_standard(team)
        informer = members[0]
        handover = proposal_services.proposal_raise(
            actor=informer,
            team=team,
            kind="role_handover",
            title=f"{informer.display_name} as informer for a year",
            purpose="The bench's informer.",
            payload={"role": Role.INFORMER, "person": informer.pk, "handover_notes": ""},
        )
        _decided(handover, consenting=members, days_ago=10)
        draft = quality.snapshot_prepare(actor=informer, team=team, period=period)
        proposal = quality.snapshot_propose(actor=informer, snapshot=draft)
        if _decided(proposal, consenting=members, days_ago=4).status != "adopted":
            raise RuntimeError(f"the bench's snapshot of {team} was not adopted")
        found.append(draft.pk)
    return found


def open_snapshot(period: str, budget: float = 60.0) -> dict:
    """Opening a published snapshot as an inspector does, through Django's whole
    request path (middleware, session, the inspector's check, the read, the read log,
    the response): the API's ``GET /api/v1/snapshots/<id>`` and the portal's
    page, each beside the bare read of the row (one ``SELECT content``). p50 and p95
    over SNAPSHOT_OPENS opens of random snapshots per side, alternating."""
    import random

    from django.db import connection
    from django.test import Client

    from bench.search import alternate, p50_p95
    from teams.models import Person

    say(f"snapshots: publishing {SNAPSHOT_TEAMS} teams' {period} (first run only)")
    ids = _publish_snapshots(period, SNAPSHOT_TEAMS)
    inspector, _ = Person.objects.get_or_create(
        username="bench-inspector",
        defaults={"kind": Person.Kind.INSPECTOR, "first_name": "Bench", "last_name": "Inspector"},
    )
    client = Client()
    client.force_login(inspector)
    picks = [random.Random(n).choice(ids) for n in range(SNAPSHOT_OPENS)]

    def api(pk):
        def call():
            answer = client.get(f"/api/v1/snapshots/{pk}")
            assert answer.status_code == 200, answer.status_code

        return call

    def page(pk):
        def call():
            answer = client.get(f"/quality/snapshots/{pk}/")
            assert answer.status_code == 200, answer.status_code

        return call

    def bare(pk):
        def call():
            with connection.cursor() as cursor:
                cursor.execute("SELECT content FROM care_snapshot WHERE id = %s", [pk])
                cursor.fetchone()

        return call

    times = alternate(
        {
            "api": [api(pk) for pk in picks],
            "page": [page(pk) for pk in picks],
            "bare": [bare(pk) for pk in picks],
        },
        budget,
    )
    return {side: p50_p95(seconds) for side, seconds in times.items()} | {
        "opens": {side: len(seconds) for side, seconds in times.items()},
        "snapshots": len(ids),
    }


def main() -> None:
    from bench.search import run_data_figures

    run_data_figures(__doc__, add_arguments, [run])


if __name__ == "__main__":
    main()
