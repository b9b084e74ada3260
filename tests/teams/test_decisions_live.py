"""Decisions go out live: members on the team stream, invited coaches on the shared one."""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from coordination.events.streams import person_stream
from coordination.routing import websocket_urlpatterns
from teams.services import proposals as proposal_services

pytestmark = pytest.mark.django_db(transaction=True)


def connect(person, query=""):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/live/{query}")
    socket.scope["user"] = person
    return socket


async def ready(socket):
    assert (await socket.connect())[0]
    while (message := await socket.receive_json_from(timeout=3))["type"] != "ready":
        pass
    return message


@database_sync_to_async
def adopted(personas, kind, payload):
    proposal = proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind=kind, title="T", purpose="P", payload=payload
    )
    proposal_services.proposal_consent(actor=personas.ben, proposal=proposal)
    # Decide "later" by passing the moment, not by travelling in time: the in-memory
    # channel layer would expire this process's group memberships days ahead.
    moment = proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1)
    assert proposal.pk in proposal_services.proposals_close_due(now=moment)
    return proposal


@database_sync_to_async
def raise_general(personas):
    return proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind="general", title="Lunch", purpose="Together"
    )


async def test_members_see_proposals_live(personas):
    socket = connect(personas.ben)
    await ready(socket)
    proposal = await raise_general(personas)
    event = await socket.receive_json_from(timeout=3)
    assert (event["stream"], event["event"]) == (personas.noord.stream, "proposal.raised")
    assert event["data"] == {
        "proposal": proposal.pk,
        "revision": 1,
        "title": "Lunch",
        "kind": "general",
    }
    await socket.disconnect()


async def test_a_coach_hears_shared_decisions_only_while_invited(personas):
    shared = f"?since={personas.noord.shared_stream}:0"
    uninvited = connect(personas.coach, shared)
    assert (await uninvited.connect())[0]
    assert (await uninvited.receive_output(timeout=3))["code"] == 4403  # not invited yet
    await adopted(personas, "coach_invite", {"coach": personas.coach.pk, "ends": "2099-01-01"})

    # Without since a socket also follows the person's own stream (notifications) and,
    # for a coach, the network's practice; this one follows the shared stream alone,
    # so it closes when that ends.
    everything = connect(personas.coach)
    assert (await ready(everything))["heads"].keys() == {
        personas.noord.shared_stream,
        person_stream(personas.coach.pk),
        "network",
    }
    await everything.disconnect()
    coach = connect(personas.coach, shared)
    hello = await ready(coach)
    assert hello["heads"].keys() == {personas.noord.shared_stream}
    # The team stream (where care events go) stays closed to the coach.
    refused = connect(personas.coach, f"?since={personas.noord.stream}:0")
    assert (await refused.connect())[0]
    assert (await refused.receive_output(timeout=3))["code"] == 4403

    await raise_general(personas)
    event = await coach.receive_json_from(timeout=3)
    assert (event["stream"], event["event"]) == (personas.noord.shared_stream, "proposal.raised")

    await adopted(personas, "coach_end", {"coach": personas.coach.pk})
    seen = []
    while (message := await coach.receive_json_from(timeout=3))["type"] != "revoked":
        seen.append(message["event"])
    assert message == {"type": "revoked", "streams": [personas.noord.shared_stream]}
    assert (await coach.receive_output(timeout=3))["code"] == 4403


async def test_a_removed_member_stops_hearing_the_team_at_once(personas):
    socket = connect(personas.ben, f"?since={personas.noord.stream}:0")
    await ready(socket)
    await adopted(personas, "remove_member", {"person": personas.ben.pk})
    while (message := await socket.receive_json_from(timeout=3))["type"] != "revoked":
        pass
    assert message["streams"] == [personas.noord.stream]
    assert (await socket.receive_output(timeout=3))["code"] == 4403
