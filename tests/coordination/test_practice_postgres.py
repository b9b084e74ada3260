"""Full-text search of practice notes on PostgreSQL: the stored vector kept up to date,
ranking (title above tags above body), web-search syntax, filters, highlighted
snippets that escape the note, keyset pages by rank, and the plan: a rare word is
found through the GIN index even with 20,000 notes and filters (the EXPLAIN test)."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.practice import search, services
from coordination.practice.models import FeedItem, Note
from teams import cleaning
from tests.coordination.test_practice import tags, write
from tests.factories import TeamFactory, member
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = [pytest.mark.django_db, pytest.mark.services]

API = "/api/v1/practice"
GIN = "practice_note_search"


@pytest.fixture
def w(postgres, personas):
    ensure_omaha_reference()
    tags("falls", "dementia", "medication", "physiotherapy")
    personas.oost = TeamFactory(name="Oost", slug="oost")
    personas.dina = member("dina", personas.oost, first_name="Dina", last_name="Smit")
    return personas


def found(person, query: str) -> dict:
    response = APIClient()
    response.force_authenticate(person)
    answer = response.get(f"{API}/search?{query}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def titles(person, query: str) -> list[str]:
    return [hit["title"] for hit in found(person, query)["results"]]


def test_the_title_outranks_the_tags_which_outrank_the_body(w):
    write(w.ana, title="Weekly rota", body="We also ask the physiotherapist about falls.")
    write(w.cas, title="Night checks", body="Sensor mats.", tags=["falls"])
    write(w.dina, title="Falls: what worked", body="A local physiotherapist visits.")
    write(w.ana, title="Nothing to do with it", body="Lunch club.")
    result = found(w.ben, "q=falls")
    assert result["ranked"] is True
    assert [h["title"] for h in result["results"]] == [
        "Falls: what worked",
        "Night checks",
        "Weekly rota",
    ]
    ranks = [h["rank"] for h in result["results"]]
    assert ranks == sorted(ranks, reverse=True) and ranks[-1] > 0


def test_web_search_syntax_stems_phrases_and_exclusions(w):
    write(w.ana, title="Falling at home", body="She fell twice; a physiotherapist helped.")
    write(w.cas, title="Hoists", body="Two carers and a physiotherapist for the hoist.")
    assert titles(w.ben, "q=falls") == ["Falling at home"]  # stems: fall
    assert set(titles(w.ben, "q=physiotherapist")) == {"Falling at home", "Hoists"}
    assert titles(w.ben, "q=physiotherapist -hoist") == ["Falling at home"]
    assert titles(w.ben, 'q="two carers"') == ["Hoists"]
    assert set(titles(w.ben, "q=hoist or falling")) == {"Hoists", "Falling at home"}
    assert titles(w.ben, "q=the") == []  # only a stop word: nothing, not everything


def test_the_vector_follows_edits_tags_and_omaha_names(w):
    note = write(w.ana, title="Rounds", body="Morning rounds.")
    assert titles(w.ben, "q=dosette") == []
    services.note_revise(actor=w.ana, note=note, version=1, body="We fill the dosette box.")
    assert titles(w.ben, "q=dosette") == ["Rounds"]
    services.note_revise(actor=w.ana, note=note, version=2, tags=["medication"], problems=[42])
    assert titles(w.ben, "q=medication") == ["Rounds"]  # tag and problem 42's name
    assert titles(w.ben, "q=regimen") == ["Rounds"]  # "Medication regimen"


def test_filters_and_visibility_apply_to_the_ranked_search(w):
    write(w.ana, title="Falls in Noord", kind="story", tags=["falls"], public=True)
    old = write(w.cas, title="Falls in Zuid", kind="practice", problems=[25])
    write(w.dina, title="Falls in Oost", kind="question", tags=["dementia"])
    Note.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=40))
    assert titles(w.ben, "q=falls&kind=story") == ["Falls in Noord"]
    assert titles(w.ben, "q=falls&tag=dementia") == ["Falls in Oost"]
    assert titles(w.ben, "q=falls&problem=25") == ["Falls in Zuid"]
    assert titles(w.ben, f"q=falls&team={w.oost.pk}") == ["Falls in Oost"]
    since = (timezone.localdate() - datetime.timedelta(days=5)).isoformat()
    assert "Falls in Zuid" not in titles(w.ben, f"q=falls&from={since}")
    assert titles(w.inspector, "q=falls") == ["Falls in Noord"]


def test_snippets_mark_the_match_and_escape_everything_else(w):
    write(
        w.ana,
        title="Falls & <i>frailty</i>",
        body="Intro. <script>alert('x')</script> The falls clinic <b>helped</b>.",
    )
    (hit,) = found(w.ben, "q=falls")["results"]
    assert hit["title_html"] == "<mark>Falls</mark> &amp; &lt;i&gt;frailty&lt;/i&gt;"
    assert "<mark>falls</mark>" in hit["snippet"]
    # ts_headline leaves tags out of its fragments; what text remains is escaped.
    assert hit["snippet"] == "Intro. alert(&#x27;x&#x27;) The <mark>falls</mark> clinic helped"
    stripped = hit["snippet"].replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped


def test_marked_turns_only_the_sentinels_into_marks():
    text = f"a {search.START}b{search.STOP} <c> {search.STOP}d{search.START}e"
    assert str(search.marked(text)) == "a <mark>b</mark> &lt;c&gt; d<mark>e</mark>"
    # The sentinels never reach a stored note: the one text cleaner drops control characters.
    assert cleaning.text("body", f"x{search.START}y{search.STOP}", limit=10) == "xy"


def test_ranked_pages_follow_each_other_with_ties(w):
    for i in range(7):
        write(w.ana, title=f"Falls {i}", body="Same words.")  # equal ranks: ties by id
    seen, cursor = [], ""
    for _ in range(10):  # bounded: a cursor that repeats a page must not hang the run
        page = found(w.ben, f"q=falls&limit=3{cursor}")
        seen += [h["title"] for h in page["results"]]
        if page["next"] is None:
            break
        cursor = f"&cursor={page['next']}"
    assert sorted(seen) == sorted(f"Falls {i}" for i in range(7))
    assert len(seen) == 7
    # A cursor of the ranked search means nothing to the newest-first list.
    client = APIClient()
    client.force_authenticate(w.ben)
    first = found(w.ben, "q=falls&limit=3")["next"]
    assert client.get(f"{API}/notes?cursor={first}").status_code == 400


def test_search_query_count_is_constant_on_postgresql(w):
    counts = []
    for n in (3, 15):
        for i in range(n):
            write(w.cas, title=f"Falls note {n}-{i}", body="About falls.", tags=["falls"])
        with CaptureQueriesContext(connection) as queries:
            result = found(w.ben, "q=falls&tag=falls&limit=50")
        assert len(result["results"]) >= n
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- the plan ---------------------------------------------------------------------------

BULK = 20_000
COMMON = "Morning round notes: washing, breakfast, medication and a chat about the weather."


def _bulk_notes(w) -> None:
    """20,000 notes, their vectors written in one UPDATE, then ANALYZE."""
    now = timezone.now()
    notes = [
        Note(
            kind=["practice", "question", "story", "guide"][i % 4],
            title=f"Round {i}",
            body=COMMON,
            body_html="",
            author=w.ana,
            team=w.noord if i % 2 else w.zuid,
            public=i % 3 == 0,
            created=now - datetime.timedelta(minutes=i),
            updated=now,
        )
        for i in range(BULK)
    ]
    Note.objects.bulk_create(notes, batch_size=2000)
    Note.objects.update(search=search.vector(""))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Note._meta.db_table}")


def _plan(queryset) -> str:
    return _plan_sql(*queryset.query.sql_with_params())


def _plan_sql(sql: str, params) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        return json.dumps(cursor.fetchone()[0])


def test_a_rare_word_is_found_through_the_gin_index_even_among_20000_notes(w):
    # (A filter that leaves a handful of rows, a team's notes of today, may rightly be
    # read through its own index instead: ranking those few costs nothing. The trap is
    # a LIMIT over an order that an index provides, which ordering by rank avoids.)
    _bulk_notes(w)
    rare = write(w.ana, title="Zeppelin therapy", body="Balloons calm her.", kind="story")
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Note._meta.db_table}")
    for filters in (
        search.Filters(q="zeppelin"),
        search.Filters(q="zeppelin", kind="story"),
        # A wide date range (every one of the 20,000) and a team (half of them).
        search.Filters(
            q="zeppelin",
            team=w.noord,
            since=timezone.localdate() - datetime.timedelta(days=30),
            until=timezone.localdate(),
        ),
    ):
        sql, params = search.ranked_sql(w.ben, filters, search.web_query(filters.q), limit=21)
        plan = _plan_sql(sql, params)
        assert f'"Index Name": "{GIN}"' in plan, plan
        assert '"Node Type": "Bitmap Index Scan"' in plan, plan
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            assert [row[0] for row in cursor.fetchall()] == [rare.pk]
    # The same through the endpoint an inspector uses (public notes only).
    query = search.web_query("zeppelin")
    public = search.ranked_sql(w.inspector, search.Filters(q="zeppelin"), query, limit=21)
    assert f'"Index Name": "{GIN}"' in _plan_sql(*public)
    assert FeedItem.objects.filter(ref_id=rare.pk).exists()


def test_a_word_in_more_notes_than_a_search_ranks_ranks_the_newest_and_says_so(w, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 3)
    now = timezone.now()
    made = []
    for age in (5, 4, 3, 2, 1):  # days old: the oldest has the word in its title
        note = write(
            w.ana,
            title="Falls clinic" if age == 5 else f"Round {age}",
            body="We talked about falls.",
        )
        Note.objects.filter(pk=note.pk).update(created=now - datetime.timedelta(days=age))
        made.append(note)
    first = found(w.ben, "q=falls&limit=2")
    assert first["ranked"] and first["bounded"]
    second = found(w.ben, f"q=falls&limit=2&cursor={first['next']}")
    assert second["bounded"] and second["next"] is None
    # Only the three newest matches were ranked: the title match is older than those.
    seen = [h["id"] for h in first["results"] + second["results"]]
    assert sorted(seen) == sorted(n.pk for n in made[2:])
    # Narrowing the search by date reaches it, and ranks it first.
    day = (now - datetime.timedelta(days=5)).date().isoformat()
    narrowed = found(w.ben, f"q=falls&to={day}")
    assert not narrowed["bounded"]
    assert [h["id"] for h in narrowed["results"]] == [made[0].pk]
    # Under the bound nothing is said.
    monkeypatch.setattr(search, "CANDIDATES", 50)
    whole = found(w.ben, "q=falls")
    assert not whole["bounded"] and whole["results"][0]["id"] == made[0].pk
    assert len(whole["results"]) == 5


def test_the_search_vector_keeps_a_larger_statistics_sample(w):
    # The planner's guess for a rare word rests on it (migration 0006): the larger
    # sample keeps rare words planned through the GIN index.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute"
            " WHERE attrelid = 'coordination_note'::regclass AND attname = 'search'"
        )
        assert cursor.fetchone()[0] == 1000
