"""Disclosure control of snapshots (care.figures.quality.disclosure), attacked.

The attacker here knows everything published and how the control works: a hidden
Omaha problem row has at least one problem and no more than the smallest row still
shown (rows are hidden smallest first), at least one hidden row rests on fewer than
five clients, a problem's change lies between -4 and +4, and improved problems are at
most the problems. ``feasible`` enumerates every integer assignment of the hidden
cells that agrees with the published totals; a hidden value is protected when more
than one fits. Everything here is pure: no database.
"""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from care.figures.quality.disclosure import HIDDEN, THRESHOLD, disclose, overlaps, worked_out

FIELDS = ("problems", "improved", "knowledge_total", "behavior_total", "status_total")


# --- tables -----------------------------------------------------------------------------------


def row(problem: int, problems: int, improved: int = 0, k: int = 0, b: int = 0, s: int = 0):
    """One Omaha problem row: ``problems`` plan problems (one per client), ``improved``
    of them improved, with sums of change ``k``, ``b``, ``s``."""
    assert 0 <= improved <= problems and all(abs(x) <= 4 * problems for x in (k, b, s))

    def mean(total):
        return f"{total / problems:.2f}"

    return {
        "problem": problem,
        "name": f"Problem {problem}",
        "problems": problems,
        "clients": problems,
        "improved": improved,
        "knowledge_change": mean(k),
        "behavior_change": mean(b),
        "status_change": mean(s),
        "knowledge_total": k,
        "behavior_total": b,
        "status_total": s,
    }


def figure(value, numerator, denominator, clients):
    return {
        "label": "x",
        "unit": "x",
        "family": "x",
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "clients": clients,
    }


def table(rows, *, clients=None, served=12, respondents=6, period="2026-Q1") -> dict:
    """A team's figures with these problem rows; the outcome totals add them up and
    rest on ``clients`` (the distinct clients of the rows: their sum unless given)."""
    problems = sum(r["problems"] for r in rows)
    clients = problems if clients is None else clients
    total = {name: sum(r[name] for r in rows) for name in FIELDS}
    kind = "quarter" if "Q" in period else "month"
    outcome = lambda key, name: figure("1.00", total[name], problems, clients)  # noqa: E731
    return {
        "team": 1,
        "team_name": "Noord",
        "period": period,
        "period_kind": kind,
        "first_day": "2026-01-01",
        "last_day": "2026-03-31",
        "method_version": "2",
        "indicators": {
            "clients_served": figure(served, served, None, served),
            "punctuality": figure("90.0", 9 * served, 10 * served, served),
            "hours_per_client": figure("1.5", 90 * served, served, served),
            "knowledge_change": outcome("knowledge_change", "knowledge_total"),
            "behavior_change": outcome("behavior_change", "behavior_total"),
            "status_change": outcome("status_change", "status_total"),
            "problems_improved": figure("50.0", total["improved"], problems, clients),
            "members_joined": figure(1, 1, 9, None),
            "experience_recommend": figure("40.0", 2, respondents, respondents),
        },
        "outcomes_by_problem": rows,
    }


# --- the attacker -----------------------------------------------------------------------------


def compositions(total: int, parts: int, low: int, high: int):
    if parts == 0:
        if total == 0:
            yield ()
        return
    for first in range(low, min(high, total - low * (parts - 1)) + 1):
        for rest in compositions(total - first, parts - 1, low, high):
            yield (first, *rest)


def sums(ranges: list[range]) -> set[int]:
    """Every total the integers drawn one from each range can make."""
    totals = {0}
    for values in ranges:
        totals = {t + v for t in totals for v in values}
    return totals


def fitting(total: int, ranges: list[range]) -> list[set[int]]:
    """For each unknown, the values it can take when one is drawn from each range and
    they add up to ``total``."""
    found = []
    for i, own in enumerate(ranges):
        others = sums(ranges[:i] + ranges[i + 1 :])
        found.append({v for v in own if total - v in others})
    return found


