"""The client-data check on what a team shares with the coaches it invites: a
proposal's title, purpose and details, the free texts of each kind's payload,
amendments, objections and comments (members' and coaches'), through the API.

A held text is a 400 naming what was found under its field (``payload.<field>`` for
a payload's), nothing is stored and nothing is published on the shared stream, and
``confirm_no_client_data`` publishes only softer hits. The clients that count are the
team's own (a coach knows none by their work) and the author's other teams'.
"""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from care.models import Client
from coordination.events import EventRecord
from coordination.routing import websocket_urlpatterns
from teams.models import Comment, Membership, Proposal, Response
from teams.services import proposals as proposal_services
from tests import doors
from tests.doors import api
from tests.factories import ClientFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CANNOT_CONFIRM = (
    "Confirming cannot publish a client's name, address, postcode, phone number or date"
    " of birth, nor an NHS or BSN number: edit the text."
)
MAY_CONFIRM = "Confirm that none of this identifies a client to publish it as it is."
HELD = "Not published: this seems to identify a client."
HELD_SOFT = "Not published yet: check what is marked."
NAME = "looks like the name of a client of team Noord."
ADDRESS = "looks like the address of a client of team Noord."
PHONE = "looks like the phone number of a client of team Noord."
SURNAME = (
    "looks like the surname of a client of team Noord: confirm only if you mean someone"
    " or something else (a colleague, a brand, a place)."
)


def bosch(team) -> Client:
    return ClientFactory(
        team=team,
        first_name="Gerrit",
        last_name="Bosch",
        address="Hanzeweg 41",
        postcode="7418 AB",
        phone="0570 622 480",
        date_of_birth=datetime.date(1941, 3, 3),
    )


def invite_coach(w) -> None:
    proposal = proposal_services.proposal_raise(
        actor=w.ana,
        team=w.noord,
        kind="coach_invite",
        title="Invite a coach",
        purpose="Advice on the rota.",
        payload={"coach": w.coach.pk, "ends": "2099-12-31"},
    )
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    moment = proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1)
    assert proposal.pk in proposal_services.proposals_close_due(now=moment)


def shared_events(w) -> list[tuple[str, dict]]:
    return list(
        EventRecord.objects.filter(stream=w.noord.shared_stream)
        .order_by("seq")
        .values_list("type", "data")
    )


def refused(response, message: str = HELD) -> dict:
    return doors.refused(response, message)


@pytest.fixture
def w(personas, settings):
    settings.PHONE_REGION = "GB"
    bosch(personas.noord)
    invite_coach(personas)
    return personas


def raise_body(**overrides) -> dict:
    return {
        "kind": "general",
        "title": "Lunch rota on Thursdays",
        "purpose": "So that nobody eats alone at the office.",
        "details": "",
        "payload": {},
    } | overrides


def raise_(person, team, **overrides):
    return api(person).post(
        f"/api/v1/teams/{team.pk}/proposals", raise_body(**overrides), format="json"
    )


def test_teams_checks_its_texts_with_the_client_data_check():
    from teams import texts

    assert "client_data" in texts.registered()


@pytest.mark.parametrize("confirm", [False, True])
def test_a_proposal_naming_a_client_is_held_field_by_field(w, confirm):
    before = shared_events(w)
    response = raise_(
        w.ana,
        w.noord,
        title="Two of us for Bosch, Gerrit",
        purpose="Hanzeweg 41 has a new hoist.",
        details="His daughter rings from 0570-622480.",
        confirm_no_client_data=confirm,
    )
    assert refused(response) == {
        "title": [f"“Bosch, Gerrit” in the title {NAME}"],
        "purpose": [f"“Hanzeweg 41” in the purpose {ADDRESS}"],
        "details": [f"“0570-622480” in the details {PHONE}"],
        "confirm_no_client_data": [CANNOT_CONFIRM],
    }
    assert not Proposal.objects.exclude(kind="coach_invite").exists()
    assert shared_events(w) == before  # the coach hears of nothing


