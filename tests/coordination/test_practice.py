"""Practice across the network, through the services: notes and their versions, who
edits, answers and the asker's mark, useful marks, follows, coaches' pointers, tags,
Markdown that renders inert, the network stream and the feed
(shared team figures heard from the event log)."""

from __future__ import annotations

import datetime
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from care.models import OmahaProblem
from coordination import access as live_access
from coordination.events import NETWORK_STREAM, Event, EventRecord, publish
from coordination.practice import access, feed, render, services
from coordination.practice.models import (
    Answer,
    FeedItem,
    Follow,
    Note,
    NoteVersion,
    Pointer,
    Tag,
    Useful,
)
from teams.errors import Conflict, PreconditionRequired
from teams.models import AuditEntry, Membership
from tests.factories import TeamFactory, member
from tests.factories import note as write  # a practice note unless told otherwise
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

READERS_OF_PUBLIC = ["inspector", "mrs_jansen", "daughter"]


def tags(*slugs: str) -> list[Tag]:
    """The tags (the migration seeds the list; a flushed database has none)."""
    return [
        Tag.objects.get_or_create(slug=s, defaults={"name": s.replace("-", " ").title()})[0]
        for s in slugs
    ]


def ask(actor, **fields) -> Note:
    values = {"kind": "question", "title": "Hoist with one carer?", "body": "How do you do it?"}
    return write(actor, **(values | fields))


def network_events(kind: str = "") -> list[tuple[str, dict]]:
    return [
        (e.type, e.data)
        for e in EventRecord.objects.filter(stream=NETWORK_STREAM, type__startswith=kind).order_by(
            "seq"
        )
    ]


@pytest.fixture
def w(personas):
    ensure_omaha_reference()
    tags("falls", "dementia", "medication")
    personas.oost = TeamFactory(name="Oost", slug="oost")
    personas.dina = member("dina", personas.oost, first_name="Dina", last_name="Smit")
    return personas


# --- publishing -------------------------------------------------------------------------


def test_publishing_a_note_keeps_version_one_renders_it_and_tells_the_network(w):
    problem = OmahaProblem.objects.get(number=25)  # Neuro-musculo-skeletal function
    note = write(
        w.ana,
        title="Falls at night",
        body="# What we do\n\nNight lights and a **motion sensor**.",
        tags=["falls", "dementia"],
        problems=[25],
        targets=[1],
    )
    note.refresh_from_db()
    assert (note.author, note.team, note.version, note.team_owned, note.public) == (
        w.ana,
        w.noord,
        1,
        False,
        False,
    )
    assert note.body_html == (
        "<h3>What we do</h3>\n<p>Night lights and a <strong>motion sensor</strong>.</p>\n"
    )
    assert sorted(t.slug for t in note.tags.all()) == ["dementia", "falls"]
    assert list(note.problems.all()) == [problem]
    (version,) = NoteVersion.objects.filter(note=note)
    assert (version.number, version.title, version.tags, version.problems, version.editor) == (
        1,
        "Falls at night",
        ["dementia", "falls"],
        [25],
        w.ana,
    )
    assert network_events() == [
        (
            "note.published",
            {
                "note": note.pk,
                "kind": "practice",
                "team": w.noord.pk,
                "version": 1,
                "public": False,
            },
        )
    ]
    item = FeedItem.objects.get(kind="note", ref_id=note.pk)
    assert (item.note, item.team, item.public) == (note, w.noord, False)
    assert sorted(t.slug for t in item.tags.all()) == ["dementia", "falls"]
    assert list(item.problems.all()) == [problem]
    assert AuditEntry.objects.filter(action="note.published", actor=w.ana).count() == 1