def feasible(source: dict, content: dict) -> dict[tuple[int, str], set[int]]:
    """For every hidden problem row and field, every value some assignment of the
    hidden cells consistent with everything published gives it."""
    published_rows = content["outcomes_by_problem"]
    hidden = [i for i, r in enumerate(published_rows) if r["suppressed"]]
    found: dict[tuple[int, str], set[int]] = {(i, f): set() for i in hidden for f in FIELDS}
    if not hidden:
        return found
    figures = content["indicators"]
    totals_published = not figures["knowledge_change"]["suppressed"]
    shown = [
        source["outcomes_by_problem"][i] for i in range(len(published_rows)) if i not in hidden
    ]
    # What the reader sees of the shown rows, exactly (the sums behind their means).
    most = min((r["problems"] for r in shown), default=None)
    if not totals_published:
        # No total to subtract from: each hidden cell is bounded only by what a row
        # can hold (at least one problem, and no upper bound a reader knows).
        for i in hidden:
            top = source["outcomes_by_problem"][i]["problems"] + 1
            found[(i, "problems")] = set(range(1, top + 1))
            found[(i, "improved")] = set(range(0, top + 1))
            for name in ("knowledge_total", "behavior_total", "status_total"):
                found[(i, name)] = set(range(-4 * top, 4 * top + 1))
        return found
    totals = {
        "problems": figures["knowledge_change"]["denominator"],
        "improved": figures["problems_improved"]["numerator"],
        "knowledge_total": figures["knowledge_change"]["numerator"],
        "behavior_total": figures["behavior_change"]["numerator"],
        "status_total": figures["status_change"]["numerator"],
    }
    residual = {f: totals[f] - sum(r[f] for r in shown) for f in FIELDS}
    most = residual["problems"] if most is None else most
    for problems in compositions(residual["problems"], len(hidden), 1, most):
        if min(problems) >= THRESHOLD:
            continue  # something was hidden because it was small
        improved = fitting(residual["improved"], [range(0, p + 1) for p in problems])
        changes = [range(-4 * p, 4 * p + 1) for p in problems]
        if not all(improved):
            continue  # no way to share out the improved problems: not a solution
        per_field = {"improved": improved}
        for name in ("knowledge_total", "behavior_total", "status_total"):
            per_field[name] = fitting(residual[name], changes)
        if not all(all(values) for values in per_field.values()):
            continue
        for name, values in per_field.items():
            for i, these in zip(hidden, values, strict=True):
                found[(i, name)] |= these
        for i, value in zip(hidden, problems, strict=True):
            found[(i, "problems")].add(value)
    return found


def assert_protected(source: dict, content: dict) -> None:
    for (i, name), values in feasible(source, content).items():
        true = source["outcomes_by_problem"][i][name]
        assert true in values, (i, name, values)  # the attacker's model is sound
        assert len(values) > 1, f"row {i} {name} is worked out: {values}"


def hidden_problems(content) -> set[int]:
    return {r["problem"] for r in content["outcomes_by_problem"] if r["suppressed"]}


# --- primary suppression ------------------------------------------------------------------------


def test_a_figure_on_fewer_than_five_clients_is_shown_as_fewer_than_5():
    content = disclose(table([row(25, 6)], served=4, respondents=3))
    for key in ("clients_served", "punctuality", "hours_per_client", "experience_recommend"):
        f = content["indicators"][key]
        assert (f["value"], f["numerator"], f["denominator"], f["clients"]) == (None,) * 4, key
        assert f["suppressed"] == HIDDEN == "fewer than 5"
    # Five is enough; stability rests on no client.
    assert content["indicators"]["knowledge_change"]["suppressed"] is None
    assert content["indicators"]["members_joined"]["value"] == 1
    assert content["threshold"] == 5 and "fewer than 5" in content["legend"]