def _payloads(w) -> dict:
    """Each kind's payload with a client's details in each of its free texts, and
    the messages expected under each field."""
    return {
        "remove_member": (
            {"person": w.ben.pk, "reason": "Moves in to care for G. Bosch"},
            {"payload.reason": [f"“G. Bosch” in the reason {NAME}"]},
        ),
        "role_handover": (
            {"role": "planner", "person": w.ben.pk, "handover_notes": "Mr Bosch: key safe 4411"},
            {"payload.handover_notes": [f"“Mr Bosch” in the handover notes {NAME}"]},
        ),
        "role_create": (
            {
                "name": "Gerrit Bosch's helper",
                "description": "Visits 41 Hanzeweg twice a day.",
                "key": "bosch-gerrit",
            },
            {
                "payload.name": [f"“Gerrit Bosch” in the name of the role {NAME}"],
                "payload.description": [f"“41 Hanzeweg” in the description of the role {ADDRESS}"],
                "payload.key": [f"“bosch gerrit” in the key of the role {NAME}"],
            },
        ),
        "agreement": (
            {"text": "We park behind Hanzeweg 41, never in front."},
            {"payload.text": [f"“Hanzeweg 41” in the agreement {ADDRESS}"]},
        ),
        "team_split": (
            {
                "new_name": "Bosch G.",
                "stays_name": "Noord 7418 AB",
                "new_slug": "gerrit-bosch",
                "moving": [w.ben.pk],
            },
            {
                "payload.new_name": [f"“Bosch G.” in the name of the new team {NAME}"],
                "payload.stays_name": [
                    "“7418 AB” in the name the staying team keeps looks like the postcode of a"
                    " client of team Noord."
                ],
                "payload.new_slug": [f"“gerrit bosch” in the address of the new team {NAME}"],
            },
        ),
    }


@pytest.mark.parametrize(
    "kind", ["remove_member", "role_handover", "role_create", "agreement", "team_split"]
)
@pytest.mark.parametrize("confirm", [False, True])
def test_every_free_text_of_a_decisions_payload_is_held_under_its_field(w, kind, confirm):
    payload, expected = _payloads(w)[kind]
    before = shared_events(w)
    response = raise_(w.ana, w.noord, kind=kind, payload=payload, confirm_no_client_data=confirm)
    assert refused(response) == expected | {"confirm_no_client_data": [CANNOT_CONFIRM]}
    assert not Proposal.objects.filter(kind=kind).exists()
    assert shared_events(w) == before


def test_a_softer_hit_is_held_until_the_author_confirms_it(w):
    sent = {"title": "Bosch drills for the office", "purpose": "Ours broke."}
    fields = refused(raise_(w.ana, w.noord, **sent), HELD_SOFT)
    assert fields == {
        "title": [f"“Bosch” in the title {SURNAME}"],
        "confirm_no_client_data": [MAY_CONFIRM],
    }
    assert not Proposal.objects.filter(kind="general").exists()
    done = raise_(w.ana, w.noord, **sent, confirm_no_client_data=True)
    assert done.status_code == 201
    assert done.json()["title"] == "Bosch drills for the office"
    assert shared_events(w)[-1] == (
        "proposal.raised",
        {
            "proposal": done.json()["id"],
            "revision": 1,
            "title": "Bosch drills for the office",
            "kind": "general",
        },
    )


def test_clean_texts_pass_every_door(w):
    clean = "Gerrit from the pharmacy showed us the bosch drill on the Hanzeweg."
    raised = raise_(w.ana, w.noord, title="Drills", purpose=clean, details=clean)
    assert raised.status_code == 201, raised.json()
    pk = raised.json()["id"]
    path = f"/api/v1/proposals/{pk}"
    assert api(w.coach).post(f"{path}/comments", {"body": clean}, format="json").status_code == 201
    assert (
        api(w.ben).post(f"{path}/objections", {"reason": clean}, format="json").status_code == 201
    )
    amended = api(w.ana).post(
        f"{path}/amend", {"details": clean + " Twice."}, format="json", headers={"If-Match": '"1"'}
    )
    assert amended.status_code == 200, amended.json()
    handover = raise_(
        w.ana,
        w.noord,
        kind="role_handover",
        payload={"role": "planner", "person": w.ben.pk, "handover_notes": clean},
    )
    assert handover.status_code == 201, handover.json()


