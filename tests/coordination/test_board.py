"""The team board through the API: the snapshot, claims, running late, handover and swap
offers; who may do what; bad input; query counts; the snapshot-then-subscribe handshake."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern
from rest_framework.test import APIClient

from care.models import Client, Visit
from care.services import visits as visit_services
from coordination import events, selectors
from coordination import urls as coordination_urls
from coordination.events import EventRecord
from coordination.models import HandoverOffer
from coordination.routing import websocket_urlpatterns
from coordination.services import handovers as handover_services
from teams import services as team_services
from teams.models import AuditEntry, CoachTerm
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api

pytestmark = pytest.mark.django_db

API = "/api/v1"
DAY = "2026-12-08"
# Tuesday morning, before the day's visits.
MORNING = at(DAY, "07:30")
OUTSIDERS = ["cas", "coach", "inspector", "mrs_jansen", "daughter", "invited_coach"]


def post(person, path: str, body: dict | None = None, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return api(person).post(f"{API}/{path}", body or {}, format="json", headers=headers)


def fields(response) -> dict:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    return body["extra"].get("fields", {})


def build(personas) -> SimpleNamespace:
    """Noord's Tuesday: an unassigned visit, one each for Ana and Ben, Ana's spare one,
    and an open offer of Ana's 11:00 visit to Ben. Zuid has a visit of its own."""
    w = personas
    w.client = jansen_client(w)
    w.open = plan(w.ana, w.client, at(DAY, "09:00"))
    w.anas = plan(w.ana, w.client, at(DAY, "11:00"), assignee=w.ana)
    w.bens = plan(w.ana, w.client, at(DAY, "14:00"), assignee=w.ben)
    w.spare = plan(w.ana, w.client, at(DAY, "16:00"), assignee=w.ana)
    w.offer = handover_services.handover_offer(actor=w.ana, visit=w.anas, version=1, to=w.ben)
    w.zuid_client = Client.objects.create(
        team=w.zuid, first_name="Jan", last_name="Bos", status=Client.Status.ACTIVE
    )
    w.zuid_visit = plan(w.cas, w.zuid_client, at(DAY, "10:00"), assignee=w.cas)
    # A coach Noord invited: advises the team, sees nothing of its visits.
    w.invited_coach = w.coach
    invitation = team_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Invite a coach", purpose="Advice."
    )
    CoachTerm.objects.create(
        team=w.noord,
        coach=w.coach,
        starts=datetime.date(2026, 12, 1),
        ends=datetime.date(2027, 6, 1),
        invited_by=invitation,
    )
    return w


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def snapshot() -> dict:
    return {
        "visits": list(
            Visit.objects.order_by("pk").values_list(
                "pk", "status", "assignee", "version", "late_until", "late_note"
            )
        ),
        "offers": list(
            HandoverOffer.objects.order_by("pk").values_list("pk", "status", "version", "reason")
        ),
        "events": EventRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def team_events(w, prefix: str = "") -> list[EventRecord]:
    return list(
        EventRecord.objects.filter(stream=w.noord.stream, type__startswith=prefix).order_by("seq")
    )


# --- the endpoints, walked from coordination's URLs ---------------------------------------


def board_endpoints() -> list[tuple[str, str, str]]:
    """(url name, route, method) of every board endpoint: coordination's routes about one
    team, visit or offer. Help across teams has its own walk (test_help.py), since
    members of other teams take part in it."""
    from tests.coordination.test_help import HELP_NAMES

    return [
        (pattern.name, str(pattern.pattern), method)
        for pattern in coordination_urls.urlpatterns
        # Included URL sets (practice notes) are the network's, walked on their own.
        if isinstance(pattern, URLPattern)
        if "<id:pk>" in str(pattern.pattern) and pattern.name not in HELP_NAMES
        # A person's own notifications are not the board's (test_notifications.py).
        if not str(pattern.pattern).startswith("notifications/")
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    ]


ENDPOINTS = board_endpoints()
IDS = [f"{method.upper()} {route}" for _name, route, method in ENDPOINTS]


def request_for(w, name: str) -> tuple[str, dict, int | None, object]:
    """(path, body, If-Match, the member it would succeed for) of a well-formed request
    aimed at Noord's material."""
    requests = {
        "api-team-board": (f"teams/{w.noord.pk}/board?date={DAY}&days=2", {}, None, w.ana),
        "api-visit-claim": (f"visits/{w.open.pk}/claim", {}, 1, w.ana),
        "api-visit-late": (
            f"visits/{w.open.pk}/late",
            {"until": at(DAY, "09:30").isoformat(), "note": "Running behind"},
            1,
            w.ana,
        ),
        "api-visit-handovers": (f"visits/{w.spare.pk}/handovers", {"to": w.ben.pk}, 1, w.ana),
        "api-visit-swaps": (
            f"visits/{w.spare.pk}/swaps",
            {"swap_visit": w.bens.pk, "swap_version": 1},
            1,
            w.ana,
        ),
        "api-visit-assign": (f"visits/{w.open.pk}/assign", {"person": w.ben.pk}, 1, w.ana),
        "api-visit-start": (f"visits/{w.open.pk}/start", {}, 1, w.ana),
        # Finishing needs the visit started: the member's run starts it first (PREPARE).
        "api-visit-finish": (f"visits/{w.open.pk}/finish", {"note": "Fine."}, 2, w.ana),
        "api-visit-record": (
            f"visits/{w.open.pk}/record",
            {
                "actual_start": at(DAY, "06:30").isoformat(),
                "actual_end": at(DAY, "07:15").isoformat(),
            },
            1,
            w.ana,
        ),
        "api-visit-cancel": (f"visits/{w.open.pk}/cancel", {"reason": "In hospital"}, 1, w.ana),
        "api-handover-accept": (f"handovers/{w.offer.pk}/accept", {}, 1, w.ben),
        "api-handover-decline": (
            f"handovers/{w.offer.pk}/decline",
            {"reason": "Not today"},
            1,
            w.ben,
        ),
        "api-handover-withdraw": (f"handovers/{w.offer.pk}/withdraw", {}, 1, w.ana),
    }
    if name not in requests:
        pytest.fail(f"new board endpoint {name}: give it a request here and classify it")
    return requests[name]


def call(person, w, name: str, method: str):
    path, body, version, _member = request_for(w, name)
    client = api(person) if person is not None else APIClient()
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return getattr(client, method)(f"{API}/{path}", body, format="json", headers=headers)


def test_the_walk_covers_every_board_endpoint():
    assert {(name, method) for name, _route, method in ENDPOINTS} == {
        ("api-team-board", "get"),
        ("api-visit-claim", "post"),
        ("api-visit-assign", "post"),
        ("api-visit-start", "post"),
        ("api-visit-finish", "post"),
        ("api-visit-record", "post"),
        ("api-visit-cancel", "post"),
        ("api-visit-late", "post"),
        ("api-visit-handovers", "post"),
        ("api-visit-swaps", "post"),
        ("api-handover-accept", "post"),
        ("api-handover-decline", "post"),
        ("api-handover-withdraw", "post"),
    }


# What a request of the walk needs done first, for the member it would succeed for.
PREPARE = {
    "api-visit-finish": lambda w: visit_services.visit_start(
        actor=w.ana, visit=w.open, version=1, at=at(DAY, "07:00")
    ),
}


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
def test_each_request_of_the_walk_works_for_the_right_member(w, name, route, method):
    member = request_for(w, name)[3]
    if name in PREPARE:
        PREPARE[name](w)
    response = call(member, w, name, method)
    assert response.status_code in (200, 201), response.json()


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_everyone_outside_the_team_gets_404_and_changes_nothing(w, who, name, route, method):
    before = snapshot()
    response = call(getattr(w, who), w, name, method)
    assert response.status_code == 404, response.content
    assert fields(response) == {}
    assert "Jansen" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
def test_anonymous_gets_401_and_changes_nothing(w, name, route, method):
    before = snapshot()
    assert call(None, w, name, method).status_code == 401
    assert snapshot() == before


def test_a_member_who_left_the_team_gets_404(w):
    from teams.models import Membership

    Membership.objects.filter(person=w.ben, team=w.noord).update(left=datetime.date(2026, 12, 7))
    for name, _route, method in ENDPOINTS:
        assert call(w.ben, w, name, method).status_code == 404, name


# --- the board ----------------------------------------------------------------------------


def test_the_board_shows_the_teams_day_with_carers_lateness_and_open_offers(w):
    visit_services.visit_running_late(
        actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:20"), note="Dentist"
    )
    plan(w.ana, w.client, at("2026-12-09", "09:00"))  # tomorrow: not on a one-day board
    response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}")
    assert response.status_code == 200
    body = response.json()
    assert (body["team"], body["start"], body["end"], body["days"]) == (w.noord.pk, DAY, DAY, 1)
    assert body["stream"] == w.noord.stream
    assert body["seq"] == events.head(w.noord.stream)
    rows = {row["id"]: row for row in body["visits"]}
    assert list(rows) == [w.open.pk, w.anas.pk, w.bens.pk, w.spare.pk]  # in time order
    assert rows[w.open.pk]["assignee"] is None
    assert rows[w.open.pk]["client_name"] == "Wilma Jansen"
    assert rows[w.anas.pk]["assignee"] == {"id": w.ana.pk, "name": "Ana de Vries"}
    assert rows[w.bens.pk]["late"] is True
    assert rows[w.bens.pk]["late_until"] == at(DAY, "14:20").isoformat().replace("+00:00", "Z")
    assert rows[w.bens.pk]["late_note"] == "Dentist"
    assert rows[w.bens.pk]["version"] == 2
    assert not rows[w.open.pk]["late"]
    (offer,) = rows[w.anas.pk]["offers"]
    assert offer["id"] == w.offer.pk
    assert (offer["kind"], offer["status"], offer["version"]) == ("handover", "offered", 1)
    assert offer["from_person"]["name"] == "Ana de Vries"
    assert offer["to_person"]["name"] == "Ben Mulder"
    assert rows[w.spare.pk]["offers"] == []
    assert w.zuid_visit.pk not in rows


