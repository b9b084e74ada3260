"""The privacy check at every API door that writes a text other teams read: practice
notes, questions, revisions, answers, comments, coaches' pointers, tags, requests for
help and offers of help. A held text is a 400 naming what was found under its field,
nothing is stored, and confirming publishes only softer hits."""

from __future__ import annotations

import pytest
import time_machine

from coordination.models import HelpOffer, HelpRequest
from coordination.practice.models import Answer, Comment, Note, Pointer, Tag
from tests import doors
from tests.care.jansen import jansen_with_family
from tests.coordination.test_help import MORNING, build
from tests.coordination.test_practice import ask, write
from tests.doors import api
from tests.factories import ClientFactory
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

CANNOT_CONFIRM = (
    "Confirming cannot publish a client's name, address, postcode, phone number or date"
    " of birth, nor an NHS or BSN number: edit the text."
)
MAY_CONFIRM = "Confirm that none of this identifies a client to publish it as it is."
HELD = "Not published: this seems to identify a client."
HELD_SOFT = "Not published yet: check what is marked."
NAME = "looks like the name of a client of team Noord."


def refused(response, message: str = HELD) -> dict:
    return doors.refused(response, message)


@pytest.fixture
def w(personas, settings):
    settings.PHONE_REGION = "GB"
    ensure_omaha_reference()
    jansen_with_family(personas, phone="0570 123456")  # Wilma Jansen, Ceintuurbaan 118
    personas.question = ask(personas.cas, title="Ramps at the door?")
    return personas


@pytest.mark.parametrize("confirm", [False, True])
def test_notes_questions_and_revisions(w, confirm):
    api_ana = api(w.ana)
    for kind in ("story", "question"):
        sent = {"kind": kind, "title": "Ramps", "body": "Jansen, Wilma has one now."}
        fields = refused(
            api_ana.post(
                "/api/v1/practice/notes", sent | {"confirm_no_client_data": confirm}, format="json"
            )
        )
        assert fields == {
            "body": [f"“Jansen, Wilma” in the text {NAME}"],
            "confirm_no_client_data": [CANNOT_CONFIRM],
        }
    assert not Note.objects.filter(author=w.ana).exists()
    mine = write(w.ana, title="Ramps", body="They help.")
    fields = refused(
        api_ana.patch(
            f"/api/v1/practice/notes/{mine.pk}",
            {"title": "Ramps at Ceintuurbaan 118", "confirm_no_client_data": confirm},
            format="json",
            headers={"If-Match": '"1"'},
        )
    )
    assert fields["title"] == [
        "“Ceintuurbaan 118” in the title looks like the address of a client of team Noord."
    ]
    mine.refresh_from_db()
    assert (mine.title, mine.version) == ("Ramps", 1)


@pytest.mark.parametrize("confirm", [False, True])
def test_answers_comments_pointers_and_tags(w, confirm):
    flag = {"confirm_no_client_data": confirm}
    path = f"/api/v1/practice/notes/{w.question.pk}"
    fields = refused(
        api(w.ana).post(f"{path}/answers", {"body": "Ask W. Jansen."} | flag, format="json")
    )
    assert fields["body"] == [f"“W. Jansen” in the answer {NAME}"]
    fields = refused(
        api(w.ana).post(
            f"{path}/comments",
            {"body": "Wilma Jansen, 7413 EW, 0570-123456."} | flag,
            format="json",
        )
    )
    assert fields == {
        "body": [
            f"“Wilma Jansen” in the comment {NAME}",
            "“7413 EW” in the comment looks like the postcode of a client of team Noord.",
            "“0570-123456” in the comment looks like the phone number of a client of team Noord.",
        ],
        "confirm_no_client_data": [CANNOT_CONFIRM],
    }
    fields = refused(
        api(w.coach).post(
            f"{path}/pointers",
            {"team": w.noord.pk, "note": "Theirs had NHS 943 476 5919 on it"} | flag,
            format="json",
        )
    )
    assert fields["note"] == ["“943 476 5919” in the note looks like an NHS number."]
    fields = refused(api(w.ana).post("/api/v1/practice/tags", {"name": "Mrs Jansen"} | flag))
    assert fields["name"] == [f"“Mrs Jansen” in the tag {NAME}"]
    assert not Answer.objects.exists()
    assert not Comment.objects.exists()
    assert not Pointer.objects.exists()
    assert not Tag.objects.filter(name="Mrs Jansen").exists()


