"""Figure 2, the write path: members claim unassigned visits through the API
(``POST /api/v1/visits/<id>/claim`` with ``If-Match``) while every member of every team
is on a socket. Claims per second, and the time from the HTTP response to the event
arriving on each teammate's socket. Beside it the bare stack: one conditional UPDATE
and a raw ``group_send`` behind a plain DRF view, to bare consumers.

    .venv/bin/python -m bench.writes --teams 1000 --per-team 10 --duration 30
"""

from __future__ import annotations

import uuid

from bench import harness
from bench.harness import Figure, say

GOAL_WRITES = 300
GOAL_P99_MS = 100
KITH_CLAIM = "/api/v1/visits/{id}/claim"
BARE_CLAIM = "/bare/visits/{id}/claim"


def add_arguments(p) -> None:
    g = p.add_argument_group("write path")
    g.add_argument(
        "--write-concurrency",
        type=int,
        default=16,
        help="claims in flight per HTTP process (default 16)",
    )
    g.add_argument(
        "--write-rate",
        type=float,
        default=0,
        help="claims/s to offer (default 0: as fast as --write-concurrency allows)",
    )


def endpoint_missing(template: str) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(template.format(id=1))
    except Resolver404:
        return True
    return False


def run(args, bench: harness.Bench, plan: dict) -> Figure:
    from bench import seed

    teams = seed.teams_and_members(args.teams)
    sockets = sum(len(members) for _, members in teams)
    figure = Figure(
        2,
        "Write path",
        f"{len(teams):,} teams x {args.per_team} sockets = {sockets:,} sockets,"
        f" {args.daphne_procs} daphne,"
        f" {args.http_procs} x {args.write_concurrency} claims in flight"
        + (f" at {args.write_rate:g}/s" if args.write_rate else " (closed loop)")
        + f", {args.duration:g} s",
    )
    sides: dict[str, dict | None] = {}
    if endpoint_missing(KITH_CLAIM):
        sides["kith"] = None
        figure.notes.append(
            f"Kith side skipped: POST {KITH_CLAIM.format(id='<id>')} is not there yet (404)"
        )
    else:
        say("write path: kith")
        sides["kith"] = measure(args, bench, "kith", teams)
    say("write path: bare")
    sides["bare"] = measure(args, bench, "bare", teams)
    kith = sides["kith"] or {}
    bare = sides["bare"]
    if sides["kith"] is not None and kith["ok"] == 0 and 404 in kith["statuses"]:
        figure.notes.append(f"Kith side answered 404: {kith['samples'].get(404, '')[:120]}")
    for label, key, unit in (
        ("claims/s (200 OK)", "rate", ""),
        ("claims answered 200", "ok", ""),
        ("response time p50", "rtt_p50", " ms"),
        ("response time p99", "rtt_p99", " ms"),
        ("response -> teammates p50", "p50", " ms"),
        ("response -> teammates p99", "p99", " ms"),
        ("deliveries before response", "early", ""),
        ("teammate deliveries missing", "missing", ""),
    ):
        figure.row(label, kith.get(key), bare.get(key), unit)
    for side, result in sides.items():
        if result is None:
            continue
        others = {s: n for s, n in result["statuses"].items() if s != 200}
        if others or result["errors"]:
            figure.notes.append(
                f"{side}: other answers {others or 'none'}, errors {result['errors'] or 'none'}"
                + "".join(f"; {s}: {result['samples'][s][:160]}" for s in others)
            )
        if result["exhausted"]:
            figure.notes.append(
                f"{side}: the claim pool ran out before the duration (--claims-per-team)"
            )
    if sides["kith"] is None:
        figure.goal(f">= {GOAL_WRITES} writes/s", None)
        figure.goal(f"p99 <= {GOAL_P99_MS} ms", None)
    else:
        figure.goal(f">= {GOAL_WRITES} writes/s", (kith["rate"] or 0) >= GOAL_WRITES)
        figure.goal(
            f"p99 <= {GOAL_P99_MS} ms", kith["p99"] is not None and kith["p99"] <= GOAL_P99_MS
        )
    figure.notes.append(
        "response -> teammates is measured from the moment the claimer's HTTP response"
        " arrived; an event can arrive first (negative values, counted above)"
    )
    return figure