def test_a_coach_writes_for_herself_and_a_member_of_two_teams_chooses_one(w):
    note = write(w.coach)
    assert note.team is None
    with pytest.raises(ValidationError) as caught:
        write(w.coach, team=w.noord.pk)
    assert caught.value.message_dict == {"team": ["Coaches write for themselves, not a team."]}
    Membership.objects.create(team=w.zuid, person=w.ana)
    with pytest.raises(ValidationError) as caught:
        write(w.ana)
    assert caught.value.message_dict == {"team": ["Choose which of your teams writes this note."]}
    assert write(w.ana, team=w.zuid.pk).team == w.zuid
    with pytest.raises(ValidationError) as caught:
        write(w.ana, team=w.oost.pk)
    assert caught.value.message_dict == {"team": ["One of your own teams."]}
    with pytest.raises(ValidationError) as caught:
        write(w.coach, team_owned=True)
    assert caught.value.message_dict == {
        "team_owned": ["Only a note written for a team can be owned by it."]
    }


def test_every_problem_of_a_note_is_named_at_once_and_nothing_is_written(w):
    with pytest.raises(ValidationError) as caught:
        services.note_publish(
            actor=w.ana,
            kind="recipe",
            title="   ",
            body="x" * 20_001,
            tags=["falls", "night-owls"],
            problems=[25, 99],
            targets=[77],
        )
    assert caught.value.message_dict == {
        "kind": ["One of practice, question, story, guide."],
        "title": ["Required."],
        "body": ["At most 20,000 characters (this has 20,001)."],
        "tags": ["Unknown tag: “night-owls”. Choose from the list, or add the tag there first."],
        "problems": ["No Omaha problem 99: problems are numbered 1 to 42."],
        "targets": ["No Omaha target 77: targets are numbered 1 to 76."],
    }
    assert not Note.objects.exists()
    assert not EventRecord.objects.filter(stream=NETWORK_STREAM).exists()


def test_a_body_of_exactly_the_limit_is_fine_and_control_characters_are_dropped(w):
    note = write(w.ana, title="Tab\x02bed", body="y" * 20_000)
    assert note.title == "Tabbed"
    assert len(note.body) == 20_000


