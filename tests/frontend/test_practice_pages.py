"""The practice pages: the feed (live for members and coaches, public-only for
inspectors and clients), search with filters and safe highlighted snippets, a note's
page and its actions, the new note form with the client-data warning, editing with a
409 when someone else saved first, and what one follows."""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from coordination.events import NETWORK_STREAM
from coordination.practice import services
from coordination.practice.models import Answer, Follow, Note, NoteVersion
from frontend import writes
from tests.care.jansen import jansen_with_family
from tests.coordination.test_practice import (
    XSS_PAYLOADS,
    TagCollector,
    ask,
    share_figures,
    tags,
    write,
)
from tests.factories import TeamFactory, member
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

READERS_OF_PUBLIC = ["inspector", "mrs_jansen", "daughter"]
SECRET = "Hoist with one carer at night"


def browser(person) -> Browser:
    b = Browser()
    b.force_login(person)
    return b


def htmx(person) -> Browser:
    b = browser(person)
    b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


@pytest.fixture
def w(personas):
    ensure_omaha_reference()
    tags("falls", "dementia", "medication")
    w = personas
    w.oost = TeamFactory(name="Oost", slug="oost")
    w.dina = member("dina", w.oost, first_name="Dina", last_name="Smit")
    w.question = ask(w.ana, title=SECRET, tags=["falls"], problems=[25])
    w.answer = services.answer_post(actor=w.cas, note=w.question, body="A **ceiling** hoist.")
    w.public = write(w.ben, title="Open door mornings", public=True, tags=["dementia"])
    return w


# --- the feed ---------------------------------------------------------------------------


def test_the_feed_lists_notes_and_answers_and_follows_the_network_stream(w):
    share_figures(w.zuid.pk, 4)
    html = browser(w.dina).get("/practice/").content.decode()
    assert SECRET in html and "Open door mornings" in html
    assert "Cas Bakker answered “Hoist with one carer at night”" in html
    assert "Team Zuid shared its figures for November 2026" in html
    assert 'href="/teams/oost/figures/"' in html  # compared on Dina's own team's page
    # Live: the snapshot carries the network's head; the list re-reads on its events.
    assert f'"{NETWORK_STREAM}": ' in html
    assert 'data-stream="network"' in html and "note.published" in html
    assert '<a href="/practice/" aria-current="page">Practice</a>' in html


def test_inspectors_and_clients_see_the_public_feed_not_live(w):
    for who in READERS_OF_PUBLIC:
        response = browser(getattr(w, who)).get("/practice/")
        assert response.status_code == 200
        html = response.content.decode()
        assert "Open door mornings" in html
        assert SECRET not in html and "ceiling" not in html
        assert 'id="kith-live"' not in html
        assert 'data-stream="network"' not in html
        assert "Write a note" not in html


def test_the_feed_narrows_to_what_one_follows_and_pages_by_cursor(w):
    services.follow_add(actor=w.dina, tag=w.public.tags.get())
    html = browser(w.dina).get("/practice/?following=1").content.decode()
    assert "Open door mornings" in html and SECRET not in html
    for i in range(25):
        write(w.cas, title=f"Filler {i}")
    first = browser(w.dina).get("/practice/").content.decode()
    assert "Filler 24" in first and 'rel="next"' in first
    bad = browser(w.dina).get("/practice/?cursor=zzz")
    assert bad.status_code == 400 and "Not a cursor this feed gave out" in bad.content.decode()
    part = htmx(w.dina).get("/practice/?part=feed").content.decode()
    assert part.strip().startswith('<section class="card" id="practice-feed"')


def test_nobody_signed_out_sees_practice(w):
    for path in ("/practice/", "/practice/search/", f"/practice/notes/{w.public.pk}/"):
        response = Browser().get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login/")


# --- search -----------------------------------------------------------------------------


