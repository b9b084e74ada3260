"""Searching practice notes, and keeping their search vectors.

On PostgreSQL each note carries a stored ``tsvector`` (``Note.search``): the title at
weight A, its tags and Omaha problem and target names at B, the body at C, in the
'english' configuration. ``index_note`` writes it in the transaction of every write
(the services call it); a GIN index (``practice_note_search``) serves the match.

A query is parsed like a web search box (``websearch_to_tsquery``: words, "quoted
phrases", ``or``, ``-excluded``), matched with ``@@`` (the filter, never ``rank > 0``),
ordered by ``ts_rank`` and paged by (rank, id).

Ranking is bounded: the candidates are the newest ``CANDIDATES`` matches, and only
those are ranked. A rare word has fewer matches than that, so every one is ranked:
the planner, which estimates a word's matches from the column's statistics, gathers
them through the GIN index (a Bitmap Index Scan) and sorts the few it found; the
trap of walking the date index and testing every row until enough match (2,000x
slower for a rare word, FIELD-NOTES.md) costs more than the LIMIT saves when the
LIMIT is larger than the matches, and a PostgreSQL test checks that plan. A common
word ("visit", in most notes) would otherwise rank hundreds of thousands of notes
per search (seconds); its newest matches are dense along the date index, so
reading them that way stops after a few thousand rows. A search whose candidates
filled up says so (``Page.bounded``): older matches are reached by narrowing it
(a date range, a team, a kind), which the pages suggest.

Authors, teams and the highlighted snippets (``ts_headline``) are read for the page
of results only, by primary key, after the LIMIT: joining them in the ranked query
made the planner hash every person and team to join twenty rows. Snippets carry
sentinels that become ``<mark>`` after everything else is escaped.

Without a query, or on SQLite, results are the newest first, paged by (created, id);
SQLite matches each word with ``icontains`` on the title and body and marks the words
in a snippet itself. Both give the same shape: a ``Page`` of notes, each with
``title_html`` and ``snippet`` (safe HTML: escaped text and ``<mark>`` only) and
``rank`` (None without a ranked query).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connection
from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from care.models import OmahaProblem
from coordination import cursors
from coordination.practice import access
from coordination.practice.models import Note, Tag
from teams.cleaning import raise_errors, too_long
from teams.models import Person, Team

CONFIG = "english"
PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
QUERY_LIMIT = 200
# The newest matches a search ranks (see the module): enough that a narrowed search
# (a kind, a team, a month) ranks all of its matches.
CANDIDATES = 1000
SNIPPET_CHARS = 220
START, STOP = "\x02", "\x03"  # never in a note: the services strip control characters
BAD_CURSOR = "Not a cursor this search gave out: start again without one."


def postgres() -> bool:
    return connection.vendor == "postgresql"


# --- the vector -----------------------------------------------------------------------


def vector(tag_text: str):
    """The expression of a note's vector, given the text of its tags and Omaha links."""
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector(Value(tag_text), weight="B", config=CONFIG)
        + SearchVector("body", weight="C", config=CONFIG)
    )


def index_note(note: Note) -> None:
    """Write the note's search vector (PostgreSQL; nothing to do on SQLite)."""
    if not postgres():
        return
    words = [
        *(f"{t.name} {t.slug.replace('-', ' ')}" for t in note.tags.all()),
        *(p.name for p in note.problems.all()),
        *(t.name for t in note.targets.all()),
    ]
    Note.objects.filter(pk=note.pk).update(search=vector(" ".join(words)))


# --- filters ----------------------------------------------------------------------------


@dataclass
class Filters:
    q: str = ""
    kind: str | None = None
    tag: Tag | None = None
    problem: OmahaProblem | None = None
    team: Team | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None
    cursor: str | None = None
    limit: int = PAGE_SIZE
    given: dict = field(default_factory=dict)  # as received, for links to the next page