@pytest.mark.parametrize("confirm", [False, True])
def test_an_amendment_naming_a_client_changes_nothing(w, confirm):
    proposal = proposal_services.proposal_raise(
        actor=w.ana,
        team=w.noord,
        kind="role_handover",
        title="Ben plans next",
        purpose="Ana has planned for two years.",
        payload={"role": "planner", "person": w.ben.pk, "handover_notes": "The rota folder."},
    )
    proposal_services.proposal_object(actor=w.ben, proposal=proposal, reason="Not in January.")
    before = shared_events(w)
    path = f"/api/v1/proposals/{proposal.pk}/amend"
    flag = {"confirm_no_client_data": confirm}
    fields = refused(
        api(w.ana).post(
            path,
            {"details": "From February; Wilma covers 0570 622 480 until then."} | flag,
            format="json",
            headers={"If-Match": '"1"'},
        )
    )
    assert fields == {
        "details": [f"“0570 622 480” in the details {PHONE}"],
        "confirm_no_client_data": [CANNOT_CONFIRM],
    }
    payload = dict(proposal.payload, handover_notes="Born 03-03-1941, the Bosch file.")
    fields = refused(
        api(w.ana).post(
            path, {"payload": payload} | flag, format="json", headers={"If-Match": '"1"'}
        )
    )
    # Confirmed, the surname alone would pass; the date of birth never does.
    assert fields["payload.handover_notes"] == [
        "“03-03-1941” in the handover notes looks like the date of birth of a client of team"
        " Noord.",
        *([] if confirm else [f"“Bosch” in the handover notes {SURNAME}"]),
    ]
    proposal.refresh_from_db()
    assert (proposal.revision, proposal.version, proposal.details) == (1, 1, "")
    assert proposal.payload["handover_notes"] == "The rota folder."
    objection = Response.objects.get(proposal=proposal, person=w.ben)
    assert objection.state == Response.State.OPEN  # not resolved
    assert shared_events(w) == before


def test_an_amendment_that_leaves_the_texts_alone_is_not_asked_again(w):
    sent = {"title": "Bosch drills for the office", "purpose": "Ours broke."}
    pk = raise_(w.ana, w.noord, **sent, confirm_no_client_data=True).json()["id"]
    amended = api(w.ana).post(
        f"/api/v1/proposals/{pk}/amend",
        {"window_hours": 48},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert amended.status_code == 200, amended.json()
    assert amended.json()["revision"] == 2


@pytest.mark.parametrize("confirm", [False, True])
def test_an_objection_naming_a_client_is_held_and_the_earlier_one_stands(w, confirm):
    proposal = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    path = f"/api/v1/proposals/{proposal.pk}/objections"
    flag = {"confirm_no_client_data": confirm}
    fields = refused(
        api(w.ben).post(path, {"reason": "Mevrouw Bosch needs us at 7."} | flag, format="json")
    )
    assert fields == {
        "reason": [f"“Mevrouw Bosch” in the objection {NAME}"],
        "confirm_no_client_data": [CANNOT_CONFIRM],
    }
    assert not Response.objects.filter(proposal=proposal, person=w.ben).exists()
    assert api(w.ben).post(path, {"reason": "Early clients."}, format="json").status_code == 201
    refused(api(w.ben).post(path, {"reason": "Gerrit Bosch at 7."} | flag, format="json"))
    assert Response.objects.get(proposal=proposal, person=w.ben).reason == "Early clients."


@pytest.mark.parametrize("kind,label", [("comment", "comment"), ("question", "question")])
def test_a_coach_cannot_name_the_teams_client_in_a_comment(w, kind, label):
    """The coach knows no client by their work: the team's own clients count."""
    proposal = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    before = shared_events(w)
    path = f"/api/v1/proposals/{proposal.pk}/comments"
    for confirm in (False, True):
        sent = {"body": "How is Gerrit Bosch taking it?", "kind": kind}
        fields = refused(
            api(w.coach).post(path, sent | {"confirm_no_client_data": confirm}, format="json")
        )
        assert fields == {
            "body": [f"“Gerrit Bosch” in the {label} {NAME}"],
            "confirm_no_client_data": [CANNOT_CONFIRM],
        }
    assert not Comment.objects.exists()
    assert shared_events(w) == before
    soft = {"body": "Does Bosch make a quieter hoist?", "kind": kind}
    fields = refused(api(w.coach).post(path, soft, format="json"), HELD_SOFT)
    assert fields["body"] == [f"“Bosch” in the {label} {SURNAME}"]
    done = api(w.coach).post(path, soft | {"confirm_no_client_data": True}, format="json")
    assert done.status_code == 201
    assert Comment.objects.get().body == soft["body"]


def test_a_member_of_two_teams_cannot_name_the_other_teams_client_either(w):
    MembershipFactory(team=w.zuid, person=w.ana)
    ClientFactory(team=w.zuid, first_name="Frans", last_name="Hulshof")
    fields = refused(raise_(w.ana, w.noord, title="Cover for Frans Hulshof"))
    assert fields["title"] == [
        "“Frans Hulshof” in the title looks like the name of a client of team Zuid."
    ]
    assert Membership.objects.filter(person=w.ana).count() == 2


def test_a_colleague_who_shares_a_clients_name_may_be_confirmed(w):
    ClientFactory(team=w.noord, first_name="Ben", last_name="Mulder")  # as Ben is
    sent = {"title": "Ben Mulder plans next", "purpose": "Rotation."}
    fields = refused(raise_(w.ana, w.noord, **sent), HELD_SOFT)
    assert fields["confirm_no_client_data"] == [MAY_CONFIRM]
    assert raise_(w.ana, w.noord, **sent, confirm_no_client_data=True).status_code == 201


# --- the coach's open socket -----------------------------------------------------------


def _socket(person) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/live/")
    socket.scope["user"] = person
    return socket


@database_sync_to_async
def _setting_up(personas):
    bosch(personas.noord)
    invite_coach(personas)
    return proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind="general", title="Starts", purpose="Why."
    )