def test_the_written_out_board_row_is_what_the_declared_fields_give(w):
    """BoardVisitOut.to_representation is written out for speed: for visits in every
    state (unassigned, assigned, late, started, done, with an offer, with none) it
    gives exactly what DRF's walk over the declared fields gives."""
    from rest_framework import serializers

    from coordination.api.visits import BoardVisitOut

    visit_services.visit_running_late(
        actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:20"), note="Dentist"
    )
    with time_machine.travel(at(DAY, "17:00"), tick=False):
        started = visit_services.visit_start(
            actor=w.ana, visit=w.spare, version=1, at=at(DAY, "16:05")
        )
        visit_services.visit_finish(
            actor=w.ana, visit=started, version=started.version, actual_end=at(DAY, "16:50")
        )
    board = selectors.board(w.noord, datetime.date.fromisoformat(DAY))
    statuses = {v.status for v in board.visits}
    assert {"planned", "assigned", "done"} <= statuses
    assert any(v.open_offers for v in board.visits)
    assert any(not v.open_offers for v in board.visits)
    assert any(v.late_until for v in board.visits)
    out = BoardVisitOut()
    for visit in board.visits:
        walked = serializers.Serializer.to_representation(out, visit)
        assert out.to_representation(visit) == dict(walked), visit.pk