def _date(errors: dict, name: str, raw: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        errors[name] = ["A date like 2026-12-08."]
        return None


def parse_filters(params) -> Filters:
    """Filters from query parameters (q, kind, tag, problem, team, from, to, cursor,
    limit), each checked: anything unknown is a 400 naming the parameter."""
    errors: dict[str, list[str]] = {}
    given = {k: params.get(k, "").strip() for k in PARAMS if params.get(k, "").strip()}
    found = Filters(given=given)
    found.q = given.get("q", "")
    if len(found.q) > QUERY_LIMIT:
        errors["q"] = [too_long(QUERY_LIMIT, len(found.q))]
    if "kind" in given:
        if given["kind"] in Note.Kind.values:
            found.kind = given["kind"]
        else:
            errors["kind"] = [f"One of {', '.join(Note.Kind.values)}."]
    if "tag" in given:
        found.tag = Tag.objects.filter(slug=given["tag"]).first()
        if found.tag is None:
            errors["tag"] = [f"No tag “{given['tag']}”: the tags are listed under practice/tags."]
    if "problem" in given:
        number = given["problem"]
        found.problem = (
            OmahaProblem.objects.filter(number=int(number)).first() if number.isdecimal() else None
        )
        if found.problem is None:
            errors["problem"] = ["An Omaha problem's number, 1 to 42."]
    if "team" in given:
        raw = given["team"]
        found.team = Team.objects.filter(pk=int(raw)).first() if raw.isdecimal() else None
        if found.team is None:
            errors["team"] = ["No such team."]
    if "from" in given:
        found.since = _date(errors, "from", given["from"])
    if "to" in given:
        found.until = _date(errors, "to", given["to"])
    if found.since and found.until and found.since > found.until:
        errors["to"] = ["On or after the from date."]
    found.cursor = given.get("cursor")
    if "limit" in given:
        raw = given["limit"]
        if raw.isdecimal() and 1 <= int(raw) <= MAX_PAGE_SIZE:
            found.limit = int(raw)
        else:
            errors["limit"] = [f"From 1 to {MAX_PAGE_SIZE}."]
    raise_errors(errors)
    return found


PARAMS = ("q", "kind", "tag", "problem", "team", "from", "to", "cursor", "limit")


# --- cursors ----------------------------------------------------------------------------


def _decode(cursor: str, *modes: str) -> tuple[str, str, int]:
    """(mode, key, pk) of a cursor made in one of ``modes``; else a 400 on "cursor"."""
    mode, key, pk = cursors.unpack(cursor, 3, bad=BAD_CURSOR)
    if mode not in modes:
        raise ValidationError({"cursor": [BAD_CURSOR]})
    return mode, key, cursors.row_id(pk, bad=BAD_CURSOR)


def _newest_after(rows, cursor: str):
    _, key, pk = _decode(cursor, "date")
    moment = cursors.moment(key, bad=BAD_CURSOR)
    return rows.filter(Q(created__lt=moment) | Q(created=moment, id__lt=pk))


# A ranked page's cursor: "rank", or "rank+" when the first page found its
# candidates full (the later pages say so too).
RANKED, RANKED_BOUNDED = "rank", "rank+"


def _ranked_after(cursor: str) -> tuple[tuple[float, int], bool]:
    """The (rank, id) a ranked page's cursor carries, and whether the search was
    bounded."""
    mode, key, pk = _decode(cursor, RANKED, RANKED_BOUNDED)
    try:
        rank = float(key)
    except ValueError:
        raise ValidationError({"cursor": [BAD_CURSOR]}) from None
    if rank != rank or rank in (float("inf"), float("-inf")):  # NaN or infinite
        raise ValidationError({"cursor": [BAD_CURSOR]})
    return (rank, pk), mode == RANKED_BOUNDED


# --- snippets ---------------------------------------------------------------------------

_MARKUP = re.compile(r"\*\*|__|`+|^\s{0,3}#{1,6}\s+|^\s{0,3}>\s?", re.MULTILINE)


def _plain(text: str) -> str:
    """Markdown source as a line of text for a snippet (its markup mostly gone)."""
    return " ".join(_MARKUP.sub("", text).split())


def marked(text: str) -> SafeString:
    """Text with START/STOP sentinels as safe HTML: all escaped, then the sentinels
    become <mark> and </mark> (unbalanced ones are dropped)."""
    out, open_ = [], False
    for part in re.split(f"([{START}{STOP}])", text):
        if part == START and not open_:
            out.append("<mark>")
            open_ = True
        elif part == STOP and open_:
            out.append("</mark>")
            open_ = False
        elif part not in (START, STOP):
            out.append(str(escape(part)))
    if open_:
        out.append("</mark>")
    return mark_safe("".join(out))  # noqa: S308 -- every piece of text was escaped above


def _mark_terms(text: str, terms: list[str]) -> str:
    if not terms:
        return text
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.I)
    return pattern.sub(lambda m: f"{START}{m.group()}{STOP}", text)


