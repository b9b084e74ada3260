"""Figure 1, fan-out: every member of every team on a socket; events published to the
team streams reach all ten. Deliveries per second, p50/p99 latency (from the moment
each event was due to be published to its arrival on a socket), and loss counted by
sequence numbers. Beside it the bare stack, same sockets, same rate, same run.

    .venv/bin/python -m bench.fanout --teams 1000 --per-team 10 --duration 30
"""

from __future__ import annotations

from bench import harness
from bench.harness import Figure, say

GOAL_DELIVERIES = 12_000
GOAL_P99_MS = 50


def add_arguments(p) -> None:
    g = p.add_argument_group("fan-out")
    g.add_argument(
        "--rate",
        type=float,
        default=0,
        help="events/s published over all teams (default: 12,000 deliveries/s / --per-team)",
    )
    g.add_argument("--payload", type=int, default=1024, help="bytes of padding per event (1024)")
    g.add_argument(
        "--publishers", type=int, default=1, help="publisher processes per side (default 1)"
    )
    g.add_argument(
        "--publish-concurrency",
        type=int,
        default=8,
        help="publishes in flight per publisher (default 8)",
    )
    g.add_argument(
        "--bare-consumer",
        choices=["fast", "stock"],
        default="fast",
        help="bare consumer's dispatch: like LiveConsumer's (fast) or Channels' own (stock)",
    )


def rate(args) -> float:
    return args.rate or GOAL_DELIVERIES / args.per_team


def run(args, bench: harness.Bench, plan: dict) -> Figure:
    from bench import seed

    teams = seed.teams_and_members(args.teams)
    streams = [f"team.{team_id}" for team_id, _ in teams]
    sockets = sum(len(members) for _, members in teams)
    offered = rate(args)
    figure = Figure(
        1,
        "Fan-out",
        f"{len(teams):,} teams x {args.per_team} sockets = {sockets:,} sockets,"
        f" {args.daphne_procs} daphne, {offered:,.0f} events/s offered for {args.duration:g} s,"
        f" {args.payload} B padding"
        + (
            ", bare consumer with Channels' stock dispatch" if args.bare_consumer == "stock" else ""
        ),
    )
    sides = {}
    for side in ("kith", "bare"):
        say(f"fan-out: {side}")
        sides[side] = measure(args, bench, side, teams, streams, offered)
    kith, bare = sides["kith"], sides["bare"]
    figure.row("events published/s", kith["published_rate"], bare["published_rate"])
    figure.row("deliveries/s", kith["deliveries_rate"], bare["deliveries_rate"])
    figure.row("deliveries", kith["delivered"], bare["delivered"])
    figure.row("publish call p50", kith["publish_p50"], bare["publish_p50"], " ms")
    figure.row("publish call p99", kith["publish_p99"], bare["publish_p99"], " ms")
    figure.row("latency p50", kith["p50"], bare["p50"], " ms")
    figure.row("latency p99", kith["p99"], bare["p99"], " ms")
    figure.row("lost (by seq)", kith["lost"], bare["lost"])
    figure.row("duplicates", kith["dupes"], bare["dupes"])
    figure.row("sockets live at start", kith["live"], bare["live"])
    figure.goal(
        f">= {GOAL_DELIVERIES:,} deliveries/s",
        kith["deliveries_rate"] is not None and kith["deliveries_rate"] >= GOAL_DELIVERIES,
    )
    figure.goal(f"p99 <= {GOAL_P99_MS} ms", kith["p99"] is not None and kith["p99"] <= GOAL_P99_MS)
    figure.goal("nothing lost", kith["lost"] == 0 and kith["resets"] == 0)
    figure.notes.append(
        "publish call: from the moment an event was due to its publish returning"
        " (committed and handed to Redis); latency: from that moment to arrival on a socket"
    )
    if kith["resets"]:
        figure.notes.append(f"{kith['resets']} resets (a socket too far behind to replay)")
    return figure


def measure(args, bench, side: str, teams, streams, offered: float) -> dict:
    from bench import seed

    mode = "kith" if side == "kith" else ("bare-stock" if args.bare_consumer == "stock" else "bare")
    with harness.servers(bench, side, args.daphne_procs) as daphnes:
        if side == "kith":
            cookies = seed.sessions([p for _, members in teams for p in members])
            specs = harness.kith_specs(teams, cookies)
        else:
            specs = harness.bare_specs(teams)
        fleet = harness.Fleet(specs, mode, daphnes, args.load_procs)
        try:
            ready = fleet.wait_ready()
            publishers = [
                harness.Publisher(
                    side,
                    streams[i :: args.publishers],
                    rate=offered / args.publishers,
                    duration=args.duration,
                    payload=args.payload,
                    concurrency=args.publish_concurrency,
                )
                for i in range(max(1, args.publishers))
            ]
            for publisher in publishers:
                publisher.go()
            published = [p.result(args.duration + 120) for p in publishers]
            fleet.drain()
            result = fleet.stop()
        finally:
            fleet.close()
    if side == "kith":
        final = harness.heads(streams)
    else:
        final = {}
        for p in published:
            final.update(p["heads"])
    started = min(p["started"] for p in published)
    finished = max(p["finished"] for p in published)
    count = sum(p["published"] for p in published)
    p50, p99 = harness.quantiles_ms(result["latencies"])
    publish_p50, publish_p99 = harness.quantiles_ms(t for p in published for t in p["done"])
    elapsed = (result["last_recv"] or finished) - started
    return {
        "live": ready["live"],
        "published_rate": count / (finished - started) if finished > started else None,
        "delivered": result["delivered"],
        "deliveries_rate": result["delivered"] / elapsed if elapsed > 0 else None,
        "p50": p50,
        "p99": p99,
        "publish_p50": publish_p50,
        "publish_p99": publish_p99,
        **harness.loss(result["clients"], final),
    }


def main() -> None:
    harness.run_one(__doc__, add_arguments, run)


if __name__ == "__main__":
    main()
