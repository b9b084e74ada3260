"""Figure 4, the board API: ``GET /api/v1/teams/<id>/board?date=&days=1`` for a team
day of 50 visits, requests per second and queries per request, beside a bare DRF list
of the same rows (one ``select_related`` query). Queries are also counted on days of
10 and 200 visits: the count must not grow with rows.

    .venv/bin/python -m bench.board --duration 30 --daphne-procs 2
"""

from __future__ import annotations

from bench import harness
from bench.harness import Figure, say

GOAL_RATIO = 0.9
GOAL_QUERIES = 3
KITH_BOARD = "/api/v1/teams/{team}/board?date={date}&days=1"
BARE_LIST = "/bare/teams/{team}/visits?date={date}"


def add_arguments(p) -> None:
    g = p.add_argument_group("board API")
    g.add_argument(
        "--board-concurrency",
        type=int,
        default=8,
        help="requests in flight per HTTP process (default 8)",
    )


def endpoint_missing(plan: dict) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(KITH_BOARD.format(team=plan["board_team"], date="2000-01-01").split("?")[0])
    except Resolver404:
        return True
    return False


def count_queries(template: str, plan: dict, token: str) -> dict[int, tuple[int, int]]:
    """{visits that day: (status, queries)} for one request each, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(headers={"authorization": f"Token {token}"})
    found = {}
    for size, day in sorted(plan["board_days"].items(), key=lambda item: int(item[0])):
        url = template.format(team=plan["board_team"], date=day)
        client.get(url)  # warm: first-request work (imports, caches) is not per request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        found[int(size)] = (response.status_code, len(queries.captured_queries))
    return found


def run(args, bench: harness.Bench, plan: dict) -> Figure:
    from bench import seed

    team = plan["board_team"]
    day = plan["board_days"]["50"]
    members = dict(seed.teams_and_members(args.teams))[team]
    token = seed.tokens([members[0]])[members[0]]
    figure = Figure(
        4,
        "Board API",
        f"one team day of 50 visits, {args.daphne_procs} daphne,"
        f" {args.http_procs} x {args.board_concurrency} requests in flight, {args.duration:g} s",
    )
    templates = {"kith": KITH_BOARD, "bare": BARE_LIST}
    sides: dict[str, dict | None] = {}
    for side, template in templates.items():
        if side == "kith" and endpoint_missing(plan):
            figure.notes.append(
                f"Kith side skipped: GET {KITH_BOARD.format(team='<id>', date='<day>')}"
                " is not there yet (404)"
            )
            sides[side] = None
            continue
        queries = count_queries(template, plan, token)
        if any(status != 200 for status, _ in queries.values()):
            figure.notes.append(f"{side}: in-process answers {queries} (status, queries)")
        say(f"board: {side}")
        path = template.format(team=team, date=day)
        sides[side] = {"queries": queries, **measure(args, bench, side, path, token)}
    kith = sides["kith"] or {}
    bare = sides["bare"] or {}
    figure.row("requests/s (200 OK)", kith.get("rate"), bare.get("rate"))
    figure.row("latency p50", kith.get("p50"), bare.get("p50"), " ms")
    figure.row("latency p99", kith.get("p99"), bare.get("p99"), " ms")
    for size in sorted(int(s) for s in plan["board_days"]):
        figure.row(
            f"queries/request, {size} visits",
            kith.get("queries", {}).get(size, (None, None))[1],
            bare.get("queries", {}).get(size, (None, None))[1],
        )
    for side, result in sides.items():
        if result and (result["others"] or result["errors"]):
            figure.notes.append(
                f"{side}: other answers {result['others']}, errors {result['errors']}"
                + "".join(f"; {s}: {result['samples'][s][:160]}" for s in result["others"])
            )
    figure.notes.append("queries/request includes the one query of token authentication")
    if sides["kith"] is None:
        figure.goal(f">= {GOAL_RATIO} of the bare list's requests/s", None)
        figure.goal(f"<= {GOAL_QUERIES} queries, constant as rows grow", None)
    else:
        r = harness.ratio(kith["rate"], bare.get("rate"))
        figure.goal(
            f">= {GOAL_RATIO} of the bare list's requests/s", r is not None and r >= GOAL_RATIO
        )
        counts = {n for _, n in kith["queries"].values()}
        figure.goal(
            f"<= {GOAL_QUERIES} queries, constant as rows grow",
            len(counts) == 1 and max(counts) <= GOAL_QUERIES,
        )
    return figure


def measure(args, bench, side: str, path: str, token: str) -> dict:
    from bench.load import Call, http_worker

    call = Call("GET", path, {"Authorization": f"Token {token}", "Accept": "application/json"})
    with harness.servers(bench, side, args.daphne_procs) as daphnes:
        opts = {
            "servers": [d.address for d in daphnes],
            "concurrency": args.board_concurrency,
            "duration": args.duration,
            "repeat": True,
        }
        procs = max(1, args.http_procs)
        workers = [harness.Worker(http_worker, [call], opts) for _ in range(procs)]
        try:
            for worker in workers:
                worker.expect("ready", 60)
            for worker in workers:
                worker.send("go")
            answers = [worker.expect("result", args.duration + 120) for worker in workers]
        finally:
            for worker in workers:
                worker.close()
    records = [record for answer in answers for record in answer["records"]]
    ok = [(sent, answered) for _tag, sent, answered, status in records if status == 200]
    others: dict[int, int] = {}
    for *_rest, status in records:
        if status != 200:
            others[status] = others.get(status, 0) + 1
    started = min(a["started"] for a in answers)
    finished = max(a["finished"] for a in answers)
    p50, p99 = harness.quantiles_ms(answered - sent for sent, answered in ok)
    samples: dict[int, str] = {}
    errors: dict[str, int] = {}
    for answer in answers:
        samples.update(answer["samples"])
        for name, count in answer["errors"].items():
            errors[name] = errors.get(name, 0) + count
    return {
        "rate": len(ok) / (finished - started) if finished > started else None,
        "p50": p50,
        "p99": p99,
        "others": others,
        "samples": samples,
        "errors": errors,
    }


def main() -> None:
    harness.run_one(__doc__, add_arguments, run)


if __name__ == "__main__":
    main()