def test_the_board_reads_rows_that_show_as_the_visits_do(w):
    """The board reads its visits as values, not model instances (``BoardVisit``): each
    row says and names exactly what the visit read as a model says, whatever names a
    person or client has (preferred, full, only a username)."""
    from coordination.api.visits import BoardVisitOut

    w.ana.preferred_name, w.ana.first_name, w.ana.last_name = "", "", ""
    w.ana.save()  # named by username alone
    w.ben.preferred_name = "Benny"
    w.ben.save()
    w.client.preferred_name = "Mies"
    w.client.save()
    board = selectors.board(w.noord, datetime.date.fromisoformat(DAY))
    assert {v.pk for v in board.visits} == {w.open.pk, w.anas.pk, w.bens.pk, w.spare.pk}
    out = BoardVisitOut()
    for row in board.visits:
        model = selectors.board_visit(row.pk)
        assert out.to_representation(row) == out.to_representation(model), row.pk
        assert row.get_status_display() == model.get_status_display()
        assert (row.id, row.client_id, row.assignee_id) == (
            model.id,
            model.client_id,
            model.assignee_id,
        )
        assert row.tasks == model.tasks
    names = {v.pk: v.assignee and v.assignee.display_name for v in board.visits}
    assert names[w.anas.pk] == w.ana.username
    assert names[w.bens.pk] == "Benny"
    assert names[w.open.pk] is None
    assert board.visits[0].client.display_name == "Mies " + w.client.last_name


