"""The privacy check on the pages: the note form (new and edit), the answer, comment and
pointer forms on a note's page, the board's form asking other teams for help and the
offer form on the help page. A held text comes back (400) in its form as typed, with
the reasons beside it, with JavaScript (the section) and without (the page, never a
redirect that would lose it); a box to confirm only when every reason allows it."""

from __future__ import annotations

import pytest
import time_machine

from coordination.models import HelpOffer, HelpRequest
from coordination.practice.models import Answer, Comment, Note, Pointer
from tests.care.jansen import jansen_with_family
from tests.coordination.test_help import MORNING, build
from tests.coordination.test_practice import ask, write
from tests.doors import page_text
from tests.doors import pages as browser
from tests.factories import ClientFactory
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

CONFIRM_BOX = 'name="confirm_no_client_data"'


@pytest.fixture
def w(personas, settings):
    settings.PHONE_REGION = "GB"
    ensure_omaha_reference()
    jansen_with_family(personas, phone="0570 123456")  # Wilma Jansen, Ceintuurbaan 118
    personas.question = ask(personas.cas, title="Ramps at the door?")
    return personas


@pytest.mark.parametrize("js", [True, False])
def test_a_held_comment_keeps_its_text_and_says_why_with_and_without_javascript(w, js):
    typed = "Wilma Jansen at Ceintuurbaan 118 had the same ramp."
    url = f"/practice/notes/{w.question.pk}/comment/"
    for confirm in ({}, {"confirm_no_client_data": "on"}):
        response = browser(w.ana, js=js).post(url, {"body": typed} | confirm)
        assert response.status_code == 400  # not a redirect: that would lose the text
        html = page_text(response)
        assert f">{typed}</textarea>" in html
        assert (
            "“Wilma Jansen” in the comment looks like the name of a client of team Noord." in html
        )
        assert "“Ceintuurbaan 118” in the comment looks like the address of a client" in html
        assert CONFIRM_BOX not in html
        assert ("<html" in html) is not js  # the section alone, or the whole page
    assert not Comment.objects.exists()
    soft = "Jansen makes good ramps."
    html = page_text(browser(w.ana, js=js).post(url, {"body": soft}))
    assert f">{soft}</textarea>" in html and CONFIRM_BOX in html
    done = browser(w.ana, js=js).post(url, {"body": soft, "confirm_no_client_data": "on"})
    assert done.status_code == (200 if js else 302)
    assert Comment.objects.get().body == soft


def test_a_held_answer_keeps_its_text_and_the_live_section_waits(w):
    typed = "Ask mevrouw Jansen how she likes hers."
    response = browser(w.ana).post(f"/practice/notes/{w.question.pk}/answer/", {"body": typed})
    assert response.status_code == 400
    html = page_text(response)
    assert f">{typed}</textarea>" in html
    assert "“mevrouw Jansen” in the answer looks like the name of a client of team Noord." in html
    # The answers re-read themselves on network events, but not over a held answer.
    assert 'id="answers" aria-labelledby="answers-h" data-editing' in html
    assert not Answer.objects.exists()


def test_a_held_pointer_keeps_the_coachs_word_open_in_its_form(w):
    typed = "They had NHS 943 476 5919 on their sheet"
    response = browser(w.coach).post(
        f"/practice/notes/{w.question.pk}/point/", {"team": str(w.noord.pk), "note": typed}
    )
    assert response.status_code == 400
    html = page_text(response)
    assert f'value="{typed}"' in html
    assert "“943 476 5919” in the note looks like an NHS number." in html
    assert '<details class="disclosure" open>' in html
    assert not Pointer.objects.exists()


def test_the_note_form_shows_each_reason_at_its_field_when_editing(w):
    mine = write(w.ana, title="Ramps", body="They help.")
    sent = {
        "kind": "practice",
        "title": "Ramps",
        "body": "They help Jansen, W. the most.",
        "version": "1",
    }
    response = browser(w.ana, js=False).post(f"/practice/notes/{mine.pk}/edit/", sent)
    assert response.status_code == 400
    html = page_text(response)
    assert ">They help Jansen, W. the most.</textarea>" in html
    reason = "“Jansen, W.” in the text looks like the name of a client of team Noord."
    assert f'<p class="error" id="e-f-body">{reason}</p>' in html  # under the text itself
    assert CONFIRM_BOX not in html
    mine.refresh_from_db()
    assert (mine.body, mine.version) == ("They help.", 1)
    assert not Note.objects.filter(body__contains="Jansen").exists()


@pytest.mark.parametrize("js", [True, False])
def test_asking_for_help_keeps_what_was_filled_in(personas, settings, js):
    settings.PHONE_REGION = "GB"
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        requests = HelpRequest.objects.count()
        sent = {"visits": [str(w.lunch.pk)], "skills": "Hoist, for W. Jansen", "note": "Ours"}
        response = browser(w.ana, js=js).post(f"/teams/{w.noord.slug}/help/", sent)
        assert response.status_code == 400
        html = page_text(response)
        assert 'value="Hoist, for W. Jansen"' in html and 'value="Ours"' in html
        assert f'name="visits" value="{w.lunch.pk}" checked' in html
        assert "“W. Jansen” in the skills needed looks like the name of a client of team" in html
        assert '<details class="disclosure" open>' in html
        assert ("<html" in html) is not js
        assert HelpRequest.objects.count() == requests


@pytest.mark.parametrize("js", [True, False])
def test_offering_help_keeps_the_note(personas, settings, js):
    settings.PHONE_REGION = "GB"
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        ClientFactory(team=w.zuid, first_name="Frans", last_name="Hulshof")
        typed = "Right after Mr Hulshof's visit"
        response = browser(w.cas, js=js).post(
            f"/help/requests/{w.request.pk}/offer/", {"version": "1", "note": typed}
        )
        assert response.status_code == 400
        html = page_text(response)
        assert f'value="{typed}"' in html
        assert (
            "“Mr Hulshof” in the note for the team looks like the name of a client of team" in html
        )
        assert not HelpOffer.objects.exists()
