"""The snapshot-then-subscribe handshake: every change after the snapshot arrives exactly once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator

from care.models import Visit
from care.services import visits as visit_services
from coordination import selectors
from coordination.routing import websocket_urlpatterns
from tests.coordination.board.world import (
    API,
    DAY,
    build,
)
from tests.doors import api

pytestmark = pytest.mark.django_db


# --- the snapshot-then-subscribe handshake ------------------------------------------------

ORIGIN = (b"origin", b"http://localhost")


def socket_for(person, query: str) -> WebsocketCommunicator:
    app = AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))
    communicator = WebsocketCommunicator(app, f"/ws/live/{query}", headers=[ORIGIN])
    communicator.scope["user"] = person
    return communicator


async def stream_events(socket) -> list[dict]:
    """The stream events the socket sends until it says it is ready, then any more that
    arrive within a moment (presence notices and the like are not events)."""
    got = []
    while True:
        message = await socket.receive_json_from(timeout=3)
        if message["type"] == "ready":
            break
        got.append(message)
    while not await socket.receive_nothing(timeout=0.3):
        got.append(await socket.receive_json_from(timeout=3))
    return [m for m in got if m["type"] == "event"]


def apply(rows: dict[int, dict], event: dict) -> bool:
    """The page's rule: a visit event counts only when it is newer than the row held."""
    data = event["data"]
    row = rows.get(data.get("visit"))
    if not event["event"].startswith("visit.") or row is None or data["version"] <= row["version"]:
        return False
    row["version"] = data["version"]
    if "assignee" in data:
        row["assignee"] = data["assignee"]
    return True


def board_rows(person, team) -> tuple[int, dict[int, dict]]:
    body = api(person).get(f"{API}/teams/{team.pk}/board?date={DAY}").json()
    rows = {
        row["id"]: {
            "version": row["version"],
            "assignee": row["assignee"]["id"] if row["assignee"] else None,
        }
        for row in body["visits"]
    }
    return body["seq"], rows


def server_rows(team) -> dict[int, dict]:
    return {
        row["id"]: {"version": row["version"], "assignee": row["assignee_id"]}
        for row in Visit.objects.filter(client__team=team).values("id", "version", "assignee_id")
    }


@pytest.fixture
def live(personas):
    return build(personas)


@pytest.mark.django_db(transaction=True)
async def test_a_claim_after_the_snapshot_arrives_exactly_once(live):
    seq, rows = await database_sync_to_async(board_rows)(live.ana, live.noord)
    await database_sync_to_async(visit_services.visit_claim)(
        actor=live.ben, visit=live.open, version=1
    )
    socket = socket_for(live.ana, f"?since={live.noord.stream}:{seq}")
    assert (await socket.connect())[0]
    got = await stream_events(socket)
    assert [(m["event"], m["seq"]) for m in got] == [("visit.claimed", seq + 1)]
    assert [apply(rows, m) for m in got] == [True]
    assert rows == await database_sync_to_async(server_rows)(live.noord)
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_claim_between_the_head_and_the_rows_is_replayed_and_skipped_by_version(
    live, monkeypatch
):
    real_board_team = selectors.board_team

    def head_then_someone_claims(person, **lookup):
        found = real_board_team(person, **lookup)  # the team, with its stream's head
        # Committed after the head was read and before the visits are: in both.
        visit_services.visit_claim(actor=live.ben, visit=live.open, version=1)
        return found

    monkeypatch.setattr(selectors, "board_team", head_then_someone_claims)
    seq, rows = await database_sync_to_async(board_rows)(live.ana, live.noord)
    monkeypatch.setattr(selectors, "board_team", real_board_team)
    assert rows[live.open.pk] == {"version": 2, "assignee": live.ben.pk}  # in the rows

    socket = socket_for(live.ana, f"?since={live.noord.stream}:{seq}")
    assert (await socket.connect())[0]
    got = await stream_events(socket)
    assert [m["event"] for m in got] == ["visit.claimed"]  # and replayed, once
    assert [apply(rows, m) for m in got] == [False]  # recognised as already applied
    # A later change arrives live and is applied.
    await database_sync_to_async(visit_services.visit_assign)(
        actor=live.ana, visit=live.open, person=live.ana, version=2
    )
    later = await socket.receive_json_from(timeout=3)
    while later["type"] != "event":
        later = await socket.receive_json_from(timeout=3)
    assert (later["event"], later["seq"]) == ("visit.assigned", seq + 2)
    assert apply(rows, later) is True
    assert rows == await database_sync_to_async(server_rows)(live.noord)
    await socket.disconnect()