def test_the_board_takes_up_to_a_week_from_today_by_default(w):
    plan(w.ana, w.client, at("2026-12-14", "09:00"))  # the 7th day from the 8th
    plan(w.ana, w.client, at("2026-12-15", "09:00"))  # the 8th: not shown
    week = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?days=7").json()
    assert (week["start"], week["end"]) == (DAY, "2026-12-14")
    assert len(week["visits"]) == 5
    assert len(api(w.ana).get(f"{API}/teams/{w.noord.pk}/board").json()["visits"]) == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [("days=0", "days"), ("days=8", "days"), ("days=a", "days"), ("date=2026-13-01", "date")],
)
def test_a_bad_board_query_is_400_naming_the_field(w, query, field):
    response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?{query}")
    assert response.status_code == 400
    assert field in fields(response)


def _many_visits(w, count: int) -> None:
    """``count`` more visits on the day, alternately Ana's and Ben's, every third with an
    open offer, through the tables (the services' cost is not what is measured)."""
    start = at(DAY, "06:00")
    visits = Visit.objects.bulk_create(
        [
            Visit(
                client=w.client,
                window_start=start + datetime.timedelta(minutes=i),
                window_end=start + datetime.timedelta(minutes=i + 60),
                expected_minutes=30,
                assignee=(w.ana, w.ben)[i % 2],
                status=Visit.Status.ASSIGNED,
            )
            for i in range(count)
        ]
    )
    HandoverOffer.objects.bulk_create(
        [
            HandoverOffer(
                visit=v,
                from_person=v.assignee,
                to_person=w.ben if v.assignee == w.ana else w.ana,
                visit_version=v.version,
            )
            for v in visits[::3]
        ]
    )


def test_the_board_reads_in_three_queries_however_many_visits(w):
    counts = []
    for total in (5, 50):
        HandoverOffer.objects.filter(visit__window_start__lt=at(DAY, "08:00")).delete()
        Visit.objects.filter(window_start__lt=at(DAY, "08:00")).delete()
        _many_visits(w, total - 4)
        with CaptureQueriesContext(connection) as selector_queries:
            snapshot_ = selectors.board(w.noord, datetime.date(2026, 12, 8), 1)
            shown = [(v.client.display_name, v.assignee, v.open_offers) for v in snapshot_.visits]
            names = [
                (o.from_person.display_name, o.to_person.display_name)
                for _client, _carer, offers in shown
                for o in offers
            ]
        assert len(snapshot_.visits) == total
        assert names  # the offers were read, with both people
        assert len(selector_queries) <= 3
        with CaptureQueriesContext(connection) as api_queries:
            response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}")
        assert len(response.json()["visits"]) == total
        counts.append((len(selector_queries), len(api_queries)))
    assert counts[0] == counts[1], counts


def test_the_team_with_its_head_then_the_visits_two_queries_when_no_offer_is_open(w):
    w_head = EventRecord.objects.filter(stream=w.noord.stream).count()
    for total in (5, 50):
        HandoverOffer.objects.all().delete()
        Visit.objects.filter(window_start__lt=at(DAY, "08:00")).delete()
        _many_visits(w, total - 4)
        HandoverOffer.objects.all().delete()  # _many_visits offers some: none open here
        with CaptureQueriesContext(connection) as queries:
            team = selectors.board_team(w.ana, pk=w.noord.pk)
            snapshot_ = selectors.board(team, datetime.date(2026, 12, 8), 1)
            shown = [(v.client.display_name, v.assignee, v.open_offers) for v in snapshot_.visits]
        assert len(shown) == total
        assert all(offers == [] for _client, _carer, offers in shown)
        assert snapshot_.seq == w_head  # the head came with the team
        assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    # Someone else's team, or a team that does not exist: nothing, in one query.
    assert selectors.board_team(w.cas, pk=w.noord.pk) is None
    assert selectors.board_team(w.ana, pk=999_999) is None


