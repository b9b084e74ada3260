"""All four figures in one run, on one seeded database, each beside the bare stack.

    .venv/bin/python -m bench.run --teams 1000 --per-team 10 --duration 30 --daphne-procs 2

Prints each figure as it is measured, then the figures as a Markdown table with the
date and the machine (ready for bench/README.md); the same table and the raw figures
are written to bench/results/<date-time>/ beside the daphne logs.
"""

from __future__ import annotations

import json
import sys

from bench import board, fanout, harness, storm, writes

FIGURES = {1: fanout, 2: writes, 3: storm, 4: board}


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
    for module in FIGURES.values():
        module.add_arguments(p)
    p.add_argument(
        "--only", default="1,2,3,4", help="which figures, comma-separated (default 1,2,3,4)"
    )
    args = p.parse_args()
    wanted = [int(n) for n in args.only.split(",") if n.strip()]
    if unknown := set(wanted) - set(FIGURES):
        raise SystemExit(f"--only: no figure {sorted(unknown)}; there are 1 to 4")
    bench = harness.Bench.from_args(args)
    bench.setup()
    figures = []
    try:
        plan = bench.ensure_seeded(args)
        for number in wanted:
            figure = FIGURES[number].run(args, bench, plan)
            figure.print()
            figures.append(figure)
    finally:
        if args.drop:
            bench.drop()
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
