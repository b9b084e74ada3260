"""Disclosure control of a snapshot: a pure function of the team's figures for one
period and the team's snapshots published already. It reads no database.

The rules (``docs/indicators.md`` explains them at more length):

1. **No personal data.** The table holds counts and rates only: no names, no ids of
   clients or people (the team's own id and name, the period and Omaha problem
   numbers are not personal).
2. **Primary suppression.** A figure resting on fewer than five clients (its
   ``clients``, 1 to 4) is hidden: value, numerator, denominator and the client count
   itself, shown as "fewer than 5". Zero clients is not hidden (nobody to point at);
   team stability rests on no client and is never hidden.
3. **Secondary suppression, across cells.** The outcome rows per Omaha problem add up
   to the team's outcome figures (problems rated, problems improved, and the sums of
   change the means come from). When a row is hidden, more rows are hidden with it,
   smallest first, until no hidden row's figures can be worked out by subtracting the
   shown rows from the totals, reckoning with everything a reader knows (a hidden row
   has at least one problem and, being hidden before or with the smallest, no more
   than the smallest shown row; at least one hidden row has fewer than five; a change
   lies between -4 and +4 per problem; improved problems are at most the problems).
   When hiding every row is not enough, the team's outcome figures are hidden too.
   Rows hidden to protect others are shown as "fewer than 5" as well: telling them
   apart would tell a reader that they hold five or more, which is itself enough to
   work a small row out (a row of 1 beside a hidden row known to hold at least 5, with
   6 missing from the total).
   The other figures of a team add up to nothing else in the same table: figures
   resting on the same clients (clients served, punctuality, hours per client) are
   hidden together because they share the count.
4. **Across periods.** A quarter is the sum of its three months for the counts
   (visits, minutes, money, members), so a month hidden in its own snapshot could be
   worked out from the quarter and the other two months. A team therefore publishes a
   quarter either as the quarter or as its months, never both: a snapshot whose
   period overlaps one the team has published at the other granularity is refused.
   Months do not overlap one another, nor quarters; a correction (a new version of
   the same period) replaces its period's figures and is allowed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

from django.core.exceptions import ValidationError

THRESHOLD = 5
HIDDEN = "fewer than 5"
LEGEND = (
    f'"{HIDDEN}": a figure resting on fewer than {THRESHOLD} clients, or one hidden with it'
    " so that it cannot be worked out from the totals (which of the two is not said)."
)
# Each score of a plan problem moves by at most this much between two ratings (1 to 5).
MAX_CHANGE = 4
OUTCOME_KEYS = ("knowledge_change", "behavior_change", "status_change", "problems_improved")
FIGURE_FIELDS = ("value", "numerator", "denominator", "clients")
ROW_FIGURES = (
    "problems",
    "clients",
    "improved",
    "knowledge_change",
    "behavior_change",
    "status_change",
)
# A problem row's sums of change, and the team figure whose numerator they add up to.
ROW_TOTALS = {
    "knowledge_total": "knowledge_change",
    "behavior_total": "behavior_change",
    "status_total": "status_change",
}


def overlaps(period: str, other: str) -> bool:
    """Do the two periods ("2026-03", "2026-Q1") share days without being the same
    period? (A month and the quarter it is in.)"""
    if period == other:
        return False
    months = {period, other} - {p for p in (period, other) if "Q" in p}
    quarters = {period, other} - months
    if len(months) != 1 or len(quarters) != 1:
        return False
    (month,), (quarter,) = months, quarters
    year, number = month.split("-")
    return quarter == f"{year}-Q{(int(number) - 1) // 3 + 1}"


def _refuse_overlap(period: str, published: Iterable[dict]) -> None:
    clashing = sorted({p["period"] for p in published if overlaps(period, p["period"])})
    if clashing:
        raise ValidationError(
            {
                "period": [
                    f"The team has published {', '.join(clashing)}, which shares days with"
                    f" {period}. A quarter is published either as the quarter or month by"
                    " month, never both: together they would let a hidden figure be worked"
                    " out by subtraction."
                ]
            }
        )


def _small(clients) -> bool:
    return clients is not None and 0 < clients < THRESHOLD


def _hide(figure: dict) -> None:
    for name in FIGURE_FIELDS:
        figure[name] = None
    figure["suppressed"] = HIDDEN


# --- what a reader can work out of the outcome rows -------------------------------------------


def _problem_values(hidden: int, residual: int, most: int) -> set[int]:
    """The problem counts one hidden row can have, given that the ``hidden`` rows hold
    ``residual`` problems together, each from 1 to ``most``, at least one under the
    threshold. (Every hidden row is alike to a reader, so the answer is the same for
    each.)"""
    others = hidden - 1
    small_top = min(THRESHOLD - 1, most)
    values = set()
    for value in range(1, most + 1):
        rest = residual - value
        if value < THRESHOLD:
            fits = others * 1 <= rest <= others * most
        else:
            # One of the others must be the small one.
            fits = others >= 1 and others <= rest <= (others - 1) * most + small_top
        if fits:
            values.add(value)
    return values


def _interval(hidden: int, residual: int, low: int, high: int) -> tuple[int, int]:
    """The values one of ``hidden`` unknowns, each from ``low`` to ``high``, can take
    when they add up to ``residual``."""
    others = hidden - 1
    return max(low, residual - others * high), min(high, residual - others * low)


def worked_out(rows: list[dict], hidden: set[int], totals: dict[str, int]) -> list[str]:
    """What a reader could work out exactly about the hidden rows (indexes into
    ``rows``) from the shown rows and the team's ``totals`` ("problems", "improved" and
    the three "*_total" sums); empty when nothing. Used to decide, and in tests."""
    if not hidden:
        return []
    shown = [row for i, row in enumerate(rows) if i not in hidden]
    count = len(hidden)
    # A hidden row holds no more problems than the smallest shown one.
    most = min((row["problems"] for row in shown), default=totals["problems"])
    found = []
    residual = totals["problems"] - sum(row["problems"] for row in shown)
    possible = _problem_values(count, residual, most)
    if len(possible) <= 1:
        found.append(f"problems: {sorted(possible)}")
    top = max(possible, default=0)
    residual = totals["improved"] - sum(row["improved"] for row in shown)
    low, high = _interval(count, residual, 0, top)
    if low >= high:
        found.append(f"improved: {low}")
    for name in ROW_TOTALS:
        residual = totals[name] - sum(row[name] for row in shown)
        low, high = _interval(count, residual, -MAX_CHANGE * top, MAX_CHANGE * top)
        if low >= high:
            found.append(f"{name}: {low}")
    return found


def _protect_outcomes(indicators: dict, rows: list[dict]) -> set[int]:
    """The indexes of the problem rows to hide; hides the team's outcome figures too
    when hiding rows alone cannot protect them."""
    hidden = {i for i, row in enumerate(rows) if _small(row["clients"])}
    totals_shown = not any(indicators[key].get("suppressed") for key in OUTCOME_KEYS)
    if not hidden or not totals_shown:
        return set(range(len(rows))) if not totals_shown else hidden
    totals = {
        "problems": indicators["knowledge_change"]["denominator"],
        "improved": indicators["problems_improved"]["numerator"],
        **{name: indicators[key]["numerator"] for name, key in ROW_TOTALS.items()},
    }
    while worked_out(rows, hidden, totals):
        shown = [i for i in range(len(rows)) if i not in hidden]
        if not shown:
            for key in OUTCOME_KEYS:
                _hide(indicators[key])
            break
        hidden.add(min(shown, key=lambda i: (rows[i]["problems"], rows[i]["problem"])))
    return hidden


# --- the snapshot's table -------------------------------------------------------------------


def disclose(table: dict, published: Iterable[dict] = ()) -> dict:
    """The content of a snapshot: ``table`` (``care.figures.quality.content.source_table``)
    with every figure that could point at fewer than five clients hidden. Refuses
    (ValidationError on ``period``) a period that overlaps one of ``published`` (the
    contents of the team's published snapshots) at the other granularity."""
    _refuse_overlap(table["period"], published)
    indicators = copy.deepcopy(table["indicators"])
    for figure in indicators.values():
        figure["suppressed"] = None
        if _small(figure.get("clients")):
            _hide(figure)
    rows = [dict(row) for row in table["outcomes_by_problem"]]
    hidden = _protect_outcomes(indicators, rows)
    published_rows = []
    for i, row in enumerate(rows):
        out = {"problem": row["problem"], "name": row["name"]}
        out |= {name: (None if i in hidden else row[name]) for name in ROW_FIGURES}
        out["suppressed"] = HIDDEN if i in hidden else None
        published_rows.append(out)
    return {
        "team": table["team"],
        "team_name": table["team_name"],
        "period": table["period"],
        "period_kind": table["period_kind"],
        "first_day": table["first_day"],
        "last_day": table["last_day"],
        "method_version": table["method_version"],
        "threshold": THRESHOLD,
        "legend": LEGEND,
        "indicators": indicators,
        "outcomes_by_problem": published_rows,
    }