# --- claiming -----------------------------------------------------------------------------


def test_claiming_an_unassigned_visit_gives_it_to_me_and_everyone_hears(w):
    response = post(w.ben, f"visits/{w.open.pk}/claim", version=1)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["assignee"]["id"], body["version"]) == ("assigned", w.ben.pk, 2)
    assert response["ETag"] == '"2"'
    (claimed,) = team_events(w, "visit.claimed")
    assert (claimed.data["visit"], claimed.data["assignee"]) == (w.open.pk, w.ben.pk)
    assert EventRecord.objects.filter(
        stream=f"client.{w.client.pk}.visits", type="visit.claimed"
    ).exists()


def test_claiming_a_visit_someone_took_first_names_them(w):
    assert post(w.ben, f"visits/{w.open.pk}/claim", version=1).status_code == 200
    before = snapshot()
    response = post(w.ana, f"visits/{w.open.pk}/claim", version=1)
    assert response.status_code == 409
    assert response.json()["message"] == "Ben Mulder has already taken this visit."
    assert response.json()["extra"]["current"]["assignee"] == w.ben.pk
    assert snapshot() == before


def test_a_stale_claim_is_409_with_the_current_state(w):
    visit_services.visit_running_late(actor=w.ben, visit=w.open, version=1, until=at(DAY, "09:45"))
    before = snapshot()
    response = post(w.ana, f"visits/{w.open.pk}/claim", {"version": 1})
    assert response.status_code == 409
    current = response.json()["extra"]["current"]
    assert (current["version"], current["assignee"]) == (2, None)
    assert snapshot() == before


def test_claiming_another_teams_visit_is_404_and_changes_nothing(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.zuid_visit.pk}/claim", version=1)
    assert response.status_code == 404
    assert snapshot() == before


def test_a_claim_without_a_version_is_428_and_a_garbled_one_400(w):
    assert post(w.ana, f"visits/{w.open.pk}/claim").status_code == 428
    garbled = api(w.ana).post(
        f"{API}/visits/{w.open.pk}/claim", {}, format="json", headers={"If-Match": "soon"}
    )
    assert garbled.status_code == 400
    assert "version" in fields(garbled)
    assert Visit.objects.get(pk=w.open.pk).assignee is None


# --- running late -------------------------------------------------------------------------


def test_running_late_through_the_api(w):
    response = post(
        w.ben,
        f"visits/{w.bens.pk}/late",
        {"until": "2026-12-08T14:25:00Z", "note": "Flat tyre"},
        version=1,
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["late"], response.json()["late_note"]) == (True, "Flat tyre")
    (late,) = team_events(w, "visit.running_late")
    assert late.data["late_until"] == at(DAY, "14:25").isoformat()
    assert "late_note" not in late.data


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"until": "2026-12-08T07:00:00Z"}, "until"),  # already past
        ({"until": "2026-12-08T13:30:00Z"}, "until"),  # before the window starts
        ({"until": "2026-12-09T09:00:00Z"}, "until"),  # more than 12 hours ahead
        ({"until": "half past two"}, "until"),
        ({}, "until"),
        ({"until": "2026-12-08T14:25:00Z", "note": "x" * 201}, "note"),
    ],
)
def test_running_late_with_a_bad_time_is_400_naming_the_field(w, body, field):
    before = snapshot()
    response = post(w.ben, f"visits/{w.bens.pk}/late", body, version=1)
    assert response.status_code == 400
    assert field in fields(response)
    assert snapshot() == before


def test_only_the_carer_says_they_run_late(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.bens.pk}/late", {"until": "2026-12-08T14:25:00Z"}, version=1)
    assert response.status_code == 403
    assert "Ben Mulder has this visit" in response.json()["message"]
    assert snapshot() == before