def test_figures_resting_on_the_same_clients_are_hidden_together():
    # Clients served is the numerator of nothing else and the client count of
    # punctuality and hours per client: hiding one alone would leave it in the others.
    content = disclose(table([row(25, 6)], served=3))
    hidden = {k for k, f in content["indicators"].items() if f["suppressed"]}
    assert {"clients_served", "punctuality", "hours_per_client"} <= hidden
    shown = [f for f in content["indicators"].values() if not f["suppressed"]]
    assert all(f["clients"] is None or f["clients"] == 0 or f["clients"] >= 5 for f in shown)


def test_zero_clients_is_not_hidden():
    content = disclose(table([row(25, 6)], respondents=0))
    assert content["indicators"]["experience_recommend"]["suppressed"] is None


def test_the_source_table_is_not_changed():
    source = table([row(25, 5, 2), row(42, 1, 1)])
    before = repr(source)
    disclose(source)
    assert repr(source) == before


# --- secondary suppression: subtraction from totals ------------------------------------------


def test_one_small_row_beside_one_large_hides_both():
    # 6 problems in the team; problem 25 holds 5: 42 would be 6 - 5 = 1.
    source = table([row(25, 5, improved=5, k=5, b=5, s=5), row(42, 1, k=-1)])
    content = disclose(source)
    assert hidden_problems(content) == {25, 42}
    assert content["indicators"]["knowledge_change"]["suppressed"] is None
    assert_protected(source, content)


def test_two_rows_of_one_are_not_left_to_add_up_to_two():
    # Hiding 6 and 9 (one client each) alone: 2 problems between two rows, each at
    # least 1, is 1 and 1. The smallest shown row goes with them.
    rows = [row(6, 1, 1, 1, 1, 1), row(9, 1), row(25, 5, 2, 3, 1, 0), row(42, 8, 4, 6, 2, 4)]
    source = table(rows)
    assert worked_out(rows, {0, 1}, {f: sum(r[f] for r in rows) for f in FIELDS})
    content = disclose(source)
    assert hidden_problems(content) == {6, 9, 25}
    assert_protected(source, content)


def test_a_large_row_known_to_be_five_would_give_a_small_one_away():
    # Hidden rows are said to be "fewer than 5" alike, small or not: a reader who knew
    # the second hidden row held at least 5 would work the first out (6 - 5 = 1).
    rows = [row(6, 1), row(25, 5, 1), row(42, 5, 2), row(35, 9, 3)]
    source = table(rows)
    content = disclose(source)
    assert {r["suppressed"] for r in content["outcomes_by_problem"] if r["suppressed"]} == {HIDDEN}
    assert_protected(source, content)


def test_nobody_improved_anywhere_hides_the_totals_too():
    # 0 improved in the team: every row's improved is 0, whatever is hidden. The team's
    # outcome figures go with the rows.
    source = table([row(6, 2), row(25, 7, 0, -3, 2, 1)])
    content = disclose(source)
    assert hidden_problems(content) == {6, 25}
    for key in ("knowledge_change", "behavior_change", "status_change", "problems_improved"):
        assert content["indicators"][key]["suppressed"] == HIDDEN, key
    assert_protected(source, content)


def test_a_hidden_improved_count_of_zero_is_not_left_alone():
    # Hiding 6 and 25 (improved 0 each) while 42 shows all the team's 3 improved would
    # say 6 had none improved: 42 is hidden as well.
    rows = [row(6, 2), row(25, 5), row(42, 7, 3, 3, 3, 3)]
    source = table(rows)
    content = disclose(source)
    assert hidden_problems(content) == {6, 25, 42}
    assert content["indicators"]["problems_improved"]["suppressed"] is None
    assert_protected(source, content)


def test_extreme_changes_are_not_given_away():
    # Everyone on problem 6 went up by 4 on every scale: the most there is.
    source = table([row(6, 1, 1, 4, 4, 4), row(25, 5, 5, 20, 20, 20), row(42, 6, 3, 2, 2, 2)])
    content = disclose(source)
    assert_protected(source, content)


def test_small_team_outcomes_hide_every_row_and_the_totals():
    source = table([row(6, 1), row(25, 2, 1, 1, 1, 1)])
    content = disclose(source)
    assert content["indicators"]["knowledge_change"]["suppressed"] == HIDDEN
    assert hidden_problems(content) == {6, 25}


