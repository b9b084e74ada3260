"""Practice across the network through the API: every endpoint walked for every
persona (members and coaches read and write, inspectors and clients read public notes
only, nobody signed out reads anything), bad input with field messages, stale edits,
the client-data warning, search and feed pages, and query counts that do not grow."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coordination.events import NETWORK_STREAM, EventRecord
from coordination.practice import services
from coordination.practice import urls as practice_urls
from coordination.practice.models import (
    Answer,
    Comment,
    FeedItem,
    Follow,
    Note,
    NoteVersion,
    Pointer,
    Tag,
    Useful,
)
from teams.models import AuditEntry
from tests.api_walk import api_endpoints
from tests.care.jansen import jansen_with_family
from tests.coordination.test_practice import ask, tags, write
from tests.coordination.test_privacy_api import CANNOT_CONFIRM, MAY_CONFIRM
from tests.doors import api
from tests.factories import TeamFactory, member
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

API = "/api/v1/practice"
PARTICIPANTS = ["ana", "ben", "cas", "coach"]
READERS_OF_PUBLIC = ["inspector", "mrs_jansen", "daughter"]
SECRET = "Hoist with one carer at night"


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert body["message"], body
    return response.status_code, body["message"], body["extra"].get("fields", {})


def snapshot() -> dict:
    return {
        "notes": list(Note.objects.order_by("pk").values_list("pk", "version", "title", "public")),
        "versions": NoteVersion.objects.count(),
        "answers": Answer.objects.count(),
        "accepted": list(Note.objects.values_list("accepted_answer", flat=True)),
        "comments": Comment.objects.count(),
        "useful": Useful.objects.count(),
        "follows": Follow.objects.count(),
        "pointers": Pointer.objects.count(),
        "tags": Tag.objects.count(),
        "feed": FeedItem.objects.count(),
        "events": EventRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def w(personas):
    ensure_omaha_reference()
    tags("falls", "dementia", "medication")
    w = personas
    w.oost = TeamFactory(name="Oost", slug="oost")
    w.dina = member("dina", w.oost, first_name="Dina", last_name="Smit")
    w.question = ask(w.ana, title=SECRET, tags=["falls"], problems=[25])
    w.answer = services.answer_post(actor=w.cas, note=w.question, body="A ceiling hoist.")
    services.comment_add(actor=w.ben, note=w.question, body="Private thought")
    w.follow, _ = services.follow_add(actor=w.ana, tag=Tag.objects.get(slug="falls"))
    w.public = ask(w.ben, title="Open question", public=True)
    w.public_answer = services.answer_post(actor=w.dina, note=w.public, body="Yes.")
    services.comment_add(actor=w.coach, note=w.public, body="Good one.")
    return w


# --- the walk ---------------------------------------------------------------------------

ENDPOINTS = api_endpoints(practice_urls.urlpatterns)
IDS = [f"{method}-{name}" for name, _route, method in ENDPOINTS]


def request_for(w, name: str, note: Note, answer: Answer) -> tuple[str, dict, int | None]:
    """(path, body, version) of a request that works for the right person."""
    return {
        "api-practice-notes": (
            "notes",
            {"kind": "story", "title": "Tea", "body": "It works."},
            None,
        ),
        "api-practice-note": (f"notes/{note.pk}", {"title": "Retitled"}, note.version),
        "api-practice-versions": (f"notes/{note.pk}/versions", {}, None),
        "api-practice-answers": (f"notes/{note.pk}/answers", {"body": "Try a sling."}, None),
        "api-practice-useful": (f"notes/{note.pk}/useful", {}, None),
        "api-practice-comments": (f"notes/{note.pk}/comments", {"body": "Thanks!"}, None),
        "api-practice-pointers": (f"notes/{note.pk}/pointers", {"team": w.oost.pk}, None),
        "api-practice-accept": (f"answers/{answer.pk}/accept", {}, None),
        "api-practice-follows": ("follows", {"team": w.oost.pk}, None),
        "api-practice-follow": (f"follows/{w.follow.pk}", {}, None),
        "api-practice-tags": ("tags", {"name": "Night care"}, None),
        "api-practice-search": ("search?q=hoist", {}, None),
        "api-practice-feed": ("feed", {}, None),
    }[name]


def call(person, w, name: str, method: str, *, public: bool = False):
    note, answer = (w.public, w.public_answer) if public else (w.question, w.answer)
    path, body, version = request_for(w, name, note, answer)
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    client = api(person)
    if method == "get":
        return client.get(f"{API}/{path}")
    return getattr(client, method)(f"{API}/{path}", body, format="json", headers=headers)


def test_the_walk_covers_every_practice_endpoint():
    assert {(name, method) for name, _route, method in ENDPOINTS} == {
        ("api-practice-notes", "get"),
        ("api-practice-notes", "post"),
        ("api-practice-note", "get"),
        ("api-practice-note", "patch"),
        ("api-practice-versions", "get"),
        ("api-practice-answers", "get"),
        ("api-practice-answers", "post"),
        ("api-practice-useful", "post"),
        ("api-practice-useful", "delete"),
        ("api-practice-comments", "get"),
        ("api-practice-comments", "post"),
        ("api-practice-pointers", "post"),
        ("api-practice-accept", "post"),
        ("api-practice-follows", "get"),
        ("api-practice-follows", "post"),
        ("api-practice-follow", "delete"),
        ("api-practice-tags", "get"),
        ("api-practice-tags", "post"),
        ("api-practice-search", "get"),
        ("api-practice-feed", "get"),
    }


# What each participant gets on the private question (Ana asked it, Cas answered it,
# Ana follows the tag "falls"). Anything not listed: 200 for reads, 201 for creations.
PARTICIPANT_EXCEPTIONS = {
    ("ben", "api-practice-note", "patch"): 403,  # not team-owned: Ana's alone
    ("cas", "api-practice-note", "patch"): 403,
    ("coach", "api-practice-note", "patch"): 403,
    ("ben", "api-practice-accept", "post"): 403,  # only the asker marks the answer
    ("cas", "api-practice-accept", "post"): 403,
    ("coach", "api-practice-accept", "post"): 403,
    ("ana", "api-practice-pointers", "post"): 403,  # coaches point
    ("ben", "api-practice-pointers", "post"): 403,
    ("cas", "api-practice-pointers", "post"): 403,
    ("coach", "api-practice-tags", "post"): 403,  # team members add tags
    ("ben", "api-practice-follow", "delete"): 404,  # Ana's follow
    ("cas", "api-practice-follow", "delete"): 404,
    ("coach", "api-practice-follow", "delete"): 404,
}
CREATES = {
    "api-practice-notes",
    "api-practice-answers",
    "api-practice-comments",
    "api-practice-pointers",
    "api-practice-follows",
    "api-practice-tags",
}


def expected_for_participant(who: str, name: str, method: str) -> int:
    if (who, name, method) in PARTICIPANT_EXCEPTIONS:
        return PARTICIPANT_EXCEPTIONS[(who, name, method)]
    if method == "get":
        return 200
    if method == "delete":
        return 204 if name == "api-practice-follow" else 200
    return 201 if name in CREATES and method == "post" else 200


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", PARTICIPANTS)
def test_team_members_and_coaches_read_everything_and_write(w, who, name, route, method):
    expected = expected_for_participant(who, name, method)
    before = snapshot()
    response = call(getattr(w, who), w, name, method)
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert error(response)[1]
        assert snapshot() == before
    if method == "get" and name not in {"api-practice-tags", "api-practice-follows"}:
        sign = {"api-practice-answers": "A ceiling hoist", "api-practice-comments": "Private"}
        assert sign.get(name, SECRET) in response.content.decode()


# What inspectors and clients get on the private question: 404 wherever it is named,
# lists without it, 403 for a write that names nothing they cannot see.
OUTSIDER_ON_PRIVATE = {
    ("api-practice-notes", "get"): 200,
    ("api-practice-notes", "post"): 403,
    ("api-practice-follows", "get"): 200,
    ("api-practice-follows", "post"): 403,
    ("api-practice-follow", "delete"): 404,
    ("api-practice-tags", "get"): 200,
    ("api-practice-tags", "post"): 403,
    ("api-practice-search", "get"): 200,
    ("api-practice-feed", "get"): 200,
}


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", READERS_OF_PUBLIC)
def test_inspectors_and_clients_read_none_of_a_note_that_is_not_public(w, who, name, route, method):
    before = snapshot()
    response = call(getattr(w, who), w, name, method)
    expected = OUTSIDER_ON_PRIVATE.get((name, method), 404)
    assert response.status_code == expected, response.content
    content = response.content.decode()
    for private in (SECRET, "A ceiling hoist", "Private thought"):
        assert private not in content
    if expected >= 400:
        assert error(response)[2] == {}
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", READERS_OF_PUBLIC)
def test_inspectors_and_clients_read_a_public_note_and_write_nothing(w, who, name, route, method):
    before = snapshot()
    response = call(getattr(w, who), w, name, method, public=True)
    if method == "get":
        assert response.status_code == 200, response.content
        if name in {"api-practice-note", "api-practice-notes", "api-practice-feed"}:
            assert "Open question" in response.content.decode()
    else:
        # Ana's follow is not theirs (404); every other write is refused outright.
        expected = 404 if name == "api-practice-follow" else 403
        assert response.status_code == expected, response.content
        assert snapshot() == before
    assert SECRET not in response.content.decode()


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
def test_nobody_signed_out_reads_or_writes_anything(w, name, route, method):
    before = snapshot()
    response = call(None, w, name, method, public=True)
    assert response.status_code == 401
    assert "Open question" not in response.content.decode()
    assert snapshot() == before


def test_what_inspectors_see_of_a_public_note(w):
    response = api(w.inspector).get(f"{API}/notes/{w.public.pk}")
    body = response.json()
    assert (body["title"], body["public"], body["can_edit"], body["marked_useful"]) == (
        "Open question",
        True,
        False,
        False,
    )
    answers = api(w.inspector).get(f"{API}/notes/{w.public.pk}/answers").json()
    assert [a["body"] for a in answers] == ["Yes."]
    comments = api(w.inspector).get(f"{API}/notes/{w.public.pk}/comments").json()
    assert [c["body"] for c in comments] == ["Good one."]
    listed = api(w.inspector).get(f"{API}/notes").json()["results"]
    assert [n["title"] for n in listed] == ["Open question"]
    feed = api(w.inspector).get(f"{API}/feed").json()
    assert feed["stream"] is None
    assert [(i["kind"], i["note"]["title"]) for i in feed["results"]] == [
        ("answer", "Open question"),
        ("note", "Open question"),
    ]
    tag_counts = {t["slug"]: t["notes"] for t in api(w.inspector).get(f"{API}/tags").json()}
    assert tag_counts["falls"] == 0  # the private question's tag is not counted for them
    assert {t["slug"]: t["notes"] for t in api(w.ana).get(f"{API}/tags").json()}["falls"] == 1


def test_a_version_from_before_a_note_was_public_stays_unseen_by_inspectors(w):
    services.note_revise(actor=w.ana, note=w.question, version=1, public=True, title="Hoists")
    mine = api(w.ana).get(f"{API}/notes/{w.question.pk}/versions").json()
    assert [(v["number"], v["title"], v["public"]) for v in mine] == [
        (2, "Hoists", True),
        (1, SECRET, False),
    ]
    theirs = api(w.inspector).get(f"{API}/notes/{w.question.pk}/versions").json()
    assert [(v["number"], v["title"]) for v in theirs] == [(2, "Hoists")]


# --- writing through the API ------------------------------------------------------------


def test_publishing_answers_the_note_with_its_etag(w):
    response = api(w.ana).post(
        f"{API}/notes",
        {
            "kind": "guide",
            "title": "Night lights",
            "body": "Use *warm* light.",
            "tags": ["falls", "dementia"],
            "problems": [25],
            "targets": [1],
            "team_owned": True,
            "public": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response.headers["ETag"] == '"1"'
    assert body["body_html"] == "<p>Use <em>warm</em> light.</p>\n"
    assert [t["slug"] for t in body["tags"]] == ["dementia", "falls"]
    assert body["problems"] == [{"number": 25, "name": "Neuro-musculo-skeletal function"}]
    assert (body["team"]["name"], body["team_owned"], body["public"], body["can_edit"]) == (
        "Noord",
        True,
        True,
        True,
    )
    (event,) = EventRecord.objects.filter(stream=NETWORK_STREAM, data__note=body["id"])
    assert event.type == "note.published"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"title": ""}, {"title": ["Required."]}),
        ({"body": "x" * 20_001}, {"body": ["At most 20,000 characters (this has 20,001)."]}),
        (
            {"tags": ["falls", "nachtzorg"]},
            {
                "tags": [
                    "Unknown tag: “nachtzorg”. Choose from the list, or add the tag there first."
                ]
            },
        ),
        ({"problems": [43]}, {"problems": ["No Omaha problem 43: problems are numbered 1 to 42."]}),
        ({"targets": [0]}, {"targets": ["No Omaha target 0: targets are numbered 1 to 76."]}),
        ({"problems": ["x"]}, {"problems": ["A list of Omaha problem numbers."]}),
        ({"tags": "falls"}, {"tags": ['Expected a list of items but got type "str".']}),
        ({"kind": "memo"}, {"kind": ["One of practice, question, story, guide."]}),
        ({"team": 99999}, {"team": ["One of your own teams."]}),
        ({"colour": "red"}, {"colour": ["Not a field here."]}),
    ],
)
def test_bad_input_is_a_400_naming_the_field(w, body, fields):
    before = snapshot()
    sent = {"kind": "practice", "title": "A title", "body": "A body"} | body
    response = api(w.ana).post(f"{API}/notes", sent, format="json")
    status, message, found = error(response)
    assert (status, found) == (400, fields)
    assert message == "Some fields need attention."
    assert snapshot() == before


def test_marking_an_answer_on_someone_elses_question_is_a_clear_403(w):
    before = snapshot()
    response = api(w.cas).post(f"{API}/answers/{w.answer.pk}/accept", {}, format="json")
    assert error(response) == (
        403,
        "Only Ana de Vries, who asked, can mark the answer that helped.",
        {},
    )
    assert snapshot() == before
    response = api(w.ana).post(f"{API}/answers/{w.answer.pk}/accept", {}, format="json")
    assert response.status_code == 200 and response.json()["accepted"] is True
    response = api(w.ana).post(
        f"{API}/answers/{w.answer.pk}/accept", {"accepted": False}, format="json"
    )
    assert response.json()["accepted"] is False


def test_answering_a_note_that_is_no_question_is_a_400(w):
    note = write(w.ana)
    response = api(w.cas).post(f"{API}/notes/{note.pk}/answers", {"body": "Hi"}, format="json")
    assert error(response)[:2] == (
        400,
        "Only questions take answers: comment on this note instead.",
    )


def test_a_stale_edit_is_a_409_with_the_note_now_and_no_version_is_a_428(w):
    ok = api(w.ana).patch(
        f"{API}/notes/{w.question.pk}",
        {"title": "Hoists"},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = api(w.ana).patch(
        f"{API}/notes/{w.question.pk}", {"body": "Mine"}, format="json", headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 409
    body = stale.json()
    assert body["message"] == "The note changed since you opened it."
    assert (body["extra"]["current"]["title"], body["extra"]["current"]["version"]) == ("Hoists", 2)
    missing = api(w.ana).patch(f"{API}/notes/{w.question.pk}", {"body": "Mine"}, format="json")
    assert missing.status_code == 428
    with_field = api(w.ana).patch(
        f"{API}/notes/{w.question.pk}", {"body": "Mine", "version": 2}, format="json"
    )
    assert with_field.status_code == 200 and with_field.json()["version"] == 3


def test_a_note_naming_a_client_is_held_and_confirming_does_not_publish_it(w):
    jansen_with_family(w)
    sent = {"kind": "story", "title": "Mrs Jansen's garden", "body": "It helped her."}
    for confirm in (False, True):
        response = api(w.ben).post(
            f"{API}/notes", sent | {"confirm_no_client_data": confirm}, format="json"
        )
        status, message, fields = error(response)
        assert status == 400
        assert message.startswith("Not published: this seems to identify a client.")
        assert fields == {
            "title": ["“Mrs Jansen” in the title looks like the name of a client of team Noord."],
            "confirm_no_client_data": [CANNOT_CONFIRM],
        }
    assert not Note.objects.filter(title__contains="Jansen").exists()
    # Her surname alone may be someone else's: confirmed, it is published.
    soft = sent | {"title": "Jansen's garden idea"}
    status, message, fields = error(api(w.ben).post(f"{API}/notes", soft, format="json"))
    assert (status, fields["confirm_no_client_data"]) == (400, [MAY_CONFIRM])
    confirmed = api(w.ben).post(
        f"{API}/notes", soft | {"confirm_no_client_data": True}, format="json"
    )
    assert confirmed.status_code == 201
    # Cas, in another team, does not know her as a client: nothing is held.
    assert api(w.cas).post(f"{API}/notes", sent, format="json").status_code == 201


def test_useful_and_follows_are_idempotent(w):
    for _ in range(2):
        response = api(w.cas).post(f"{API}/notes/{w.question.pk}/useful", format="json")
        assert response.json() == {"note": w.question.pk, "marked_useful": True, "useful": 1}
    response = api(w.cas).delete(f"{API}/notes/{w.question.pk}/useful")
    assert response.json() == {"note": w.question.pk, "marked_useful": False, "useful": 0}
    first = api(w.ben).post(f"{API}/follows", {"problem": 25}, format="json")
    again = api(w.ben).post(f"{API}/follows", {"problem": 25}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    both = api(w.ben).post(f"{API}/follows", {"problem": 25, "team": w.zuid.pk}, format="json")
    assert error(both)[:2] == (400, "Send one of tag, problem or team: follow one thing at a time.")
    unknown = api(w.ben).post(f"{API}/follows", {"tag": "nope"}, format="json")
    assert error(unknown) == (400, "Some fields need attention.", {"tag": ["No tag “nope”."]})


# --- search and the feed ----------------------------------------------------------------


def test_search_filters_by_kind_tag_problem_team_and_date(w):
    ensure_omaha_reference()
    story = write(w.cas, kind="story", title="Hoist training day", tags=["medication"])
    Note.objects.filter(pk=story.pk).update(
        created=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    )

    def titles(query: str) -> list[str]:
        response = api(w.ana).get(f"{API}/search?{query}")
        assert response.status_code == 200, response.content
        # Newest first on SQLite, by relevance on PostgreSQL: compare what was found.
        return sorted(n["title"] for n in response.json()["results"])

    assert titles("q=hoist") == ["Hoist training day", SECRET]
    assert titles("q=hoist&kind=story") == ["Hoist training day"]
    assert titles("q=hoist&tag=falls") == [SECRET]
    assert titles("q=hoist&problem=25") == [SECRET]
    assert titles(f"q=hoist&team={w.zuid.pk}") == ["Hoist training day"]
    assert titles("q=hoist&from=2026-02-28&to=2026-03-01") == ["Hoist training day"]
    assert titles("q=hoist -training") == [SECRET]
    assert titles("kind=question") == [SECRET, "Open question"]
    for query, field in [
        ("kind=memo", "kind"),
        ("tag=nope", "tag"),
        ("problem=77", "problem"),
        ("team=x", "team"),
        ("from=yesterday", "from"),
        ("from=2026-03-02&to=2026-03-01", "to"),
        ("limit=0", "limit"),
        ("cursor=zzz", "cursor"),
        # Digits that are not decimal ("²" passes str.isdigit, int() refuses it).
        ("problem=%C2%B2", "problem"),
        ("team=%C2%B2", "team"),
        ("limit=%C2%B2", "limit"),
    ]:
        response = api(w.ana).get(f"{API}/search?{query}")
        assert response.status_code == 400, query
        assert list(error(response)[2]) == [field]
    # A query over its limit says by how much, in the house's one wording.
    response = api(w.ana).get(f"{API}/search?q={'a' * 201}")
    assert response.status_code == 400
    assert error(response)[2] == {"q": ["At most 200 characters (this has 201)."]}


def test_search_snippets_escape_the_note_and_mark_only_the_match(w):
    write(w.ana, title="About <b>hoists</b>", body="A <script>alert(1)</script> hoist story.")
    (hit,) = api(w.ana).get(f"{API}/search?q=story").json()["results"]
    assert "<mark>story</mark>" in hit["snippet"]
    for shown in (hit["snippet"], hit["title_html"]):
        assert "<" not in shown.replace("<mark>", "").replace("</mark>", ""), shown
    assert "hoists" in hit["title_html"]
    if connection.vendor == "sqlite":  # the fallback's own snippet: all of it, escaped
        assert hit["snippet"] == (
            "A &lt;script&gt;alert(1)&lt;/script&gt; hoist <mark>story</mark>."
        )
        assert hit["title_html"] == "About &lt;b&gt;hoists&lt;/b&gt;"
        assert hit["rank"] is None


def test_pages_of_search_and_the_feed_follow_each_other(w):
    for i in range(5):
        write(w.ana, title=f"Hoist {i}")
    seen, cursor = [], ""
    for _ in range(10):  # bounded: a cursor that repeats a page must not hang the run
        page = api(w.ben).get(f"{API}/search?q=hoist&limit=2{cursor}").json()
        seen += [n["title"] for n in page["results"]]
        if page["next"] is None:
            break
        cursor = f"&cursor={page['next']}"
    assert sorted(seen) == sorted([f"Hoist {i}" for i in range(5)] + [SECRET])
    feed = api(w.ben).get(f"{API}/feed?limit=3").json()
    assert feed["stream"] == NETWORK_STREAM and len(feed["results"]) == 3
    rest = api(w.ben).get(f"{API}/feed?limit=50&cursor={feed['next']}").json()
    assert rest["next"] is None
    ids = [(i["kind"], i["id"]) for i in feed["results"] + rest["results"]]
    assert len(ids) == len(set(ids)) == FeedItem.objects.count()
    assert api(w.ben).get(f"{API}/feed?cursor=nope").status_code == 400
    assert api(w.ben).get(f"{API}/feed?limit=51").status_code == 400


def grow(w, n: int) -> None:
    """``n`` more notes of assorted kinds, each with tags, an answer and a comment."""
    for i in range(n):
        note = services.note_publish(
            actor=[w.ana, w.cas, w.dina, w.coach][i % 4],
            kind="question",
            title=f"Hoist question {i}",
            body="How do you use the hoist?",
            tags=["falls", "medication"],
            problems=[25],
            public=i % 2 == 0,
        )
        services.answer_post(actor=w.ben, note=note, body="Two people.")
        services.comment_add(actor=w.coach, note=note, body="Good.")
        services.note_mark_useful(actor=w.cas, note=note)


@pytest.mark.parametrize(
    "path",
    [
        "feed?limit=50",
        "feed?following=1&limit=50",
        "search?q=hoist&limit=50",
        "search?q=hoist&tag=falls&problem=25&kind=question&limit=50",
        "notes?limit=50",
    ],
)
@pytest.mark.parametrize("who", ["ben", "inspector"])
def test_query_counts_stay_the_same_as_rows_grow(w, path, who):
    services.follow_add(actor=w.ben, team=w.zuid)
    services.follow_add(actor=w.ben, tag=Tag.objects.get(slug="medication"))
    person = getattr(w, who)
    counts = []
    for n in (3, 12):
        grow(w, n)
        with CaptureQueriesContext(connection) as queries:
            response = api(person).get(f"{API}/{path}")
        assert response.status_code == 200
        found = len(response.json()["results"])
        # The inspector follows nothing: their "following" feed is rightly empty.
        assert found == 0 if (who, path) == ("inspector", "feed?following=1&limit=50") else found
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_note_page_reads_are_constant_too(w):
    counts = []
    for n in (2, 10):
        for i in range(n):
            services.answer_post(actor=w.dina, note=w.question, body=f"Answer {i}")
            services.comment_add(actor=w.ben, note=w.question, body=f"Comment {i}")
            services.note_revise(
                actor=w.ana, note=w.question, version=w.question.version, body=f"Body {i} {n}"
            )
            w.question.refresh_from_db()
        services.note_point(
            actor=w.coach, note=w.question, team=[w.oost, w.zuid][n > 2], note_text="Ask them"
        )
        found = []
        for part in ("", "/answers", "/comments", "/versions"):
            with CaptureQueriesContext(connection) as queries:
                assert api(w.cas).get(f"{API}/notes/{w.question.pk}{part}").status_code == 200
            found.append(len(queries))
        counts.append(found)
    assert counts[0] == counts[1], counts


def test_a_tag_is_added_through_its_own_endpoint(w):
    response = api(w.dina).post(f"{API}/tags", {"name": "Night care"}, format="json")
    assert response.status_code == 201
    assert response.json() == {"slug": "night-care", "name": "Night care"}
    again = api(w.ana).post(f"{API}/tags", {"name": "Night Care"}, format="json")
    assert error(again) == (
        400,
        "Some fields need attention.",
        {"name": ["There is a tag “Night care” (night-care) already."]},
    )
    used = api(w.ana).post(
        f"{API}/notes",
        {"kind": "practice", "title": "Nights", "body": "Quiet.", "tags": ["night-care"]},
        format="json",
    )
    assert used.status_code == 201


def test_a_coach_points_through_the_api(w):
    response = api(w.coach).post(
        f"{API}/notes/{w.question.pk}/pointers",
        {"team": w.zuid.pk, "note": "They solved it"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["team"] == {"id": w.zuid.pk, "name": "Zuid"}
    detail = api(w.ana).get(f"{API}/notes/{w.question.pk}").json()
    assert [(p["team"]["name"], p["note"]) for p in detail["pointers"]] == [
        ("Zuid", "They solved it")
    ]
    unknown = api(w.coach).post(
        f"{API}/notes/{w.question.pk}/pointers", {"team": 99999}, format="json"
    )
    assert error(unknown)[2] == {"team": ["No such team."]}


def test_the_listing_of_feed_items_carries_figures(w):
    from tests.coordination.test_practice import share_figures

    share_figures(w.zuid.pk, 5)
    first = api(w.ana).get(f"{API}/feed").json()["results"][0]
    assert (first["kind"], first["shared_figures"], first["data"], first["team"]["name"]) == (
        "figures",
        5,
        {"period": "2026-11"},
        "Zuid",
    )
    assert first["note"] is None and first["answer"] is None
    assert SimpleNamespace(**first).kind == "figures"