# --- finishing a visit that never started -------------------------------------------------


def test_finishing_a_visit_that_never_started_is_a_clear_400(w):
    before = snapshot()
    response = post(w.ben, f"visits/{w.bens.pk}/finish", {"note": "Done"}, version=1)
    assert response.status_code == 400
    assert response.json()["message"] == "This visit was never started: record its start first."
    assert snapshot() == before


# --- handovers ----------------------------------------------------------------------------


def test_a_handover_offered_and_accepted_moves_the_visit(w):
    response = post(
        w.ana, f"visits/{w.spare.pk}/handovers", {"to": w.ben.pk, "note": "School run"}, version=1
    )
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert (offer["kind"], offer["status"], offer["to_person"]["id"]) == (
        "handover",
        "offered",
        w.ben.pk,
    )
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ana.pk  # not until accepted
    offered = team_events(w, "handover.offered")[-1]
    assert offered.data == {
        "offer": offer["id"],
        "kind": "handover",
        "visit": w.spare.pk,
        "swap_visit": None,
        "from_person": w.ana.pk,
        "to_person": w.ben.pk,
        "status": "offered",
        "version": 1,
    }  # ids only: never the note

    accepted = post(w.ben, f"handovers/{offer['id']}/accept", version=1)
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["status"], accepted.json()["version"]) == ("accepted", 2)
    visit = Visit.objects.get(pk=w.spare.pk)
    assert (visit.assignee_id, visit.status, visit.version) == (w.ben.pk, "assigned", 2)
    kinds = [e.type for e in team_events(w)][-2:]
    assert kinds == ["visit.assigned", "handover.accepted"]
    assert AuditEntry.objects.filter(action="handover.accepted", actor=w.ben).count() == 1


@pytest.mark.parametrize("to", ["cas", "coach", "mrs_jansen", "ana", "nobody"])
def test_a_handover_to_anyone_but_a_colleague_is_400_naming_to(w, to):
    before = snapshot()
    person = getattr(w, to, None)
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/handovers",
        {"to": person.pk if person else 999_999},
        version=1,
    )
    assert response.status_code == 400
    assert "to" in fields(response)
    assert snapshot() == before