def calls(side: str, teams, pool, tokens) -> list:
    from bench.load import Call

    template = KITH_CLAIM if side == "kith" else BARE_CLAIM
    members = dict(teams)
    taken: dict[int, int] = {}
    out = []
    for visit_id, team_id in pool:
        k = taken[team_id] = taken.get(team_id, -1) + 1
        claimer = members[team_id][k % len(members[team_id])]
        headers = {
            "Authorization": f"Token {tokens[claimer]}",
            "If-Match": '"1"',
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        if side == "kith":
            headers["Idempotency-Key"] = uuid.uuid4().hex  # as the offline queue sends
        out.append(Call("POST", template.format(id=visit_id), headers, tag=visit_id))
    return out


def measure(args, bench, side: str, teams) -> dict:
    from bench import seed
    from bench.load import http_worker

    seed.reset_claims()
    pool = seed.claim_pool([team_id for team_id, _ in teams])
    tokens = seed.tokens([p for _, members in teams for p in members])
    todo = calls(side, teams, pool, tokens)
    with harness.servers(bench, side, args.daphne_procs) as daphnes:
        if side == "kith":
            cookies = seed.sessions([p for _, members in teams for p in members])
            specs = harness.kith_specs(teams, cookies)
        else:
            specs = harness.bare_specs(teams)
        fleet = harness.Fleet(specs, side, daphnes, args.load_procs)
        http = []
        try:
            fleet.wait_ready()
            opts = {
                "servers": [d.address for d in daphnes],
                "concurrency": args.write_concurrency,
                "duration": args.duration,
                "rate": args.write_rate / args.http_procs if args.write_rate else 0,
            }
            procs = max(1, args.http_procs)
            http = [harness.Worker(http_worker, todo[i::procs], opts) for i in range(procs)]
            for worker in http:
                worker.expect("ready", 60)
            for worker in http:
                worker.send("go")
            answers = [worker.expect("result", args.duration + 120) for worker in http]
            fleet.drain()
            result = fleet.stop()
        finally:
            for worker in http:
                worker.close()
            fleet.close()
    records = [record for answer in answers for record in answer["records"]]
    statuses: dict[int, int] = {}
    for _tag, _sent, _answered, status in records:
        statuses[status] = statuses.get(status, 0) + 1
    ok = {tag: answered for tag, _sent, answered, status in records if status == 200}
    rtt_p50, rtt_p99 = harness.quantiles_ms(
        answered - sent for _t, sent, answered, status in records if status == 200
    )
    delays = [t - ok[visit] for visit, t in result["claims"] if visit in ok]
    p50, p99 = harness.quantiles_ms(delays)
    span = max(r[2] for r in records) - min(r[1] for r in records) if records else 0
    samples: dict[int, str] = {}
    errors: dict[str, int] = {}
    for answer in answers:
        samples.update(answer["samples"])
        for name, count in answer["errors"].items():
            errors[name] = errors.get(name, 0) + count
    return {
        "rate": len(ok) / span if span > 0 else None,
        "ok": len(ok),
        "rtt_p50": rtt_p50,
        "rtt_p99": rtt_p99,
        "p50": p50,
        "p99": p99,
        "early": sum(1 for d in delays if d < 0),
        "missing": len(ok) * (args.per_team - 1) - len(delays) if ok else None,
        "statuses": statuses,
        "samples": samples,
        "errors": errors,
        "exhausted": len(records) >= len(todo),
    }


def main() -> None:
    harness.run_one(__doc__, add_arguments, run)


if __name__ == "__main__":
    main()
