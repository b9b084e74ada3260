"""A network member's socket follows exactly their granted scopes, and loses one at once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from care.services import clients as client_services
from coordination.events.streams import client_stream, person_stream
from coordination.routing import websocket_urlpatterns
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db(transaction=True)


def connect(person, query=""):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/live/{query}")
    socket.scope["user"] = person
    return socket


@database_sync_to_async
def setup(personas):
    client = ClientFactory(
        team=personas.noord, first_name="Wilma", last_name="Jansen", account=personas.mrs_jansen
    )
    entry = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        account=personas.daughter,
    )
    grant = client_services.grant_scope(
        actor=personas.mrs_jansen, client=client, member=entry, scope="visits"
    )
    return client, grant


async def test_revoking_a_scope_closes_it_on_the_open_socket(personas):
    client, grant = await setup(personas)
    socket = connect(personas.daughter, f"?since={client_stream(client.pk, 'visits')}:0")
    assert (await socket.connect())[0]
    ready = await socket.receive_json_from(timeout=3)
    assert ready == {"type": "ready", "heads": {client_stream(client.pk, "visits"): 0}}

    # Asking for a scope she was not granted refuses the connection.
    plan = connect(personas.daughter, f"?since={client_stream(client.pk, 'plan')}:0")
    assert (await plan.connect())[0]
    assert (await plan.receive_output(timeout=3))["code"] == 4403

    await database_sync_to_async(client_services.grant_revoke)(
        actor=personas.mrs_jansen, grant=grant
    )
    assert await socket.receive_json_from(timeout=3) == {
        "type": "revoked",
        "streams": [client_stream(client.pk, "visits")],
    }
    assert (await socket.receive_output(timeout=3))["code"] == 4403


async def test_the_client_follows_every_scope_of_her_own_record(personas):
    client, _ = await setup(personas)
    socket = connect(personas.mrs_jansen)
    assert (await socket.connect())[0]
    ready = await socket.receive_json_from(timeout=3)
    assert set(ready["heads"]) == {
        client_stream(client.pk, scope) for scope in ("visits", "plan", "notes", "budget", "diary")
    } | {person_stream(personas.mrs_jansen.pk)}  # and her own notifications
    await socket.disconnect()


SCOPES = ("visits", "plan", "notes", "budget", "diary")


@pytest.mark.parametrize("revoked", SCOPES)
async def test_each_scope_revoked_leaves_the_open_socket_and_the_others_stay(personas, revoked):
    client, visits_grant = await setup(personas)

    @database_sync_to_async
    def grant_the_rest():
        from care.models import Grant

        member = visits_grant.member
        grants = {"visits": visits_grant}
        for scope in SCOPES[1:]:
            grants[scope] = client_services.grant_scope(
                actor=personas.mrs_jansen, client=client, member=member, scope=scope
            )
        assert set(Grant.objects.filter(member=member).values_list("scope", flat=True)) == set(
            SCOPES
        )
        return grants

    grants = await grant_the_rest()
    socket = connect(personas.daughter)
    assert (await socket.connect())[0]
    ready = await socket.receive_json_from(timeout=3)
    assert set(ready["heads"]) == {client_stream(client.pk, scope) for scope in SCOPES} | {
        person_stream(personas.daughter.pk)  # and her own notifications
    }

    await database_sync_to_async(client_services.grant_revoke)(
        actor=personas.mrs_jansen, grant=grants[revoked]
    )
    assert await socket.receive_json_from(timeout=3) == {
        "type": "revoked",
        "streams": [client_stream(client.pk, revoked)],
    }
    # The other four stay open: the socket is not closed.
    assert await socket.receive_nothing(timeout=0.3)
    # A new socket may follow the rest, and is refused the revoked one.
    again = connect(personas.daughter, f"?since={client_stream(client.pk, revoked)}:0")
    assert (await again.connect())[0]
    assert (await again.receive_output(timeout=3))["code"] == 4403
    await socket.disconnect()