def test_search_filters_and_marks_matches_in_escaped_snippets(w):
    write(w.cas, title="Hoist <em>tips</em>", body="Our <script>alert(1)</script> hoist routine.")
    html = browser(w.ben).get("/practice/search/", {"q": "hoist"}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "<em>tips</em>" not in html
    assert "<mark>" in html
    assert f'data-note="{w.question.pk}"' in html
    only_dementia = browser(w.ben).get("/practice/search/", {"tag": "dementia"}).content.decode()
    assert "Open door mornings" in only_dementia and SECRET not in only_dementia
    refused = browser(w.ben).get("/practice/search/", {"kind": "memo", "from": "soon"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "One of practice, question, story, guide." in text
    assert "A date like 2026-12-08." in text


def test_inspectors_search_public_notes_only(w):
    html = browser(w.inspector).get("/practice/search/", {"q": "hoist"}).content.decode()
    assert SECRET not in html and "Nothing found" in html


# --- a note -----------------------------------------------------------------------------


def test_a_note_page_shows_the_rendered_body_answers_and_who_may_do_what(w):
    html = browser(w.ana).get(f"/practice/notes/{w.question.pk}/").content.decode()
    assert "<strong>ceiling</strong>" in html
    assert 'data-action="accept"' in html  # Ana asked
    assert 'data-action="edit"' in html
    other = browser(w.cas).get(f"/practice/notes/{w.question.pk}/").content.decode()
    assert 'data-action="accept"' not in other and 'data-action="edit"' not in other
    assert 'data-action="useful"' in other
    coach = browser(w.coach).get(f"/practice/notes/{w.question.pk}/").content.decode()
    assert "Point this question to a team that solved it" in coach


@pytest.mark.parametrize("who", READERS_OF_PUBLIC)
def test_a_note_that_is_not_public_is_404_for_inspectors_and_clients(w, who):
    assert browser(getattr(w, who)).get(f"/practice/notes/{w.question.pk}/").status_code == 404
    page = browser(getattr(w, who)).get(f"/practice/notes/{w.public.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Open door mornings" in html and 'data-action="useful"' not in html
    for path in (
        f"/practice/notes/{w.public.pk}/comment/",
        f"/practice/notes/{w.question.pk}/answer/",
    ):
        refused = browser(getattr(w, who)).post(path, {"body": "Hello"})
        assert refused.status_code in {302, 403, 404}
    assert not w.public.comments.exists() and Answer.objects.count() == 1
    assert browser(getattr(w, who)).get("/practice/notes/new/").status_code == 403


def test_payloads_in_a_note_render_inert_on_its_page(w):
    body = "\n\n".join(XSS_PAYLOADS)
    note = write(w.ana, title="<script>alert('t')</script>", body=body)
    services.answer_post(actor=w.cas, note=ask(w.ana), body=body)
    for path in (f"/practice/notes/{note.pk}/", "/practice/search/?q=alert"):
        html = browser(w.ben).get(path).content.decode()
        parsed = TagCollector()
        # The page's main part (the bottom bar after it draws its icons in SVG).
        parsed.feed(html.split('<main id="main">')[1].split("</main>")[0])
        for tag, attrs in parsed.tags:
            if tag == "script":  # only the page's own live config, which is JSON
                assert ("type", "application/json") in attrs, attrs
            assert tag not in {"iframe", "svg", "img", "object", "style", "embed", "meta"}, tag
            for name, value in attrs:
                assert not name.startswith("on"), (tag, name)
                if name in {"href", "src", "action"}:
                    assert (
                        not (value or "")
                        .lower()
                        .lstrip()
                        .startswith(("javascript", "data", "vbscript"))
                    ), (tag, name, value)


def test_answering_marking_and_commenting_from_the_page(w):
    response = htmx(w.dina).post(
        f"/practice/notes/{w.question.pk}/answer/", {"body": "Two carers, always."}
    )
    assert response.status_code == 200
    assert "Your answer is posted." in response.content.decode()
    answer = Answer.objects.get(author=w.dina)
    refused = htmx(w.cas).post(f"/practice/answers/{answer.pk}/accept/", {"accepted": "1"})
    assert refused.status_code == 403
    assert "Only Ana de Vries, who asked, can mark the answer that helped." in (
        refused.content.decode()
    )
    accepted = htmx(w.ana).post(f"/practice/answers/{answer.pk}/accept/", {"accepted": "1"})
    assert accepted.status_code == 200 and "Helped the asker" in accepted.content.decode()
    useful = htmx(w.cas).post(f"/practice/notes/{w.question.pk}/useful/")
    assert "1 found it useful" in useful.content.decode()
    comment = browser(w.coach).post(f"/practice/notes/{w.question.pk}/comment/", {"body": "Nice"})
    assert comment.status_code == 302
    assert comment.headers["Location"] == f"/practice/notes/{w.question.pk}/#comments"
    empty = htmx(w.coach).post(f"/practice/notes/{w.question.pk}/comment/", {"body": " "})
    assert empty.status_code == 400 and "Required" in empty.content.decode()
    pointed = htmx(w.coach).post(
        f"/practice/notes/{w.question.pk}/point/", {"team": str(w.oost.pk), "note": "Ask Oost"}
    )
    assert pointed.status_code == 200 and "Team Oost" in pointed.content.decode()


# --- writing and editing ----------------------------------------------------------------


def form(**fields) -> dict:
    return {"kind": "practice", "title": "Door signs", "body": "Big letters help."} | fields


def test_writing_a_note_from_the_form(w):
    page = browser(w.ben).get("/practice/notes/new/")
    assert page.status_code == 200 and 'name="confirm_no_client_data"' not in page.content.decode()
    response = browser(w.ben).post(
        "/practice/notes/new/", form(tags=["dementia", "falls"], problems=["25"], public="on")
    )
    note = Note.objects.get(title="Door signs")
    assert response.status_code == 302 and response.headers["Location"] == (
        f"/practice/notes/{note.pk}/"
    )
    assert (note.team, note.public, sorted(t.slug for t in note.tags.all())) == (
        w.noord,
        True,
        ["dementia", "falls"],
    )


def test_the_form_keeps_what_was_typed_and_names_each_problem(w):
    response = browser(w.ben).post(
        "/practice/notes/new/", form(title="", body="x" * 20_001, tags=["falls"], problems=["99"])
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Required." in html
    assert "At most 20,000 characters (this has 20,001)." in html
    assert "No Omaha problem 99" in html
    assert 'value="falls" checked' in html
    assert not Note.objects.filter(body__startswith="xxx").exists()


def test_a_clients_name_is_held_in_place_and_a_surname_alone_published_once_confirmed(w):
    jansen_with_family(w)
    sent = form(title="Mrs Jansen and the door signs")
    for confirm in ({}, {"confirm_no_client_data": "on"}):
        response = browser(w.ben).post("/practice/notes/new/", sent | confirm)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Not published: this seems to identify a client." in html
        # The reason under the title, where it was found, and in the list.
        reason = "“Mrs Jansen” in the title looks like the name of a client of team Noord."
        assert html.count(reason) == 2
        assert 'name="confirm_no_client_data"' not in html  # nothing to confirm away
        assert 'value="Mrs Jansen and the door signs"' in html
    assert not Note.objects.filter(title__contains="Jansen").exists()
    soft = sent | {"title": "Jansen and the door signs"}
    html = browser(w.ben).post("/practice/notes/new/", soft).content.decode()
    assert "looks like the surname of a client of team Noord" in html
    assert 'name="confirm_no_client_data"' in html
    confirmed = browser(w.ben).post("/practice/notes/new/", soft | {"confirm_no_client_data": "on"})
    assert confirmed.status_code == 302
    assert Note.objects.filter(title="Jansen and the door signs").exists()


def test_editing_saves_a_version_and_a_stale_form_is_a_409_keeping_the_text(w):
    page = browser(w.ana).get(f"/practice/notes/{w.question.pk}/edit/").content.decode()
    assert 'name="version" value="1"' in page and SECRET in page
    saved = browser(w.ana).post(
        f"/practice/notes/{w.question.pk}/edit/",
        form(kind="question", title="Hoists at night", version="1"),
    )
    assert saved.status_code == 302
    stale = browser(w.ana).post(
        f"/practice/notes/{w.question.pk}/edit/",
        form(kind="question", title="My version", body="Mine.", version="1"),
    )
    assert stale.status_code == 409
    html = stale.content.decode()
    assert "The note changed since you opened it." in html
    assert "Hoists at night" in html  # the note as it is now
    assert 'value="My version"' in html and 'name="version" value="2"' in html
    assert NoteVersion.objects.filter(note=w.question).count() == 2
    again = browser(w.ana).post(
        f"/practice/notes/{w.question.pk}/edit/",
        form(kind="question", title="My version", body="Mine.", version="2"),
    )
    assert again.status_code == 302
    assert browser(w.cas).get(f"/practice/notes/{w.question.pk}/edit/").status_code == 403
    assert browser(w.inspector).get(f"/practice/notes/{w.question.pk}/edit/").status_code == 404
    versions = browser(w.ben).get(f"/practice/notes/{w.question.pk}/").content.decode()
    assert 'data-version="3"' in versions and 'data-version="1"' in versions


@pytest.mark.parametrize("version", ["", "²", "one"])
def test_an_edit_without_a_readable_version_is_a_400_keeping_the_text(w, version):
    response = browser(w.ana).post(
        f"/practice/notes/{w.question.pk}/edit/",
        form(kind="question", title="Typed, not lost", version=version),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert writes.STALE in html  # the one wording of every page (frontend.writes)
    assert 'value="Typed, not lost"' in html
    assert NoteVersion.objects.filter(note=w.question).count() == 1


# --- follows ----------------------------------------------------------------------------


def test_following_and_unfollowing(w):
    b = browser(w.cas)
    assert b.post("/practice/follows/", {"tag": "falls"}).status_code == 302
    assert b.post("/practice/follows/", {"problem": "25"}).status_code == 302
    assert b.post("/practice/follows/", {"team": str(w.oost.pk)}).status_code == 302
    html = b.get("/practice/follows/").content.decode()
    assert "Tag: Falls" in html and "Omaha problem 25" in html and "Team Oost" in html
    follow = Follow.objects.get(person=w.cas, tag__slug="falls")
    assert b.post("/practice/follows/", {"unfollow": str(follow.pk)}).status_code == 302
    assert Follow.objects.filter(person=w.cas).count() == 2
    # Someone else's follow is not yours to end; inspectors follow nothing.
    assert browser(w.ana).post("/practice/follows/", {"unfollow": str(follow.pk)}).status_code
    assert browser(w.inspector).post("/practice/follows/", {"tag": "falls"}).status_code == 403


def test_the_nav_link_shows_for_staff_of_the_network_not_for_clients(w):
    for person in (w.ana, w.coach, w.inspector):
        assert 'href="/practice/"' in browser(person).get("/notifications/").content.decode()
    client = browser(w.mrs_jansen).get("/notifications/").content.decode()
    assert "Sign out" in client and 'href="/practice/"' not in client