@database_sync_to_async
def _writing(personas, proposal):
    """Held writes through every door, then one clean comment."""
    from django.core.exceptions import ValidationError

    held = [
        lambda: proposal_services.proposal_raise(
            actor=personas.ana,
            team=personas.noord,
            kind="general",
            title="Two of us for Gerrit Bosch",
            purpose="Why.",
        ),
        lambda: proposal_services.proposal_comment(
            actor=personas.coach, proposal=proposal, body="Is G. Bosch better?"
        ),
        lambda: proposal_services.proposal_object(
            actor=personas.ben, proposal=proposal, reason="Hanzeweg 41 first."
        ),
        lambda: proposal_services.proposal_amend(
            actor=personas.ana, proposal=proposal, version=1, details="Ring 0570 622 480."
        ),
    ]
    for write in held:
        with pytest.raises(ValidationError):
            write()
    return proposal_services.proposal_comment(
        actor=personas.ben, proposal=proposal, body="Fine by me."
    )


@pytest.mark.django_db(transaction=True)
async def test_a_coachs_open_socket_never_hears_of_a_held_text(personas, settings):
    settings.PHONE_REGION = "GB"
    proposal = await _setting_up(personas)
    socket = _socket(personas.coach)
    assert (await socket.connect())[0]
    while (await socket.receive_json_from(timeout=3))["type"] != "ready":
        pass
    comment = await _writing(personas, proposal)
    event = await socket.receive_json_from(timeout=3)
    # The first thing the coach hears of is the clean comment.
    assert (event["stream"], event["event"]) == (personas.noord.shared_stream, "proposal.commented")
    assert event["data"]["comment"] == comment.pk
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def test_a_colleague_named_in_full_is_no_hit_though_a_client_shares_her_surname(w):
    from tests.factories import member

    member("femke", w.noord, first_name="Femke", last_name="Bosch")
    for who, title in ((w.ana, "Femke Bosch as housekeeper"), (w.ben, "Bosch, Femke mentors")):
        raised = raise_(who, w.noord, title=title)
        assert raised.status_code == 201, raised.json()
    proposal = Proposal.objects.get(title="Femke Bosch as housekeeper")
    commented = api(w.coach).post(
        f"/api/v1/proposals/{proposal.pk}/comments", {"body": "Femke Bosch: yes!"}, format="json"
    )
    assert commented.status_code == 201  # the team's members are the coach's colleagues here
    # Her surname alone may still be the client's: the author confirms.
    assert refused(raise_(w.ana, w.noord, title="Bosch as housekeeper"), HELD_SOFT)
