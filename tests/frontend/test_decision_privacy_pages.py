"""The client-data check on the pages of team decisions: raising a proposal, amending
it, objecting and commenting (a coach too). A held text comes back (400) in its form
as typed, with the reasons at its field and beside the form, with JavaScript (the
form or the proposal's section) and without (the page, never a redirect that would
lose it); a box to confirm only when every reason allows it."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from teams.models import Comment, Proposal, Response
from teams.services import proposals as proposal_services
from tests.doors import page_text
from tests.doors import pages as browser
from tests.teams.test_decision_privacy import bosch, invite_coach

pytestmark = pytest.mark.django_db

CONFIRM_BOX = 'name="confirm_no_client_data"'
NAME = "looks like the name of a client of team Noord."


@pytest.fixture
def w(personas, settings):
    settings.PHONE_REGION = "GB"
    bosch(personas.noord)
    invite_coach(personas)
    return personas


def handover(w, notes: str, **more) -> dict:
    today = timezone.localdate()
    return {
        "kind": "role_handover",
        "title": "Ben plans next",
        "purpose": "Ana has planned for two years.",
        "role": "planner",
        "person": str(w.ben.pk),
        "starts": today.isoformat(),
        "ends": (today + datetime.timedelta(days=300)).isoformat(),
        "handover_notes": notes,
        "window_hours": "72",
    } | more


@pytest.mark.parametrize("js", [True, False])
def test_raising_a_proposal_naming_a_client_keeps_the_form_and_says_why(w, js):
    url = "/teams/noord/proposals/new/?kind=role_handover"
    typed = "Mr Bosch at Hanzeweg 41: key safe code in the folder."
    for confirm in ({}, {"confirm_no_client_data": "on"}):
        response = browser(w.ana, js=js).post(url, handover(w, typed) | confirm)
        assert response.status_code == 400  # not a redirect: that would lose the text
        html = page_text(response)
        assert f">{typed}</textarea>" in html
        # Each reason at its own field, all of them beside the form.
        reasons = (
            f"“Mr Bosch” in the handover notes {NAME} “Hanzeweg 41” in the handover notes"
            " looks like the address of a client of team Noord."
        )
        assert f'<p class="error" id="e-f-handover-notes">{reasons}</p>' in html
        assert 'id="raise-held"' in html and "Not published: this seems to identify" in html
        assert CONFIRM_BOX not in html
        assert 'value="Ben plans next"' in html
        assert ("<html" in html) is not js  # the form alone, or the whole page
    assert not Proposal.objects.filter(kind="role_handover").exists()

    soft = "The Bosch file is on the shared drive."
    html = page_text(browser(w.ana, js=js).post(url, handover(w, soft)))
    assert f">{soft}</textarea>" in html and CONFIRM_BOX in html
    done = browser(w.ana, js=js).post(url, handover(w, soft, confirm_no_client_data="on"))
    proposal = Proposal.objects.get(kind="role_handover")
    if js:
        assert done.headers["HX-Redirect"] == f"/proposals/{proposal.pk}/"
    else:
        assert done.status_code == 302
    assert proposal.payload["handover_notes"] == soft


@pytest.mark.parametrize("js", [True, False])
def test_an_amendment_naming_a_client_stays_in_the_open_form(w, js):
    proposal = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    typed = "Except for Bosch, G., who needs us at 7."
    response = browser(w.ana, js=js).post(
        f"/proposals/{proposal.pk}/amend/",
        {"title": "Later starts", "purpose": "Traffic.", "details": typed, "version": "1"},
    )
    assert response.status_code == 400
    html = page_text(response)
    assert '<details class="disclosure" id="amend" open>' in html
    assert f">{typed}</textarea>" in html
    assert f'<p class="error" id="e-f-details">“Bosch, G” in the details {NAME}</p>' in html
    assert 'id="amend-held"' in html and CONFIRM_BOX not in html
    assert 'id="proposal-actions" aria-labelledby="actions-h"' in html
    assert "data-editing" in html  # the live refresh leaves the form alone
    proposal.refresh_from_db()
    assert (proposal.revision, proposal.details) == (1, "")


@pytest.mark.parametrize("js", [True, False])
def test_an_objection_naming_a_client_keeps_its_words(w, js):
    proposal = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    typed = "Gerrit Bosch gets his insulin at 7."
    response = browser(w.ben, js=js).post(f"/proposals/{proposal.pk}/object/", {"reason": typed})
    assert response.status_code == 400
    html = page_text(response)
    assert f">{typed}</textarea>" in html
    assert f'<p class="error" id="e-reason">“Gerrit Bosch” in the objection {NAME}</p>' in html
    assert 'id="object-held"' in html and CONFIRM_BOX not in html
    assert not Response.objects.filter(proposal=proposal, person=w.ben).exists()


@pytest.mark.parametrize("js", [True, False])
def test_a_coachs_comment_naming_a_client_is_held_and_a_surname_can_be_confirmed(w, js):
    proposal = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    url = f"/proposals/{proposal.pk}/comment/"
    typed = "Did you ask mevrouw Bosch what suits her?"
    response = browser(w.coach, js=js).post(url, {"body": typed, "kind": "question"})
    assert response.status_code == 400
    html = page_text(response)
    assert f">{typed}</textarea>" in html
    assert f"“mevrouw Bosch” in the question {NAME}" in html
    assert 'id="comment-held"' in html and CONFIRM_BOX not in html
    assert 'value="question" checked' in html
    assert not Comment.objects.exists()

    soft = "Bosch makes a quiet hoist."
    html = page_text(browser(w.coach, js=js).post(url, {"body": soft, "kind": "comment"}))
    assert f">{soft}</textarea>" in html and CONFIRM_BOX in html
    assert not Comment.objects.exists()
    done = browser(w.coach, js=js).post(
        url, {"body": soft, "kind": "comment", "confirm_no_client_data": "on"}
    )
    assert done.status_code == (200 if js else 302)
    assert Comment.objects.get().body == soft