def test_only_the_carer_who_has_the_visit_offers_it(w):
    before = snapshot()
    response = post(w.ben, f"visits/{w.spare.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert response.status_code == 403
    unassigned = post(w.ana, f"visits/{w.open.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert unassigned.status_code == 400
    assert "claim it" in unassigned.json()["message"]
    assert snapshot() == before


def test_a_visit_has_one_open_offer_at_a_time(w):
    before = snapshot()
    response = post(w.ana, f"visits/{w.anas.pk}/handovers", {"to": w.ben.pk}, version=1)
    assert response.status_code == 400
    assert "already has an open offer" in response.json()["message"]
    # Nor may it be offered in a swap while it is offered.
    swap = post(
        w.ben, f"visits/{w.bens.pk}/swaps", {"swap_visit": w.anas.pk, "swap_version": 1}, version=1
    )
    assert swap.status_code == 400
    assert snapshot() == before


def test_accepting_your_own_offer_is_refused(w):
    before = snapshot()
    response = post(w.ana, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 403
    assert response.json()["message"] == "You made this offer: only Ben Mulder can accept it."
    assert snapshot() == before


def test_an_offer_lapses_when_the_visit_changed_since_and_the_lapse_is_kept(w):
    # Ana offered her 11:00 visit, then said she would be late for it: a different visit.
    visit_services.visit_running_late(actor=w.ana, visit=w.anas, version=1, until=at(DAY, "11:30"))
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert "the offer has lapsed" in response.json()["message"]
    current = response.json()["extra"]["current"]
    assert current["offer"]["status"] == "expired"
    assert current["visits"][0]["version"] == 2
    offer = HandoverOffer.objects.get(pk=w.offer.pk)
    assert (offer.status, offer.version) == ("expired", 2)
    assert offer.answered is not None
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk
    assert team_events(w, "handover.expired")[0].data["offer"] == w.offer.pk
    # Lapsed is final: the visit can be offered again.
    again = post(w.ana, f"visits/{w.anas.pk}/handovers", {"to": w.ben.pk}, version=2)
    assert again.status_code == 201


def test_declined_offers_keep_the_visit_and_the_reason_stays_out_of_the_event(w):
    response = post(w.ben, f"handovers/{w.offer.pk}/decline", {"reason": "My own mum"}, version=1)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["reason"]) == ("declined", "My own mum")
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk
    (declined,) = team_events(w, "handover.declined")
    assert "My own mum" not in str(declined.data)
    assert post(w.ben, f"handovers/{w.offer.pk}/accept", version=2).status_code == 409


def test_only_the_addressee_answers_and_only_the_offerer_withdraws(w):
    before = snapshot()
    assert post(w.ana, f"handovers/{w.offer.pk}/decline", version=1).status_code == 403
    assert post(w.ben, f"handovers/{w.offer.pk}/withdraw", version=1).status_code == 403
    assert snapshot() == before


def test_a_withdrawn_offer_cannot_be_accepted(w):
    assert post(w.ana, f"handovers/{w.offer.pk}/withdraw", version=1).status_code == 200
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert response.json()["message"] == "This offer was already withdrawn."
    assert response.json()["extra"]["current"]["status"] == "withdrawn"
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ana.pk


def test_a_stale_offer_version_is_409(w):
    response = post(w.ben, f"handovers/{w.offer.pk}/accept", version=7)
    assert response.status_code == 409
    assert response.json()["extra"]["current"]["version"] == 1
    assert HandoverOffer.objects.get(pk=w.offer.pk).status == "offered"


# --- swaps --------------------------------------------------------------------------------


def test_a_swap_offered_and_accepted_exchanges_the_two_visits(w):
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/swaps",
        {"swap_visit": w.bens.pk, "swap_version": 1, "note": "Can you take my 16:00?"},
        version=1,
    )
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert (offer["kind"], offer["to_person"]["id"], offer["swap_visit"]) == (
        "swap",
        w.ben.pk,
        w.bens.pk,
    )
    board = api(w.ben).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}").json()
    rows = {row["id"]: row for row in board["visits"]}
    assert [o["id"] for o in rows[w.bens.pk]["offers"]] == [offer["id"]]  # on both visits

    accepted = post(w.ben, f"handovers/{offer['id']}/accept", version=1)
    assert accepted.status_code == 200, accepted.json()
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ben.pk
    assert Visit.objects.get(pk=w.bens.pk).assignee_id == w.ana.pk
    kinds = [e.type for e in team_events(w)][-3:]
    assert kinds == ["visit.swapped", "visit.swapped", "handover.accepted"]


@pytest.mark.parametrize("target", ["open", "zuid_visit", "spare", "anas_too", "missing"])
def test_a_swap_needs_a_colleagues_visit_of_the_team_naming_swap_visit(w, target):
    if target == "anas_too":
        visit = plan(w.ana, w.client, at(DAY, "18:00"), assignee=w.ana)
    else:
        visit = getattr(w, target, None)
    before = snapshot()
    response = post(
        w.ana,
        f"visits/{w.spare.pk}/swaps",
        {"swap_visit": visit.pk if visit else 999_999, "swap_version": 1},
        version=1,
    )
    assert response.status_code == 400
    assert "swap_visit" in fields(response)
    assert "Bos" not in response.content.decode()
    if target != "anas_too":
        assert snapshot() == before


def test_a_swap_lapses_when_the_colleagues_visit_changed(w):
    offer = handover_services.handover_offer_swap(
        actor=w.ana, visit=w.spare, version=1, swap_visit=w.bens, swap_version=1
    )
    visit_services.visit_running_late(actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:30"))
    response = post(w.ben, f"handovers/{offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert HandoverOffer.objects.get(pk=offer.pk).status == "expired"
    assert Visit.objects.get(pk=w.spare.pk).assignee_id == w.ana.pk
    assert Visit.objects.get(pk=w.bens.pk).assignee_id == w.ben.pk


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