@pytest.mark.parametrize("who", READERS_OF_PUBLIC)
def test_inspectors_and_clients_write_nothing(w, who):
    person = getattr(w, who)
    note = write(w.ana, public=True, kind="question")
    calls = [
        lambda: write(person),
        lambda: services.answer_post(actor=person, note=note, body="Try this"),
        lambda: services.comment_add(actor=person, note=note, body="Thanks"),
        lambda: services.note_mark_useful(actor=person, note=note),
        lambda: services.follow_add(actor=person, tag=tags("falls")[0]),
        lambda: services.tag_create(actor=person, name="Night care"),
        lambda: services.note_point(actor=person, note=note, team=w.zuid),
        lambda: services.note_revise(actor=person, note=note, version=1, title="Mine"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert Note.objects.count() == 1 and not Answer.objects.exists()


# --- editing ----------------------------------------------------------------------------


def test_an_edit_makes_a_new_version_and_a_stale_one_is_a_conflict_with_the_note_now(w):
    note = write(w.ana, tags=["falls"])
    note = services.note_revise(
        actor=w.ana, note=note, version=1, body="Night lights, and a sensor mat.", tags=["dementia"]
    )
    assert note.version == 2
    assert note.body_html == "<p>Night lights, and a sensor mat.</p>\n"
    assert list(NoteVersion.objects.filter(note=note).values_list("number", "body", "tags")) == [
        (2, "Night lights, and a sensor mat.", ["dementia"]),
        (1, "We put in night lights.", ["falls"]),
    ]
    item = FeedItem.objects.get(kind="note", ref_id=note.pk)
    assert [t.slug for t in item.tags.all()] == ["dementia"]
    assert network_events("note.revised") == [
        (
            "note.revised",
            {
                "note": note.pk,
                "kind": "practice",
                "team": w.noord.pk,
                "version": 2,
                "public": False,
            },
        )
    ]
    with pytest.raises(Conflict) as caught:
        services.note_revise(actor=w.ana, note=note, version=1, title="Something else")
    assert caught.value.message == "The note changed since you opened it."
    assert caught.value.current["version"] == 2
    assert caught.value.current["body"] == "Night lights, and a sensor mat."
    assert caught.value.current["tags"] == ["dementia"]
    with pytest.raises(PreconditionRequired):
        services.note_revise(actor=w.ana, note=note, version=None, title="x")
    # The same text again is no new version.
    same = services.note_revise(actor=w.ana, note=note, version=2, body=note.body)
    assert same.version == 2 and NoteVersion.objects.filter(note=note).count() == 2


def test_only_the_author_edits_a_personal_note_and_any_current_member_a_team_owned_one(w):
    personal = write(w.ana)
    owned = write(w.ana, team_owned=True, title="Our handover routine")
    for person in (w.ben, w.cas, w.coach, w.dina):
        with pytest.raises(PermissionDenied) as caught:
            services.note_revise(actor=person, note=personal, version=1, title="Changed")
        assert str(caught.value) == "Only its author can edit this note."
    # Ben is in Noord: he edits the team's note; Cas and the coach are not.
    services.note_revise(actor=w.ben, note=owned, version=1, title="Our handover, revised")
    for person in (w.cas, w.coach):
        with pytest.raises(PermissionDenied) as caught:
            services.note_revise(actor=person, note=owned, version=2, title="Changed")
        assert str(caught.value) == "Only members of team Noord can edit this note."
    # Once Ben leaves Noord, he no longer edits its note.
    Membership.objects.filter(person=w.ben).update(left=datetime.date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        services.note_revise(actor=w.ben, note=owned, version=2, title="Changed again")
    assert access.can_edit_note(w.ana, owned) and not access.can_edit_note(w.ben, owned)


def test_making_a_note_public_makes_its_feed_entries_public(w):
    question = ask(w.ana)
    services.answer_post(actor=w.cas, note=question, body="We use a ceiling hoist.")
    assert set(FeedItem.objects.values_list("public", flat=True)) == {False}
    services.note_revise(actor=w.ana, note=question, version=1, public=True)
    assert set(FeedItem.objects.values_list("public", flat=True)) == {True}
    assert FeedItem.objects.count() == 2


# --- answers, useful, comments ----------------------------------------------------------


def test_only_the_asker_marks_the_answer_that_helped(w):
    question = ask(w.ana)
    first = services.answer_post(actor=w.cas, note=question, body="A ceiling hoist.")
    second = services.answer_post(actor=w.coach, note=question, body="Ask the OT.")
    assert (first.team, second.team) == (w.zuid, None)
    question.refresh_from_db()
    assert question.answer_count == 2
    for person in (w.ben, w.cas, w.coach):
        with pytest.raises(PermissionDenied) as caught:
            services.answer_accept(actor=person, answer=first)
        assert str(caught.value) == "Only Ana de Vries, who asked, can mark the answer that helped."
    services.answer_accept(actor=w.ana, answer=first)
    services.answer_accept(actor=w.ana, answer=first)  # again: nothing changes
    services.answer_accept(actor=w.ana, answer=second)
    question.refresh_from_db()
    assert question.accepted_answer == second
    services.answer_accept(actor=w.ana, answer=second, accepted=False)
    question.refresh_from_db()
    assert question.accepted_answer is None
    assert network_events("answer.accepted") == [
        ("answer.accepted", {"note": question.pk, "answer": first.pk, "accepted": True}),
        ("answer.accepted", {"note": question.pk, "answer": second.pk, "accepted": True}),
        ("answer.accepted", {"note": question.pk, "answer": second.pk, "accepted": False}),
    ]
    assert network_events("answer.posted") == [
        ("answer.posted", {"note": question.pk, "answer": first.pk, "team": w.zuid.pk}),
        ("answer.posted", {"note": question.pk, "answer": second.pk, "team": None}),
    ]


def test_only_questions_take_answers_and_a_question_with_answers_stays_one(w):
    note = write(w.ana)
    with pytest.raises(ValidationError) as caught:
        services.answer_post(actor=w.cas, note=note, body="Hello")
    assert caught.value.messages == ["Only questions take answers: comment on this note instead."]
    question = ask(w.ana)
    services.answer_post(actor=w.cas, note=question, body="Yes")
    with pytest.raises(ValidationError) as caught:
        services.note_revise(actor=w.ana, note=question, version=1, kind="story")
    assert caught.value.message_dict == {
        "kind": ["This question has answers: it stays a question."]
    }
    with pytest.raises(ValidationError) as caught:
        services.answer_post(actor=w.cas, note=question, body="  ")
    assert caught.value.message_dict == {"body": ["Required."]}


def test_useful_once_per_person_and_taken_back(w):
    note = write(w.ana)
    assert services.note_mark_useful(actor=w.cas, note=note) is True
    assert services.note_mark_useful(actor=w.cas, note=note) is False
    assert services.note_mark_useful(actor=w.coach, note=note) is True
    note.refresh_from_db()
    assert note.useful_count == 2 and Useful.objects.filter(note=note).count() == 2
    assert services.note_unmark_useful(actor=w.cas, note=note) is True
    assert services.note_unmark_useful(actor=w.cas, note=note) is False
    note.refresh_from_db()
    assert note.useful_count == 1


def test_comments_are_plain_text_with_a_limit(w):
    note = write(w.ana)
    comment = services.comment_add(actor=w.coach, note=note, body="  <b>Nice</b>  ")
    assert comment.body == "<b>Nice</b>"
    with pytest.raises(ValidationError) as caught:
        services.comment_add(actor=w.cas, note=note, body="z" * 2001)
    assert caught.value.message_dict == {"body": ["At most 2,000 characters (this has 2,001)."]}


# --- follows, pointers, tags ------------------------------------------------------------


def test_follows_once_each_and_one_thing_at_a_time(w):
    falls = tags("falls")[0]
    problem = OmahaProblem.objects.get(number=25)
    follow, created = services.follow_add(actor=w.ana, tag=falls)
    again, created_again = services.follow_add(actor=w.ana, tag=falls)
    assert (created, created_again, again) == (True, False, follow)
    services.follow_add(actor=w.ana, problem=problem)
    services.follow_add(actor=w.ana, team=w.zuid)
    assert Follow.objects.filter(person=w.ana).count() == 3
    with pytest.raises(ValidationError):
        services.follow_add(actor=w.ana, tag=falls, team=w.zuid)
    with pytest.raises(PermissionDenied):
        services.follow_remove(actor=w.ben, follow=follow)
    services.follow_remove(actor=w.ana, follow=follow)
    assert Follow.objects.filter(person=w.ana).count() == 2


def test_a_coach_points_a_question_to_a_team_which_hears_it_on_its_stream(w):
    question = ask(w.ana)
    with pytest.raises(PermissionDenied):
        services.note_point(actor=w.cas, note=question, team=w.zuid)
    pointer = services.note_point(
        actor=w.coach, note=question, team=w.zuid, note_text="Zuid did this last year"
    )
    assert (pointer.team, pointer.by, pointer.note_text) == (
        w.zuid,
        w.coach,
        "Zuid did this last year",
    )
    data = {"note": question.pk, "team": w.zuid.pk, "pointer": pointer.pk}
    assert network_events("note.pointed") == [("note.pointed", data)]
    on_team = EventRecord.objects.get(stream=w.zuid.stream, type="note.pointed")
    assert on_team.data == data
    with pytest.raises(ValidationError) as caught:
        services.note_point(actor=w.coach, note=question, team=w.zuid)
    assert caught.value.message_dict == {"team": ["This question is pointed to team Zuid already."]}
    with pytest.raises(ValidationError) as caught:
        services.note_point(actor=w.coach, note=question, team=w.noord)
    assert caught.value.message_dict == {"team": ["Team Noord asked this question."]}
    with pytest.raises(ValidationError):
        services.note_point(actor=w.coach, note=write(w.ana), team=w.zuid)
    assert Pointer.objects.count() == 1


def test_team_members_add_tags_and_a_tag_is_never_made_twice(w):
    tag = services.tag_create(actor=w.cas, name="Night care")
    assert (tag.slug, tag.name, tag.created_by) == ("night-care", "Night care", w.cas)
    with pytest.raises(ValidationError) as caught:
        services.tag_create(actor=w.ana, name="night care")
    assert caught.value.message_dict == {
        "name": ["There is a tag “Night care” (night-care) already."]
    }
    with pytest.raises(ValidationError) as caught:
        services.tag_create(actor=w.ana, name="")
    assert caught.value.message_dict == {"name": ["Required."]}
    with pytest.raises(PermissionDenied):
        services.tag_create(actor=w.coach, name="Coaching tips")


# --- Markdown renders inert -------------------------------------------------------------

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<body onload="alert(1)">',
    "<svg/onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<iframe src=javascript:alert(1)></iframe>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<div style="width: expression(alert(1))">x</div>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    "<object data=javascript:alert(1)></object>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<input autofocus onfocus="alert(1)">',
    "<details open ontoggle=alert(1)>",
    "<!-- --><script>alert(1)</script>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](javascript&colon;alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '[click](https://example.org "x" onclick="alert(1)")',
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x" onerror="alert(1)](https://example.org/a.png)',
    "<javascript:alert(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    '<https://example.org/"onmouseover="alert(1)>',
    "```html\n<script>alert(1)</script>\n```",
    "<div>\n\n**raw block**\n\n</div><script>alert(1)</script>",
    "<p onclick=alert(1)>raw paragraph</p>",
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<base href=javascript:alert(1)//>",
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:alert(1)">x</a>',
]


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_known_xss_payloads_render_inert(payload):
    html = render.render(payload)
    parsed = TagCollector()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag in render.ALLOWED_TAGS, (tag, html)
        allowed = render.ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attrs:
            assert name in allowed, (tag, name, html)
            if name == "href":
                scheme = urlsplit(value or "").scheme.lower()
                assert scheme in {"", "http", "https", "mailto"}, html
        if tag == "a":
            assert ("rel", "noopener noreferrer nofollow") in attrs, html
    lowered = html.lower()
    for live in ("<script", "<iframe", "<svg", "<img", "<style", "<object", "<form", "<meta"):
        assert live not in lowered, html


def test_markdown_keeps_what_notes_need():
    html = render.render(
        "## Steps\n\n1. Ask\n2. Try\n\n- a *b* ~~c~~ `d`\n\n> quote\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.org) <mailto:x@y.z>"
    )
    assert "<h4>Steps</h4>" in html
    assert "<ol>\n<li>Ask</li>" in html and "<em>b</em>" in html and "<s>c</s>" in html
    assert "<code>d</code>" in html and "<blockquote>" in html and "<td>1</td>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>' in html
    assert '<a href="mailto:x@y.z" rel="noopener noreferrer nofollow">mailto:x@y.z</a>' in html


# --- the network stream and the feed ----------------------------------------------------


def test_team_members_and_coaches_follow_the_network_stream_inspectors_and_clients_do_not(w):
    for person in (w.ana, w.cas, w.coach):
        assert NETWORK_STREAM in live_access.readable_streams(person)
    for who in READERS_OF_PUBLIC:
        assert NETWORK_STREAM not in live_access.readable_streams(getattr(w, who))
    assert access.reads_live(w.coach) and not access.reads_live(w.inspector)


def share_figures(team_id, shared: int, period: str = "2026-11", **extra):
    with transaction.atomic():
        publish(
            Event(
                "figures.shared",
                {"team": team_id, "period": period, "shared_figures": shared, **extra},
            ),
            streams=[NETWORK_STREAM],
        )


def test_shared_figures_heard_from_the_log_become_one_feed_entry(w, loose_events):
    # Malformed events on purpose (loose_events: as production, they are published).
    share_figures(w.zuid.pk, 7, url="/teams/zuid/figures/")
    share_figures(w.zuid.pk, 7)  # the same figures again: still one entry
    (item,) = FeedItem.objects.filter(kind="figures")
    assert (item.ref_id, item.team, item.public, item.data) == (
        7,
        w.zuid,
        False,
        {"period": "2026-11", "url": "/teams/zuid/figures/"},
    )
    # Malformed events are skipped, and never fail the write that published them.
    share_figures(None, 8)
    share_figures(w.zuid.pk, 9, period="November")
    share_figures(99999, 10)
    with transaction.atomic():
        publish(
            Event("figures.shared", {"team": w.zuid.pk, "period": "2026-11", "shared_figures": 11}),
            streams=[w.zuid.stream],  # not the network's
        )
    assert FeedItem.objects.filter(kind="figures").count() == 1


def test_the_feed_is_newest_first_public_for_outsiders_and_narrowed_to_what_one_follows(w):
    ensure_omaha_reference()
    falls_note = write(w.ana, tags=["falls"], title="Falls")
    zuid_note = write(w.cas, title="Zuid's rota", public=True)
    problem_note = write(w.dina, title="Medication rounds", problems=[42])
    question = ask(w.ben)
    answer = services.answer_post(actor=w.dina, note=question, body="Like this")
    share_figures(w.zuid.pk, 3)
    everything = feed.feed(w.ana).items
    assert [(i.kind, i.ref_id) for i in everything] == [
        ("figures", 3),
        ("answer", answer.pk),
        ("note", question.pk),
        ("note", problem_note.pk),
        ("note", zuid_note.pk),
        ("note", falls_note.pk),
    ]
    assert [i.ref_id for i in feed.feed(w.coach).items] == [i.ref_id for i in everything]
    for who in READERS_OF_PUBLIC:
        assert [(i.kind, i.ref_id) for i in feed.feed(getattr(w, who)).items] == [
            ("note", zuid_note.pk)
        ]
    assert feed.feed(w.ana, following=True).items == []
    services.follow_add(actor=w.ana, tag=Tag.objects.get(slug="falls"))
    services.follow_add(actor=w.ana, team=w.zuid)
    services.follow_add(actor=w.ana, problem=OmahaProblem.objects.get(number=42))
    assert [(i.kind, i.ref_id) for i in feed.feed(w.ana, following=True).items] == [
        ("figures", 3),
        ("note", problem_note.pk),
        ("note", zuid_note.pk),
        ("note", falls_note.pk),
    ]


def test_feed_pages_follow_each_other_without_gaps_or_repeats(w):
    notes = [write(w.ana, title=f"Note {i}") for i in range(7)]
    seen, cursor = [], None
    for _ in range(10):  # bounded: a cursor that repeats a page must not hang the run
        page = feed.feed(w.ben, cursor=cursor, limit=3)
        seen += [i.ref_id for i in page.items]
        if page.next is None:
            break
        cursor = page.next
    assert seen == [n.pk for n in reversed(notes)]
    with pytest.raises(ValidationError) as caught:
        feed.feed(w.ben, cursor="not-a-cursor")
    assert caught.value.message_dict == {"cursor": [feed.BAD_CURSOR]}


def test_nobody_signed_out_reads_anything(w):
    from django.contrib.auth.models import AnonymousUser

    write(w.ana, public=True)
    nobody = AnonymousUser()
    assert access.notes_for(nobody).count() == 0
    assert feed.feed(nobody).items == []
    assert not access.is_participant(nobody)


def test_a_person_left_every_team_reads_public_notes_only(w):
    write(w.ana, title="Secret-ish")
    public = write(w.ana, title="Open", public=True)
    Membership.objects.filter(person=w.cas).update(left=datetime.date(2026, 1, 1))
    assert list(access.notes_for(w.cas)) == [public]
    assert SimpleNamespace(ok=access.can_write(w.cas)).ok is False


def test_the_demo_writes_a_living_feed_once(w):
    from coordination.practice import demo
    from teams import demo as teams_demo

    teams_demo.seed()
    tags(*{slug for note in demo.NOTES for slug in note[4]})
    made = demo.seed()
    assert made == {"notes": 48, "answers": len(demo.ANSWERS)}
    kinds = Note.objects.values_list("kind", flat=True)
    assert sorted(set(kinds)) == ["guide", "practice", "question", "story"]
    assert all(list(kinds).count(k) == 12 for k in set(kinds))
    assert Note.objects.filter(accepted_answer__isnull=False).count() == len(demo.ACCEPTED)
    assert Pointer.objects.count() == 1 and Follow.objects.count() == 3
    newest = [i.kind for i in feed.feed(w.ana, limit=50).items]
    assert "note" in newest and "answer" in newest
    assert demo.seed() == {"notes": 0, "answers": 0}


def test_every_kind_of_note_has_its_newest_first_index():
    # One partial index per kind (coordination/practice/models.py): a new kind needs one.
    names = {index.name for index in Note._meta.indexes}
    assert {f"practice_note_newest_{kind}" for kind in Note.Kind.values} <= names