def _window(text: str, terms: list[str]) -> str:
    """About SNIPPET_CHARS of ``text`` around the first term found (or its start)."""
    lowered = text.lower()
    hits = [lowered.find(t.lower()) for t in terms if t and lowered.find(t.lower()) >= 0]
    start = max(0, min(hits) - SNIPPET_CHARS // 3) if hits else 0
    piece = text[start : start + SNIPPET_CHARS]
    if start > 0:
        piece = "… " + piece.split(" ", 1)[-1]
    if start + SNIPPET_CHARS < len(text):
        piece = piece.rsplit(" ", 1)[0] + " …"
    return piece


# --- searching --------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Note]
    next: str | None
    ranked: bool = False
    # More notes matched than a search ranks: these are the best of the newest
    # CANDIDATES; narrowing the search (dates, team, kind) reaches older ones.
    bounded: bool = False


def _base(person: Person, filters: Filters):
    rows = access.notes_for(person)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.tag is not None:
        rows = rows.filter(tags=filters.tag)
    if filters.problem is not None:
        rows = rows.filter(problems=filters.problem)
    if filters.team is not None:
        rows = rows.filter(team=filters.team)
    if filters.since is not None:
        rows = rows.filter(created__gte=_midnight(filters.since))
    if filters.until is not None:
        rows = rows.filter(created__lt=_midnight(filters.until + datetime.timedelta(days=1)))
    return rows


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


def words_of(q: str) -> tuple[list[str], list[str]]:
    """The words to find and the words to leave out ("-word"), for the fallback."""
    wanted: list[str] = []
    unwanted: list[str] = []
    for token in re.findall(r"-?\w+", q):
        if token.lower() == "or":
            continue
        (unwanted if token.startswith("-") else wanted).append(token.lstrip("-"))
    return wanted, unwanted


def candidates(person: Person, filters: Filters, query: SearchQuery):
    """The newest CANDIDATES matches the person may read, each with its rank: the
    ORM builds the filters; ``ranked_sql`` orders them by rank around it."""
    return (
        _base(person, filters)
        .filter(search=query)
        # As double precision: ts_rank's real would come back rounded, and the next
        # page's "rank below this one" would then miss or repeat ties.
        .annotate(c_id=F("id"), c_rank=Cast(SearchRank(F("search"), query), FloatField()))
        .order_by("-created", "-id")
        .values_list("c_id", "c_rank")[:CANDIDATES]
    )


def ranked_sql(
    person: Person,
    filters: Filters,
    query: SearchQuery,
    *,
    after: tuple[float, int] | None = None,
    limit: int = PAGE_SIZE,
) -> tuple[str, list]:
    """The ranked page on PostgreSQL as SQL and parameters (the EXPLAIN test reads its
    plan): the candidates, ranked, after the cursor's (rank, id), ``limit`` of them,
    each row (id, rank, number of candidates after the cursor). Ranking the
    candidates as the subquery's rows, rather than fetching each again by id, costs
    nothing per candidate but its rank."""
    rows = candidates(person, filters, query)
    try:
        inner, params = rows.query.sql_with_params()
    except EmptyResultSet:  # the person may read no note at all
        return "SELECT 1, 0.0, 0 WHERE false", []
    where, extra = "", []
    if after is not None:
        where = ' WHERE c."c_rank" < %s OR (c."c_rank" = %s AND c."c_id" < %s)'
        extra = [after[0], after[0], after[1]]
    sql = (
        'SELECT c."c_id", c."c_rank", COUNT(*) OVER () FROM ('  # noqa: S608 -- the ORM's SQL
        + inner
        + ") c"
        + where
        + ' ORDER BY c."c_rank" DESC, c."c_id" DESC LIMIT %s'
    )
    return sql, [*params, *extra, limit]


def web_query(q: str) -> SearchQuery:
    return SearchQuery(q, search_type="websearch", config=CONFIG)


def _page_of(pks: list[int], query: SearchQuery | None = None) -> list[Note]:
    """The notes of a page in the order given, with author, team and tags; with a
    query, their highlighted title and snippet in the same query."""
    rows = Note.objects.filter(pk__in=pks).select_related("author", "team")
    rows = rows.prefetch_related("tags")
    if query is not None:
        rows = rows.defer("body", "body_html", "search")  # ts_headline reads them in SQL
        options: dict[str, Any] = {"config": CONFIG, "start_sel": START, "stop_sel": STOP}
        # They fill the *_marked attributes declared on Note: not the clash mypy sees.
        rows = rows.annotate(  # type: ignore[no-redef]
            title_marked=SearchHeadline("title", query, highlight_all=True, **options),
            body_marked=SearchHeadline(
                "body",
                query,
                max_words=35,
                min_words=15,
                max_fragments=2,
                fragment_delimiter=" … ",
                **options,
            ),
        )
    found = {note.pk: note for note in rows}
    return [found[pk] for pk in pks if pk in found]


def search(person: Person, filters: Filters) -> Page:
    """One page of the notes the person may read that match (see the module)."""
    limit = filters.limit
    if filters.q and postgres():
        query = web_query(filters.q)
        after, bounded = None, False
        if filters.cursor:
            after, bounded = _ranked_after(filters.cursor)
        sql, params = ranked_sql(person, filters, query, after=after, limit=limit + 1)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            top = cursor.fetchall()
        if not filters.cursor:
            # Counted over the candidates before the LIMIT (no cursor: all of them).
            bounded = bool(top) and top[0][2] >= CANDIDATES
        more = len(top) > limit
        top = top[:limit]
        items = _page_of([row[0] for row in top], query)
        ranks = {row[0]: row[1] for row in top}
        for note in items:
            note.rank = ranks[note.pk]
            note.title_html = marked(note.title_marked)
            note.snippet = marked(_plain(note.body_marked))
        mode = RANKED_BOUNDED if bounded else RANKED
        following = cursors.pack(mode, repr(top[-1][1]), top[-1][0]) if more else None
        return Page(items=items, next=following, ranked=True, bounded=bounded)
    rows = _base(person, filters).order_by("-created", "-id")
    wanted, unwanted = words_of(filters.q)
    for word in wanted:
        rows = rows.filter(Q(title__icontains=word) | Q(body__icontains=word))
    for word in unwanted:
        rows = rows.exclude(Q(title__icontains=word) | Q(body__icontains=word))
    if filters.q and not wanted:
        rows = rows.none()  # only exclusions, or nothing to look for
    if filters.cursor:
        rows = _newest_after(rows, filters.cursor)
    items = list(rows.select_related("author", "team").prefetch_related("tags")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    for note in items:
        note.rank = None
        note.title_html = marked(_mark_terms(note.title, wanted))
        note.snippet = marked(_mark_terms(_window(_plain(note.body), wanted), wanted))
    following = cursors.pack("date", items[-1].created.isoformat(), items[-1].pk) if more else None
    return Page(items=items, next=following)
