"""Figure 5, practice search, and figure 6, the network feed: in-process, on the data
database's million practice notes (``bench/seed_practice.py``), each beside a bare
hand-written SQL query over the same rows in the same run.

Figure 5 times ``coordination.practice.search`` as the API calls it
(``parse_filters`` then ``search``: the match through the GIN index, ranked first
page of 20, the tags, the highlighted snippets), for a rare term and a common term,
each with one filter (a kind, a team or a month), p50 and p95 over ``--search-queries``
searches. The bare query is ``search @@ websearch_to_tsquery(...)`` with the same
filter, ``ORDER BY ts_rank(...) DESC LIMIT 20`` and nothing else. The plans of the
rare-term and common-term queries are printed (EXPLAIN ANALYZE) to show the GIN index
at work. Goal: p95 <= 50 ms.

Figure 6 walks the feed (``coordination.practice.feed.feed``) to page 1,000 by its
cursors once, then times page 1 against page 1,000, for everything and for "what I
follow", beside the bare keyset query. Goal: page 1,000 within 1.5x of page 1.

    .venv/bin/python -m bench.search --notes 1000000
"""

from __future__ import annotations

import datetime
import os
import random
import re
import statistics
import time

from bench import harness, seed_data, seed_practice
from bench.harness import Figure, say

GOAL_SEARCH_P95_MS = 50
GOAL_FEED_RATIO = 1.5
PAGE = 20
KIND_CYCLE = ("practice", "question", "story", "guide")
CASES = (
    ("rare", "kind"),
    ("rare", "team"),
    ("rare", "month"),
    ("common", "kind"),
    ("common", "team"),
    ("common", "month"),
)


def add_arguments(p) -> None:
    seed_practice.add_arguments(p)
    g = p.add_argument_group("practice search and feed (figures 5 and 6)")
    g.add_argument(
        "--search-queries",
        type=int,
        default=200,
        help="searches per case and side (default 200)",
    )
    g.add_argument(
        "--search-seconds",
        type=float,
        default=60,
        help="at most this long per case and side; fewer searches then (default 60)",
    )
    g.add_argument(
        "--feed-pages", type=int, default=1000, help="the deep page of the feed (default 1000)"
    )
    g.add_argument(
        "--feed-queries", type=int, default=200, help="reads of each page per side (default 200)"
    )


# --- measuring ------------------------------------------------------------------------


def p50_p95(seconds: list[float]) -> tuple[float | None, float | None]:
    """p50 and p95 in milliseconds."""
    if not seconds:
        return None, None
    if len(seconds) == 1:
        return seconds[0] * 1000, seconds[0] * 1000
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def alternate(calls: dict[str, list], budget: float) -> dict[str, list[float]]:
    """Run each side's calls in turn (the side that goes first alternates, so neither
    always finds the cache the other warmed), stopping early once ``budget`` seconds
    per side have gone; the times of each side."""
    sides = list(calls)
    times: dict[str, list[float]] = {side: [] for side in sides}
    spent = dict.fromkeys(sides, 0.0)
    for i in range(max(len(c) for c in calls.values())):
        order = sides if i % 2 == 0 else sides[::-1]
        for side in order:
            if i < len(calls[side]):
                took = timed(calls[side][i])
                times[side].append(took)
                spent[side] += took
        if i >= 9 and max(spent.values()) > budget:
            break
    return times