def test_nothing_small_hides_nothing():
    source = table([row(25, 5, 2, 3, 1, 0), row(42, 8, 4, 6, 2, 4)])
    content = disclose(source)
    assert hidden_problems(content) == set()
    assert content["outcomes_by_problem"][0]["problems"] == 5
    assert content["outcomes_by_problem"][1]["knowledge_change"] == "0.75"


@pytest.mark.parametrize("seed", range(150))
def test_random_teams_keep_every_hidden_value_uncertain(seed):
    rng = random.Random(seed)
    rows = []
    for number in rng.sample(range(1, 43), rng.randint(1, 5)):
        problems = rng.choice([1, 1, 2, 3, 4, 5, 5, 6, 7, 9])
        improved = rng.choice([0, problems, rng.randint(0, problems)])
        sums = [
            rng.choice([-4 * problems, 4 * problems, rng.randint(-problems, problems)])
            for _ in range(3)
        ]
        rows.append(row(number, problems, improved, *sums))
    # Some clients have more than one problem: the team's distinct clients are fewer.
    distinct = max(
        max(r["clients"] for r in rows), sum(r["clients"] for r in rows) - rng.randint(0, 2)
    )
    source = table(rows, clients=distinct)
    content = disclose(source)
    for out, raw in zip(content["outcomes_by_problem"], rows, strict=True):
        if raw["clients"] < THRESHOLD:
            assert out["suppressed"] == HIDDEN
    assert_protected(source, content)


# --- across periods ------------------------------------------------------------------------------


def test_months_and_their_quarter_overlap_and_nothing_else_does():
    assert overlaps("2026-02", "2026-Q1") and overlaps("2026-Q1", "2026-03")
    assert not overlaps("2026-04", "2026-Q1")
    assert not overlaps("2025-03", "2026-Q1")
    assert not overlaps("2026-01", "2026-02")
    assert not overlaps("2026-Q1", "2026-Q2")
    assert not overlaps("2026-Q1", "2026-Q1")  # a correction


def visits_table(period: str, done: int, clients: int) -> dict:
    source = table([row(25, 6)], period=period)
    source["indicators"]["visits_delivered"] = figure("100.0", done, done, clients)
    return source


def test_a_hidden_month_cannot_be_recovered_from_its_quarter():
    # January and February show their visits; March rests on 3 clients and is hidden.
    january = disclose(visits_table("2026-01", 40, 6))
    february = disclose(visits_table("2026-02", 38, 6))
    march = disclose(visits_table("2026-03", 7, 3), [january, february])
    assert march["indicators"]["visits_delivered"]["numerator"] is None
    # Were the quarter published too, March would be 52 - 40 - 38 + ... : so it is not.
    with pytest.raises(ValidationError) as refused:
        disclose(visits_table("2026-Q1", 85, 8), [january, february, march])
    assert "2026-01, 2026-02, 2026-03" in refused.value.message_dict["period"][0]
    # And the other way round: a quarter published first keeps its months out.
    quarter = disclose(visits_table("2026-Q1", 85, 8))
    with pytest.raises(ValidationError):
        disclose(visits_table("2026-03", 7, 3), [quarter])
    # Months of another quarter, and a correction of the same period, are fine.
    disclose(visits_table("2026-04", 30, 6), [quarter])
    disclose(visits_table("2026-Q1", 86, 8), [quarter])


def test_published_figures_of_other_months_add_up_to_nothing_hidden():
    # With months only, each hidden cell stands in no equation with other periods:
    # the months' visits sum to no published figure. The attacker's only total would
    # be a quarter, which cannot be published beside them.
    months = [visits_table(f"2026-0{m}", 30 + m, 6 if m != 2 else 2) for m in (1, 2, 3)]
    published = []
    for source in months:
        published.append(disclose(source, published))
    periods = {p["period"] for p in published}
    assert not any(overlaps(a, b) for a in periods for b in periods)
    assert published[1]["indicators"]["visits_delivered"]["suppressed"] == HIDDEN
