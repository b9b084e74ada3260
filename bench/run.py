"""The figures in one run, each beside the bare stack.

    .venv/bin/python -m bench.run --teams 1000 --per-team 10 --duration 30 --daphne-procs 2
    .venv/bin/python -m bench.run --only 5,6,7

Figures 1 to 4 (live coordination) run by default, on the seeded ``kith_bench``.
Figures 5 to 7 (practice search, the network feed, indicators) run with ``--only``
(``--only all`` for all seven): they are measured in-process on their own database,
whose first seeding (a million notes, five million visits) takes several minutes.

Prints each figure as it is measured, then the figures as a Markdown table with the
date and the machine (ready for bench/README.md); the same table and the raw figures
are written to bench/results/<date-time>/ beside the daphne logs.
"""

from __future__ import annotations

import json
import sys

from bench import board, fanout, harness, indicators, search, seed_data, storm, writes

# Each figure's run(args, bench, plan) -> Figure; the modules add their arguments.
FIGURES = {
    1: fanout.run,
    2: writes.run,
    3: storm.run,
    4: board.run,
    5: search.run_search,
    6: search.run_feed,
    7: indicators.run,
}
MODULES = (fanout, writes, storm, board, search, indicators)
LIVE = {1, 2, 3, 4}  # the figures on kith_bench (the others use the data database)
DEFAULT = "1,2,3,4"


def markdown(figures: list[harness.Figure], machine: dict, services: str, command: str) -> str:
    lines = [
        f"Measured {machine['date']} on {machine['host']}: {machine['cpu']}, {machine['memory']},"
        f" {machine['os']}; Python {machine['python']}; {machine['packages']}; {services}.",
        "",
        f"Command: `{command}`",
        "",
        "| figure | measure | Kith | bare | Kith/bare |",
        "|---|---|---:|---:|---:|",
    ]
    for figure in figures:
        for label, kith, bare, unit in figure.rows:
            r = harness.ratio(kith, bare)
            lines.append(
                f"| {figure.number}. {figure.title} | {label} | {harness.fmt(kith, unit)}"
                f" | {harness.fmt(bare, unit)} | {'' if r is None else format(r, '.2f')} |"
            )
    lines.append("")
    for figure in figures:
        lines.append(f"- Figure {figure.number} ({figure.setup}).")
        for text, met in figure.goals:
            verdict = "n/a" if met is None else ("met" if met else "**not met**")
            lines.append(f"  Goal {text}: {verdict}.")
        for note in figure.notes:
            lines.append(f"  {note}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = harness.parser(__doc__.split("\n\n")[0])
    seed_data.add_arguments(p)
    for module in MODULES:
        module.add_arguments(p)
    p.add_argument(
        "--only",
        default=DEFAULT,
        help=f"which figures, comma-separated, or all (default {DEFAULT})",
    )
    args = p.parse_args()
    only = ",".join(map(str, FIGURES)) if args.only.strip() == "all" else args.only
    try:
        wanted = [int(n) for n in only.split(",") if n.strip()]
    except ValueError:
        raise SystemExit(
            f"--only: figure numbers, comma-separated, or all; not {args.only!r}"
        ) from None
    if unknown := set(wanted) - set(FIGURES):
        raise SystemExit(f"--only: no figure {sorted(unknown)}; there are 1 to {len(FIGURES)}")
    bench = harness.Bench.from_args(args)
    bench.setup()
    figures = []
    try:
        # Figures 5 to 7 seed and reuse their own database (bench/seed_data.py).
        plan = bench.ensure_seeded(args) if LIVE & set(wanted) else None
        for number in wanted:
            figure = FIGURES[number](args, bench, plan)
            figure.print()
            figures.append(figure)
    finally:
        if args.drop:
            bench.drop()
        if args.drop_data:
            seed_data.DataDatabase(bench, args.data_db).drop()
    machine = harness.machine()
    command = "python -m bench.run " + " ".join(sys.argv[1:])
    text = markdown(figures, machine, harness.services_versions(bench), command.strip())
    (bench.run_dir / "figures.md").write_text(text)
    (bench.run_dir / "figures.json").write_text(
        json.dumps(
            {"machine": machine, "figures": [f.as_dict() for f in figures]}, indent=2, default=str
        )
    )
    print("\n" + text)
    print(f"(also in {bench.run_dir.relative_to(harness.ROOT)}/)")


if __name__ == "__main__":
    main()