def captured(call) -> list[str]:
    """The SQL of every query ``call`` ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return [query["sql"] for query in queries.captured_queries]


# What each of the search's queries does, to name it (first match wins).
SEARCH_QUERIES = (
    ("ts_headline", "snippets"),
    ("ts_rank", "match"),
    ('"coordination_tag"', "tags"),
    ('"teams_membership"', "access"),
    ('"teams_team"', "team"),
)


def clocked(call) -> tuple[object, float, list[tuple[str, float]]]:
    """What ``call`` returned, its seconds, and the SQL and seconds of each query."""
    from django.db import connection

    ran: list[tuple[str, float]] = []

    def clock(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            ran.append((sql, time.perf_counter() - started))

    with connection.execute_wrapper(clock):
        started = time.perf_counter()
        found = call()
        took = time.perf_counter() - started
    return found, took, ran


def breakdown(calls, wanted: int = 5, tries: int = 40) -> tuple[int, str]:
    """Over the first ``wanted`` searches that find something (an empty page skips
    the tags and the snippets): the number of queries of a search, and the median
    time of each query and of the rest (Python)."""
    kept = []
    for call in calls[:tries]:
        found, took, ran = clocked(call)
        if found:
            kept.append((took, ran))
        if len(kept) >= wanted:
            break
    if not kept:
        kept.append((took, ran))
    spent: dict[str, list[float]] = {}
    for _, ran in kept:
        for sql, seconds in ran:
            label = next((n for m, n in SEARCH_QUERIES if m in sql), "other")
            spent.setdefault(label, []).append(seconds)
    rest = [took - sum(seconds for _, seconds in ran) for took, ran in kept]
    parts = [f"{label} {statistics.median(t) * 1000:.1f}" for label, t in spent.items()]
    parts.append(f"Python {statistics.median(rest) * 1000:.1f}")
    return len(kept[0][1]), ", ".join(parts)


def fetch(sql: str, params) -> list:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def plan_summary(sql: str, params, nodes: bool = True) -> list[str]:
    """EXPLAIN ANALYZE of a query, one line per plan node: its name, the relation and
    index, actual time and rows (costs and details left out); then the planning and
    execution times."""
    lines = [row[0] for row in fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
    found = []
    for line in lines if nodes else ():
        text = line.strip()
        if not (text.startswith("->") or line is lines[0]) or "actual time" not in text:
            continue
        text = text.removeprefix("->").strip()
        text = re.sub(r"\(cost=[^)]*\)\s*", "", text)
        text = re.sub(r" loops=1\)", ")", text)
        found.append(text)
    for line in lines:
        if line.startswith(("Planning Time", "Execution Time")):
            found.append(line.strip())
    return found


def times_x(value: float | None) -> str:
    return "n/a" if value is None else f"x{value:.2f}"


def load_note() -> str:
    one, five, fifteen = os.getloadavg()
    return (
        f"load average {one:.1f} / {five:.1f} / {fifteen:.1f} (1/5/15 min) on {os.cpu_count()}"
        " cores: other work shares this machine"
    )


# --- figure 5, search -----------------------------------------------------------------


def run_search(args, bench: harness.Bench, plan: dict | None = None) -> Figure:
    data = seed_data.prepare(args, bench, "notes")
    with data.connected():
        return search_figure(args)


def _midnight(day: datetime.date) -> datetime.datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def _months(first: datetime.date, last: datetime.date) -> list[tuple[datetime.date, datetime.date]]:
    """Every whole month between two days: (its first day, its last day)."""
    found = []
    day = (first.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    while True:
        following = (day + datetime.timedelta(days=32)).replace(day=1)
        if following > last:
            return found
        found.append((day, following - datetime.timedelta(days=1)))
        day = following


BARE_SEARCH = (
    "SELECT n.id, n.title, ts_rank(n.search, q) AS rank"
    " FROM coordination_note n, websearch_to_tsquery('english', %s) q"
    " WHERE n.search @@ q{filter} ORDER BY rank DESC, n.id DESC LIMIT 20"
)
BARE_FILTERS = {
    "kind": " AND n.kind = %s",
    "team": " AND n.team_id = %s",
    "month": " AND n.created >= %s AND n.created < %s",
}


def search_figure(args) -> Figure:
    from django.utils import timezone

    from coordination.practice import search
    from coordination.practice.models import Note

    person = seed_data.member(0)
    notes = Note.objects.count()
    rare, common = seed_practice.rare_terms(), seed_practice.common_terms()
    matches = {
        term: fetch(
            "SELECT count(*) FROM coordination_note"
            " WHERE search @@ websearch_to_tsquery('english', %s)",
            [term],
        )[0][0]
        for term in [*rare, *common]
    }
    first_day = timezone.localtime(Note.objects.order_by("created").first().created).date()
    last_day = timezone.localdate()
    months = _months(first_day, last_day)
    team_ids = sorted(seed_data.members_by_team())
    rng = random.Random(5)
    teams = rng.sample(team_ids, min(50, len(team_ids)))
    figure = Figure(
        5,
        "Practice search",
        f"{notes:,} notes, ranked first page of {PAGE} with one filter,"
        f" up to {args.search_queries} searches per case and side, in-process",
    )
    terms = {"rare": rare, "common": common}
    results = {}
    queries = {}
    breakdowns = {}
    for kind_of_term, kind_of_filter in CASES:
        name = f"{kind_of_term} term + {kind_of_filter}"
        kith_calls, bare_calls = [], []
        for i in range(args.search_queries):
            term = rng.choice(terms[kind_of_term])
            if kind_of_filter == "kind":
                value = KIND_CYCLE[i % len(KIND_CYCLE)]
                params, bare = {"kind": value}, [value]
            elif kind_of_filter == "team":
                value = rng.choice(teams)
                params, bare = {"team": str(value)}, [value]
            else:
                since, until = rng.choice(months)
                params = {"from": since.isoformat(), "to": until.isoformat()}
                bare = [_midnight(since), _midnight(until + datetime.timedelta(days=1))]
            kith_calls.append(_kith_search(person, {"q": term, **params}))
            bare_calls.append(_bare_search(kind_of_filter, [term, *bare]))
        for call in kith_calls[:3] + bare_calls[:3]:  # warm: first use of each plan
            call()
        say(f"search: {name}")
        times = alternate({"kith": kith_calls, "bare": bare_calls}, args.search_seconds)
        results[name] = times
        queries[name], breakdowns[name] = breakdown(kith_calls)
    for name, times in results.items():
        kith, bare = p50_p95(times["kith"]), p50_p95(times["bare"])
        figure.row(f"{name}, p50", kith[0], bare[0], " ms")
        figure.row(f"{name}, p95", kith[1], bare[1], " ms")
    counts = set(queries.values())
    figure.row("queries per search", max(counts), 1)
    for name, times in results.items():
        p95 = p50_p95(times["kith"])[1]
        figure.goal(
            f"p95 <= {GOAL_SEARCH_P95_MS} ms, {name}",
            p95 is not None and p95 <= GOAL_SEARCH_P95_MS,
        )
    rare_counts = [matches[t] for t in rare]
    common_counts = [matches[t] for t in common]
    figure.notes.append(
        f"rare terms: {len(rare)} specialist words in {min(rare_counts):,} to"
        f" {max(rare_counts):,} notes each; common terms: {', '.join(common)}, in"
        f" {min(common_counts) / notes:.0%} to {max(common_counts) / notes:.0%} of notes"
    )
    figure.notes.append(
        "filters: one of the 4 kinds, one of 50 teams, or one of "
        f"{len(months)} whole months; searches timed per case: "
        + ", ".join(f"{n} {len(t['kith'])}" for n, t in results.items())
    )
    figure.notes.append(
        "Kith: parse_filters + search as the API calls them (access, the ranked page,"
        " tags, ts_headline snippets); bare: one SELECT of id, title and ts_rank"
    )
    figure.notes.append(
        "where Kith's time goes (median ms over up to 5 searches that found something): "
        + "; ".join(f"{n}: {b}" for n, b in breakdowns.items())
    )
    if len(counts) > 1:
        figure.notes.append(
            "queries per search by case (the team filter looks the team up): "
            + ", ".join(f"{n} {q}" for n, q in queries.items())
        )
    uses_gin = False
    for label, term, values in (
        ("rare term + kind", rare[-1], {"kind": "practice"}),
        ("common term + kind", common[0], {"kind": "practice"}),
    ):
        filters = search.parse_filters({"q": term, **values})
        sql, params = search.ranked_sql(person, filters, search.web_query(term), limit=PAGE + 1)
        summary = plan_summary(sql, params)
        if label.startswith("rare"):
            uses_gin = any("practice_note_search" in line for line in summary)
        figure.notes.append(f"plan, {label} ({term!r}): " + " <- ".join(summary))
    figure.goal("the rare-term query reads the GIN index (practice_note_search)", uses_gin)
    figure.notes.append(load_note())
    return figure


def _kith_search(person, params: dict):
    from coordination.practice import search

    def call():
        page = search.search(person, search.parse_filters(params))
        return page.items

    return call


def _bare_search(kind_of_filter: str, params: list):
    sql = BARE_SEARCH.format(filter=BARE_FILTERS[kind_of_filter])
    return lambda: fetch(sql, params)


# --- figure 6, the feed ---------------------------------------------------------------


def run_feed(args, bench: harness.Bench, plan: dict | None = None) -> Figure:
    data = seed_data.prepare(args, bench, "notes")
    with data.connected():
        return feed_figure(args)


BARE_FEED = (
    "SELECT f.id, f.kind, f.ref_id, f.note_id, f.answer_id, f.team_id, f.public, f.created"
    " FROM coordination_feeditem f WHERE {where} ORDER BY f.created DESC, f.id DESC LIMIT 20"
)
BARE_FOLLOWING = (
    "(f.team_id = ANY(%s) OR EXISTS (SELECT 1 FROM coordination_feeditem_tags t"
    " WHERE t.feeditem_id = f.id AND t.tag_id = ANY(%s)) OR EXISTS (SELECT 1 FROM"
    " coordination_feeditem_problems p WHERE p.feeditem_id = f.id"
    " AND p.omahaproblem_id = ANY(%s)))"
)


def walk(person, pages: int, following: bool) -> tuple[str | None, int, float]:
    """The cursor of page ``pages`` (reached through every page before it), the page
    number reached (fewer when the feed ends first) and the seconds it took."""
    from coordination.practice import feed

    started = time.perf_counter()
    cursor, page = None, 1
    while page < pages:
        found = feed.feed(person, cursor=cursor, following=following)
        if found.next is None:
            break
        cursor, page = found.next, page + 1
    return cursor, page, time.perf_counter() - started


def feed_figure(args) -> Figure:
    from coordination import cursors
    from coordination.practice import feed, selectors
    from coordination.practice.models import FeedItem
    from teams.models import Person

    reader = seed_data.member(0)
    follower = Person.objects.get(username=seed_practice.FOLLOWER)
    items = FeedItem.objects.count()
    figure = Figure(
        6,
        "Network feed",
        f"{items:,} feed entries, page 1 against page {args.feed_pages:,} of {PAGE}"
        f" (reached by cursors), {args.feed_queries} reads each per side, in-process",
    )
    ids = selectors.followed(follower)
    following_sql = BARE_FOLLOWING
    following_params = [sorted(ids["team"]), sorted(ids["tag"]), sorted(ids["problem"])]
    results = {}
    counts = {}
    for label, person, following in (("all", reader, False), ("following", follower, True)):
        deep, reached, took = walk(person, args.feed_pages, following)
        say(f"feed ({label}): walked to page {reached:,} in {took:.1f} s")
        where_deep = "(f.created, f.id) < (%s, %s)"
        extra = [] if not following else following_params
        if following:
            where_first, where_deep = following_sql, f"{following_sql} AND {where_deep}"
        else:
            where_first = "true"
        created, pk = cursors.decode(deep, bad=feed.BAD_CURSOR) if deep else (None, None)
        first_sql = BARE_FEED.format(where=where_first)
        deep_sql = BARE_FEED.format(where=where_deep)
        calls = {
            "kith 1": lambda p=person, f=following: feed.feed(p, following=f).items,
            "kith deep": lambda p=person, f=following, c=deep: (
                feed.feed(p, cursor=c, following=f).items
            ),
            "bare 1": lambda s=first_sql, e=extra: fetch(s, e),
            "bare deep": lambda s=deep_sql, e=[*extra, created, pk]: fetch(s, e),
        }
        for call in calls.values():
            call()
        say(f"feed ({label}): page 1 and page {reached:,}")
        times = alternate({side: [call] * args.feed_queries for side, call in calls.items()}, 600)
        results[label] = (reached, took, times)
        sqls = captured(calls["kith deep"])
        counts[label] = len(sqls)
        page_sql = next(q for q in sqls if 'FROM "coordination_feeditem"' in q)
        figure.notes.append(
            f"{label}, Kith's page-{reached:,} query (EXPLAIN ANALYZE): "
            + ", ".join(plan_summary(page_sql, None, nodes=False))
        )
    for label, (reached, _, times) in results.items():
        prefix = "" if label == "all" else "following: "
        first = {side: p50_p95(times[f"{side} 1"]) for side in ("kith", "bare")}
        deep = {side: p50_p95(times[f"{side} deep"]) for side in ("kith", "bare")}
        figure.row(f"{prefix}page 1, p50", first["kith"][0], first["bare"][0], " ms")
        figure.row(f"{prefix}page 1, p95", first["kith"][1], first["bare"][1], " ms")
        figure.row(f"{prefix}page {reached:,}, p50", deep["kith"][0], deep["bare"][0], " ms")
        figure.row(f"{prefix}page {reached:,}, p95", deep["kith"][1], deep["bare"][1], " ms")
        kith_ratio = harness.ratio(deep["kith"][0], first["kith"][0])
        bare_ratio = harness.ratio(deep["bare"][0], first["bare"][0])
        figure.goal(
            f"{prefix}page {reached:,} within {GOAL_FEED_RATIO}x of page 1 (p50)",
            kith_ratio is not None and kith_ratio <= GOAL_FEED_RATIO,
        )
        figure.notes.append(
            f"{prefix}page {reached:,} / page 1 at p50: Kith {times_x(kith_ratio)}, bare"
            f" {times_x(bare_ratio)}; at p95: Kith"
            f" {times_x(harness.ratio(deep['kith'][1], first['kith'][1]))}, bare"
            f" {times_x(harness.ratio(deep['bare'][1], first['bare'][1]))}"
        )
    figure.row("queries per page", counts["all"], 1)
    if counts["following"] != counts["all"]:
        figure.row("queries per page, following", counts["following"], 1)
    figure.notes.append(
        "walking every page by its cursor: "
        + ", ".join(
            f"{label} to page {reached:,} in {took:.1f} s ({took / max(1, reached - 1) * 1000:.1f}"
            " ms a page)"
            for label, (reached, took, _) in results.items()
        )
    )
    figure.notes.append(
        f"the follower follows {len(ids['tag'])} tags, {len(ids['team'])} teams and"
        f" {len(ids['problem'])} Omaha problem(s); Kith: feed() with select_related and"
        " the tags prefetched; bare: one keyset SELECT of the entries' own columns"
    )
    figure.notes.append(load_note())
    return figure


# --- command line ---------------------------------------------------------------------


def run_data_figures(doc: str, add_arguments, runs) -> None:
    """The command line of a figure script on the data database: parse, set up, seed
    what is missing, measure and print each figure."""
    p = harness.parser(doc.split("\n\n")[0])
    seed_data.add_arguments(p)
    add_arguments(p)
    args = p.parse_args()
    bench = harness.Bench.from_args(args)
    bench.setup()
    try:
        for run in runs:
            run(args, bench, None).print()
    finally:
        if args.drop_data:
            seed_data.DataDatabase(bench, args.data_db).drop()


def main() -> None:
    run_data_figures(__doc__, add_arguments, [run_search, run_feed])


if __name__ == "__main__":
    main()