def test_a_softer_hit_is_held_then_published_once_confirmed(w):
    path = f"/api/v1/practice/notes/{w.question.pk}/comments"
    sent = {"body": "Jansen makes the best ramps: 0161 496 0000."}
    fields = refused(api(w.ana).post(path, sent, format="json"), HELD_SOFT)
    assert fields == {
        "body": [
            "“Jansen” in the comment looks like the surname of a client of team Noord: confirm"
            " only if you mean someone or something else (a colleague, a brand, a place).",
            "“0161 496 0000” in the comment looks like a phone number: confirm only if it is"
            " nobody's in a client's life (a service's number, say).",
        ],
        "confirm_no_client_data": [MAY_CONFIRM],
    }
    assert not Comment.objects.exists()
    done = api(w.ana).post(path, sent | {"confirm_no_client_data": True}, format="json")
    assert done.status_code == 201 and done.json()["body"] == sent["body"]


def test_clean_texts_go_through_every_door_and_the_same_naming_a_client_does_not(w):
    path = f"/api/v1/practice/notes/{w.question.pk}"
    clean = "Ana de Vries bought a jansen drill; the Ceintuurbaan ramp works."
    naming = "Ana de Vries bought Jansen, W. a drill; the Ceintuurbaan 118 ramp works."
    for text, status in ((clean, 201), (naming, 400)):
        note = {"kind": "practice", "title": "Ramps", "body": text}
        for door, sent in (
            (f"{path}/comments", {"body": text}),
            (f"{path}/answers", {"body": text}),
            ("/api/v1/practice/notes", note),
        ):
            assert api(w.ben).post(door, sent, format="json").status_code == status
    assert Comment.objects.get().body == clean


@pytest.mark.parametrize("confirm", [False, True])
def test_requests_for_help_and_offers(personas, settings, confirm):
    settings.PHONE_REGION = "GB"
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        requests = HelpRequest.objects.count()
        response = api(w.ana).post(
            f"/api/v1/teams/{w.noord.pk}/help-requests",
            {
                "visits": [w.lunch.pk],
                "skills": "Hoist; she is Mrs Jansen, Ceintuurbaan 118",
                "confirm_no_client_data": confirm,
            },
            format="json",
        )
        fields = refused(response)
        assert fields["skills"] == [
            f"“Mrs Jansen” in the skills needed {NAME}",
            "“Ceintuurbaan 118” in the skills needed looks like the address of a client of team"
            " Noord.",
        ]
        assert HelpRequest.objects.count() == requests
        ClientFactory(team=w.zuid, first_name="Frans", last_name="Hulshof", address="Rijnstraat 63")
        response = api(w.cas).post(
            f"/api/v1/help-requests/{w.request.pk}/offers",
            {"note": "After Rijnstraat 63.", "confirm_no_client_data": confirm},
            format="json",
            headers={"If-Match": f'"{w.request.version}"'},
        )
        assert refused(response)["note"] == [
            "“Rijnstraat 63” in the note for the team looks like the address of a client of"
            " team Zuid."
        ]
        assert not HelpOffer.objects.exists()


@pytest.mark.parametrize("confirm", [False, True])
def test_a_coachs_pointer_may_not_name_a_client_of_the_team_pointed_to(w, confirm):
    """The coach knows no client by their work, but knows the teams they point to."""
    ClientFactory(team=w.noord, first_name="Gerrit", last_name="Bosch")
    response = api(w.coach).post(
        f"/api/v1/practice/notes/{w.question.pk}/pointers",
        {
            "team": w.noord.pk,
            "note": "Ask how Gerrit Bosch's went.",
            "confirm_no_client_data": confirm,
        },
        format="json",
    )
    assert refused(response)["note"] == [f"“Gerrit Bosch” in the note {NAME}"]
    assert not Pointer.objects.exists()


@pytest.mark.parametrize("confirm", [False, True])
def test_the_reason_an_offer_of_help_is_declined_is_held_when_it_names_a_client(
    personas, settings, confirm
):
    """The helper, of another team, reads why the asking team said no."""
    settings.PHONE_REGION = "GB"
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        offer = api(w.cas).post(
            f"/api/v1/help-requests/{w.request.pk}/offers",
            {"note": "I can."},
            format="json",
            headers={"If-Match": f'"{w.request.version}"'},
        )
        assert offer.status_code == 201, offer.json()
        path = f"/api/v1/help-offers/{offer.json()['id']}/decline"
        sent = {"reason": "Mrs Jansen wants us only.", "confirm_no_client_data": confirm}
        response = api(w.ben).post(path, sent, format="json", headers={"If-Match": '"1"'})
        assert refused(response)["reason"] == [f"“Mrs Jansen” in the reason {NAME}"]
        assert HelpOffer.objects.get().status == HelpOffer.Status.OFFERED
        done = api(w.ben).post(
            path, {"reason": "Covered after all."}, format="json", headers={"If-Match": '"1"'}
        )
        assert done.status_code == 200, done.json()
        assert HelpOffer.objects.get().reason == "Covered after all."
