"""Help across teams through the API: a team asks, other teams see it (nearest first,
never who the client is), one offers, the asking team accepts, the helper gets the
visits and a grant. Who may do what; bad input; stale versions; query counts; the
"help" stream."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from care.models import Client, Visit, VisitGrant
from care.services import visits as visit_services
from coordination import access, selectors
from coordination import urls as coordination_urls
from coordination.events import EventRecord
from coordination.models import HelpOffer, HelpRequest
from coordination.routing import websocket_urlpatterns
from coordination.services import help as help_services
from teams.models import AuditEntry, Membership, Team
from tests.care.visit_helpers import at, intervention, jansen_client, plan
from tests.doors import api
from tests.factories import ClientFactory, MembershipFactory, TeamFactory, member

pytestmark = pytest.mark.django_db

API = "/api/v1"
DAY = "2026-12-08"
MORNING = at(DAY, "07:30")  # a Tuesday, before the day's visits
OUTSIDERS = ["coach", "inspector", "mrs_jansen", "daughter"]
NOTE = "Ben is ill and Ana covers the late round"

# Hand-placed: Noord and Zuid are neighbours in Deventer, Oost across town, Zwolle
# 30 km north, and Raalte has no location yet.
NOORD = (Decimal("52.268600"), Decimal("6.170700"))
ZUID = (Decimal("52.244300"), Decimal("6.164000"))
OOST = (Decimal("52.248000"), Decimal("6.227000"))
ZWOLLE = (Decimal("52.512400"), Decimal("6.091300"))


def post(person, path: str, body: dict | None = None, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return api(person).post(f"{API}/{path}", body or {}, format="json", headers=headers)


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert body["message"], body
    return response.status_code, body["message"], body["extra"].get("fields", {})


def place(team: Team, where) -> None:
    Team.objects.filter(pk=team.pk).update(latitude=where[0], longitude=where[1])
    team.refresh_from_db()


def build(personas, *, with_plan: bool = True) -> SimpleNamespace:
    """Noord asks for help with Mrs Jansen's 09:00 and 18:00; her 12:00 stays with the
    team. Cas (Zuid) and Dina (Oost) may offer. (Tests that flush the database have no
    Omaha reference data, hence no plan: ``with_plan=False``.)"""
    w = personas
    place(w.noord, NOORD)
    place(w.zuid, ZUID)
    w.oost = TeamFactory(name="Oost", slug="oost", latitude=OOST[0], longitude=OOST[1])
    w.dina = member("dina", w.oost, first_name="Dina", last_name="Smit")
    w.client = jansen_client(w)
    Client.objects.filter(pk=w.client.pk).update(
        address="Ceintuurbaan 118", postcode="7413 EW", phone="0570 123456"
    )
    w.client.refresh_from_db()
    w.intervention = intervention(w.client, w.ana) if with_plan else None
    linked = [w.intervention] if with_plan else []
    w.morning = plan(w.ana, w.client, at(DAY, "09:00"), interventions=linked)
    w.lunch = plan(w.ana, w.client, at(DAY, "12:00"))
    w.evening = plan(w.ana, w.client, at(DAY, "18:00"))
    w.request = help_services.help_request_raise(
        actor=w.ana,
        team=w.noord,
        visits=[w.morning, w.evening],
        skills="Insulin injections",
        note=NOTE,
    )
    return w


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def snapshot() -> dict:
    return {
        "requests": list(
            HelpRequest.objects.order_by("pk").values_list("pk", "status", "version", "closed")
        ),
        "offers": list(
            HelpOffer.objects.order_by("pk").values_list("pk", "status", "version", "answered_at")
        ),
        "visits": list(
            Visit.objects.order_by("pk").values_list("pk", "status", "assignee", "version")
        ),
        "grants": list(VisitGrant.objects.order_by("pk").values_list("pk", "ended_at")),
        "events": EventRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def events_of(stream: str, prefix: str = "") -> list[tuple[str, dict]]:
    return [
        (e.type, e.data)
        for e in EventRecord.objects.filter(stream=stream, type__startswith=prefix).order_by("seq")
    ]


# --- the endpoints, walked from coordination's URLs ---------------------------------------


HELP_NAMES = {
    "api-help-requests",
    "api-team-help-requests",
    "api-help-request-withdraw",
    "api-help-offers",
    "api-help-offer-accept",
    "api-help-offer-decline",
    "api-help-offer-withdraw",
    "api-granted-visit",
    "api-granted-visit-start",
    "api-granted-visit-finish",
}


def help_endpoints() -> list[tuple[str, str, str]]:
    """(url name, route, method) of every help endpoint in coordination's URLs."""
    return [
        (pattern.name, str(pattern.pattern), method)
        for pattern in coordination_urls.urlpatterns
        if getattr(pattern, "name", None) in HELP_NAMES
        for method in ("get", "post", "put", "patch", "delete")
        if hasattr(pattern.callback.view_class, method)
    ]


ENDPOINTS = help_endpoints()
IDS = [f"{method.upper()} {route}" for _name, route, method in ENDPOINTS]


@pytest.fixture
def offered(w):
    w.offer = help_services.help_offer_make(
        actor=w.cas, request=w.request, version=1, note="I know her"
    )
    return w


def request_for(w, name: str) -> tuple[str, dict, int | None]:
    """(path, body, If-Match) of a well-formed request aimed at Noord's request for help
    and Cas's offer on it."""
    requests = {
        "api-help-requests": ("help-requests", {}, None),
        "api-team-help-requests": (
            f"teams/{w.noord.pk}/help-requests",
            {"visits": [w.lunch.pk], "skills": "Hoist"},
            None,
        ),
        "api-help-request-withdraw": (f"help-requests/{w.request.pk}/withdraw", {}, 1),
        "api-help-offers": (f"help-requests/{w.request.pk}/offers", {"note": "Me"}, 1),
        "api-help-offer-accept": (f"help-offers/{w.offer.pk}/accept", {}, 1),
        "api-help-offer-decline": (f"help-offers/{w.offer.pk}/decline", {"reason": "No"}, 1),
        "api-help-offer-withdraw": (f"help-offers/{w.offer.pk}/withdraw", {}, 1),
        "api-granted-visit": (f"granted-visits/{w.morning.pk}", {}, None),
        "api-granted-visit-start": (f"granted-visits/{w.morning.pk}/start", {}, 1),
        "api-granted-visit-finish": (f"granted-visits/{w.morning.pk}/finish", {}, 1),
    }
    return requests[name]


def call(person, w, name: str, method: str):
    path, body, version = request_for(w, name)
    client = api(person) if person is not None else APIClient()
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return getattr(client, method)(f"{API}/{path}", body, format="json", headers=headers)


def test_the_walk_covers_every_help_endpoint():
    assert {(name, method) for name, _route, method in ENDPOINTS} == {
        ("api-help-requests", "get"),
        ("api-team-help-requests", "post"),
        ("api-help-request-withdraw", "post"),
        ("api-help-offers", "post"),
        ("api-help-offer-accept", "post"),
        ("api-help-offer-decline", "post"),
        ("api-help-offer-withdraw", "post"),
        ("api-granted-visit", "get"),
        ("api-granted-visit-start", "post"),
        ("api-granted-visit-finish", "post"),
    }


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("who", OUTSIDERS)
def test_coaches_inspectors_and_portal_users_get_404_and_change_nothing(
    offered, who, name, route, method
):
    before = snapshot()
    response = call(getattr(offered, who), offered, name, method)
    assert response.status_code == 404, response.content
    assert error(response)[2] == {}
    assert "Jansen" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("name", "route", "method"), ENDPOINTS, ids=IDS)
def test_anonymous_gets_401_and_changes_nothing(offered, name, route, method):
    before = snapshot()
    assert call(None, offered, name, method).status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize(
    ("who", "name", "expected"),
    [
        # Another team's member sees the request but neither withdraws it nor answers
        # offers on it; a third team does not even see Cas's offer.
        ("dina", "api-help-request-withdraw", 403),
        ("dina", "api-help-offer-accept", 404),
        ("dina", "api-help-offer-decline", 404),
        ("dina", "api-help-offer-withdraw", 404),
        ("cas", "api-help-request-withdraw", 403),
        ("cas", "api-help-offer-decline", 400),
        # Only Cas withdraws his offer.
        ("ana", "api-help-offer-withdraw", 403),
        # Nobody holds a grant yet: the granted view is nobody's, the team's included.
        ("ana", "api-granted-visit", 404),
        ("cas", "api-granted-visit", 404),
        ("cas", "api-granted-visit-start", 404),
        ("ana", "api-granted-visit-finish", 404),
        # Noord asks for Noord only.
        ("cas", "api-team-help-requests", 404),
    ],
)
def test_members_of_teams_reach_only_their_side(offered, who, name, expected):
    (method,) = [m for n, _route, m in ENDPOINTS if n == name]
    before = snapshot()
    response = call(getattr(offered, who), offered, name, method)
    assert response.status_code == expected, response.content
    assert error(response)[0] == expected
    assert snapshot() == before


# --- the whole flow --------------------------------------------------------------------------


def test_a_team_asks_another_offers_the_team_accepts_and_the_helper_does_the_visit(
    w, captured_sends, django_capture_on_commit_callbacks
):
    # Zuid sees the request live: where, when, how long, the skills; not who or the note.
    listed = api(w.cas).get(f"{API}/help-requests")
    assert listed.status_code == 200
    (shown,) = listed.json()
    assert shown["id"] == w.request.pk
    assert shown["team"] == {"id": w.noord.pk, "name": "Noord", "town": "Deventer"}
    assert shown["area"] == "Deventer, 7413"
    assert shown["skills"] == "Insulin injections"
    assert [v["id"] for v in shown["visits"]] == [w.morning.pk, w.evening.pk]
    assert shown["minutes"] == 90
    assert (shown["mine"], shown["note"], shown["offers"], shown["my_offer"]) == (
        False,
        "",
        [],
        None,
    )
    assert 2.5 < shown["distance_km"] < 3.0
    text = listed.content.decode()
    for secret in ("Jansen", "Wilma", "Ceintuurbaan", "0570", "7413 EW", NOTE, "washing"):
        assert secret not in text
    assert (
        "help.requested",
        {
            "request": w.request.pk,
            "team": w.noord.pk,
            "visits": [
                w.morning.pk,
                w.evening.pk,
            ],
            "version": 1,
        },
    ) in events_of("help")
    assert [t for t, _ in events_of(w.noord.stream, "help.")] == ["help.requested"]

    # Cas and Dina offer; Cas's offer is accepted by Ben (not the one who asked).
    response = post(w.cas, f"help-requests/{w.request.pk}/offers", {"note": "I know her"}, 1)
    assert response.status_code == 201, response.json()
    offer = response.json()
    assert (offer["status"], offer["person"]["id"], offer["version"]) == ("offered", w.cas.pk, 1)
    dinas = post(w.dina, f"help-requests/{w.request.pk}/offers", {}, 1).json()
    mine = api(w.ana).get(f"{API}/help-requests").json()[0]
    assert mine["mine"] is True and mine["note"] == NOTE
    assert [o["person"]["id"] for o in mine["offers"]] == [w.cas.pk, w.dina.pk]
    own = api(w.cas).get(f"{API}/help-requests").json()[0]
    assert own["my_offer"]["id"] == offer["id"] and own["offers"] == []

    with django_capture_on_commit_callbacks(execute=True):
        accepted = post(w.ben, f"help-offers/{offer['id']}/accept", version=1)
    assert accepted.status_code == 200, accepted.json()
    assert (accepted.json()["status"], accepted.json()["version"]) == ("accepted", 2)
    w.request.refresh_from_db()
    assert (w.request.status, w.request.version) == ("filled", 2)
    assert HelpOffer.objects.get(pk=dinas["id"]).status == "declined"
    for visit in (w.morning, w.evening):
        visit.refresh_from_db()
        assert (visit.status, visit.assignee) == ("assigned", w.cas)
        grant = VisitGrant.objects.get(visit=visit)
        assert (grant.person, grant.granted_by, grant.ended_at) == (w.cas, w.ben, None)
        assert grant.expires_at == visit.window_end + datetime.timedelta(hours=4)
        assert grant.reason == f"help request {w.request.pk}"
    w.lunch.refresh_from_db()
    assert (w.lunch.status, w.lunch.assignee) == ("planned", None)
    # Ids only, on the help stream and Noord's own.
    help_events = events_of("help")
    assert [t for t, _ in help_events] == [
        "help.requested",
        "help.offered",
        "help.offered",
        "help.offer_accepted",
        "help.filled",
    ]
    assert help_events[3][1] == {"request": w.request.pk, "offer": offer["id"], "person": w.cas.pk}
    assert help_events[4][1]["declined"] == [dinas["id"]]
    assert [t for t, _ in events_of(w.noord.stream, "help.")] == [t for t, _ in help_events]
    assert [t for t, _ in events_of(w.noord.stream, "visit.lent")] == ["visit.lent"] * 2
    assert not any("Jansen" in str(data) for _t, data in help_events)
    # The doorbells rang after the commit: the network's and the asking team's.
    rung = {(group, m["event"]) for group, m in captured_sends}
    assert {("s.help", "help.offer_accepted"), (f"s.{w.noord.stream}", "help.filled")} <= rung
    # Filled: off the network's list.
    assert api(w.dina).get(f"{API}/help-requests").json() == []

    # Cas sees the 09:00 and what it needs, starts and finishes it; then it is gone.
    seen = api(w.cas).get(f"{API}/granted-visits/{w.morning.pk}")
    assert seen.status_code == 200
    body = seen.json()
    assert body["client"] == {
        "name": "Wilma Jansen",
        "address": "Ceintuurbaan 118",
        "postcode": "7413 EW",
        "phone": "0570 123456",
    }
    assert body["visit"]["tasks"] == "Help with washing and breakfast."
    assert [i["description"] for i in body["interventions"]] == [w.intervention.description]
    assert body["team"]["name"] == "Noord"
    with time_machine.travel(at(DAY, "09:05"), tick=False):
        started = post(w.cas, f"granted-visits/{w.morning.pk}/start", version=2)
        assert started.status_code == 200, started.json()
        assert started.json()["status"] == "in_progress"
    with time_machine.travel(at(DAY, "09:50"), tick=False):
        done = api(w.cas).post(
            f"{API}/granted-visits/{w.morning.pk}/finish",
            {"note": "Insulin given"},
            format="json",
            headers={"If-Match": '"3"', "Idempotency-Key": "cas-morning-1"},
        )
        assert done.status_code == 200, done.json()
        assert done.json()["status"] == "done"
        assert VisitGrant.objects.get(visit=w.morning).ended_at is not None
        assert api(w.cas).get(f"{API}/granted-visits/{w.morning.pk}").status_code == 404
        # The evening visit is still his.
        assert api(w.cas).get(f"{API}/granted-visits/{w.evening.pk}").status_code == 200


def test_the_asking_team_may_decline_and_the_helper_may_withdraw(offered):
    w = offered
    declined = post(w.ana, f"help-offers/{w.offer.pk}/decline", {"reason": "Found cover"}, 1)
    assert declined.status_code == 200
    assert (declined.json()["status"], declined.json()["reason"]) == ("declined", "Found cover")
    again = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    withdrawn = post(w.cas, f"help-offers/{again.pk}/withdraw", version=1)
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert [t for t, _ in events_of("help")][-3:] == [
        "help.offer_declined",
        "help.offered",
        "help.offer_withdrawn",
    ]
    w.request.refresh_from_db()
    assert w.request.status == "open"


def test_withdrawing_the_request_declines_its_open_offers(offered):
    w = offered
    response = post(w.ben, f"help-requests/{w.request.pk}/withdraw", version=1)
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["version"]) == ("withdrawn", 2)
    w.offer.refresh_from_db()
    assert (w.offer.status, w.offer.version) == ("declined", 2)
    assert events_of("help")[-1] == (
        "help.withdrawn",
        {"request": w.request.pk, "status": "withdrawn", "version": 2, "declined": [w.offer.pk]},
    )
    # The visits can be asked for again.
    help_services.help_request_raise(actor=w.ana, team=w.noord, visits=[w.morning])


def test_a_request_lapses_once_its_first_visit_is_over(offered):
    w = offered
    assert help_services.help_requests_expire_due(now=at(DAY, "09:59")) == []
    assert help_services.help_requests_expire_due(now=at(DAY, "10:00")) == [w.request.pk]
    w.request.refresh_from_db()
    w.offer.refresh_from_db()
    assert (w.request.status, w.offer.status) == ("expired", "declined")
    assert events_of("help")[-1][0] == "help.expired"
    assert help_services.help_requests_expire_due(now=at(DAY, "11:00")) == []
    with time_machine.travel(at(DAY, "10:01"), tick=False):
        assert api(w.dina).get(f"{API}/help-requests").json() == []


def test_past_due_requests_leave_the_list_before_the_clock_lapses_them(w):
    with time_machine.travel(at(DAY, "10:01"), tick=False):
        assert api(w.cas).get(f"{API}/help-requests").json() == []
        response = post(w.cas, f"help-requests/{w.request.pk}/offers", {}, 1)
        assert response.status_code == 409
        assert response.json()["extra"]["current"]["id"] == w.request.pk


# --- refused: your own request, bad input, stale versions ---------------------------------


def test_offering_on_your_own_teams_request_is_refused_and_changes_nothing(w):
    before = snapshot()
    response = post(w.ben, f"help-requests/{w.request.pk}/offers", {"note": "Me!"}, 1)
    assert error(response)[:2] == (400, help_services.OWN_REQUEST)
    assert snapshot() == before


def test_accepting_your_own_offer_is_refused_and_changes_nothing(offered):
    w = offered
    before = snapshot()
    response = post(w.cas, f"help-offers/{w.offer.pk}/accept", version=1)
    code, message, _fields = error(response)
    assert code == 400
    assert message == (
        "You made this offer: a member of team Noord, who asked for help, can accept it."
    )
    assert snapshot() == before


def test_accepting_when_the_helper_joined_the_asking_team_is_refused_and_changes_nothing(offered):
    w = offered
    MembershipFactory(team=w.noord, person=w.cas)
    before = snapshot()
    response = post(w.ana, f"help-offers/{w.offer.pk}/accept", version=1)
    code, message, _fields = error(response)
    assert code == 400
    assert "Cas Bakker is a member of team Noord now" in message
    assert snapshot() == before
    assert not VisitGrant.objects.exists()


def test_a_helper_in_two_teams_cannot_offer_to_either_of_them(w):
    MembershipFactory(team=w.noord, person=w.dina)
    before = snapshot()
    response = post(w.dina, f"help-requests/{w.request.pk}/offers", {}, 1)
    assert error(response)[:2] == (400, help_services.OWN_REQUEST)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"visits": []}, "visits", "Choose the visits"),
        ({"skills": "x"}, "visits", "required"),
        ({"visits": ["nine"]}, "visits", "valid integer"),
        ({"visits": "lunch"}, "visits", "list"),
        ({"visits": "LUNCH", "skills": "s" * 201}, "skills", "200"),
        ({"visits": "LUNCH", "note": "n" * 301}, "note", "300"),
        ({"visits": "ZUID"}, "visits", "Only visits of your team's clients."),
        ({"visits": "MORNING"}, "visits", "in open request"),
        ({"visits": "TAKEN"}, "visits", "ask only for visits nobody has"),
        ({"visits": "PAST"}, "visits", "is over"),
        ({"visits": 999_999}, "visits", "Only visits of your team's clients."),
    ],
)
def test_bad_requests_name_the_field_and_save_nothing(w, body, field, words):
    zuid_client = ClientFactory(team=w.zuid, first_name="Jan", last_name="Bos")
    targets = {
        "LUNCH": [w.lunch.pk],
        "ZUID": [w.lunch.pk, plan(w.cas, zuid_client, at(DAY, "10:00")).pk],
        "MORNING": [w.lunch.pk, w.morning.pk],
        "TAKEN": [plan(w.ana, w.client, at(DAY, "15:00"), assignee=w.ben).pk],
        "PAST": None,
        999_999: [999_999],
    }
    if body.get("visits") == "PAST":
        targets["PAST"] = [plan(w.ana, w.client, at("2026-12-07", "10:00")).pk]
    if isinstance(body.get("visits"), str | int) and body["visits"] in targets:
        body = body | {"visits": targets[body["visits"]]}
    before = snapshot()
    response = post(w.ana, f"teams/{w.noord.pk}/help-requests", body)
    code, _message, fields = error(response)
    assert code == 400, response.json()
    assert field in fields, fields
    assert words in " ".join(fields[field])
    assert snapshot() == before


def test_a_stale_request_version_is_a_409_with_the_current_state(w):
    help_services.help_request_withdraw(actor=w.ana, request=w.request, version=1)
    before = snapshot()
    response = post(w.cas, f"help-requests/{w.request.pk}/offers", {}, 1)
    assert response.status_code == 409
    current = response.json()["extra"]["current"]
    assert (current["id"], current["status"], current["version"]) == (w.request.pk, "withdrawn", 2)
    assert "already withdrawn" in response.json()["message"]
    again = post(w.ana, f"help-requests/{w.request.pk}/withdraw", version=1)
    assert again.status_code == 409
    assert snapshot() == before


def test_a_stale_offer_version_is_a_409_and_nothing_is_lent(offered):
    w = offered
    help_services.help_offer_decline(actor=w.ben, offer=w.offer, version=1)
    before = snapshot()
    response = post(w.ana, f"help-offers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    assert response.json()["extra"]["current"]["status"] == "declined"
    assert snapshot() == before
    withdrawing = post(w.cas, f"help-offers/{w.offer.pk}/withdraw", version=2)
    assert withdrawing.status_code == 409


def test_a_visit_taken_meanwhile_makes_the_accept_a_409_with_nothing_half_lent(offered):
    w = offered
    # Ben found time for the evening after all and took it on the board.
    visit_services.visit_claim(actor=w.ben, visit=w.evening, version=1)
    before = snapshot()
    response = post(w.ana, f"help-offers/{w.offer.pk}/accept", version=1)
    assert response.status_code == 409
    body = response.json()
    assert "18:00 is assigned now" in body["message"]
    assert body["extra"]["current"]["request"]["status"] == "open"
    assert {v["id"]: v["assignee"] for v in body["extra"]["current"]["visits"]} == {
        w.morning.pk: None,
        w.evening.pk: w.ben.pk,
    }
    assert snapshot() == before
    assert not VisitGrant.objects.exists()


# --- nearest first, in constant queries ---------------------------------------------------


def _request_of(team: Team, asker, start: str):
    client = ClientFactory(team=team, first_name="C", last_name=team.name, postcode="7400 AA")
    visit = plan(asker, client, at(DAY, start))
    return help_services.help_request_raise(actor=asker, team=team, visits=[visit])


def test_requests_are_listed_nearest_first_and_teams_without_a_place_last(w):
    zwolle = TeamFactory(name="Zwolle", slug="zwolle", latitude=ZWOLLE[0], longitude=ZWOLLE[1])
    raalte = TeamFactory(name="Raalte", slug="raalte")
    far = _request_of(zwolle, member("zara", zwolle), "08:00")
    nowhere = _request_of(raalte, member("rob", raalte), "08:00")
    oost = _request_of(w.oost, w.dina, "10:00")
    zuid = _request_of(w.zuid, w.cas, "11:00")
    order = [r["id"] for r in api(w.cas).get(f"{API}/help-requests").json()]
    # From Zuid: its own, Noord (2.7 km), Oost (4.4 km), Zwolle (30 km), Raalte (unknown).
    assert order == [zuid.pk, w.request.pk, oost.pk, far.pk, nowhere.pk]
    distances = {r["id"]: r["distance_km"] for r in api(w.cas).get(f"{API}/help-requests").json()}
    assert distances[zuid.pk] == 0
    assert 4.0 < distances[oost.pk] < 5.0
    assert 29 < distances[far.pk] < 32
    assert distances[nowhere.pk] is None
    # From Oost the order changes: Oost, Zuid, Noord, ...
    from_oost = [r["id"] for r in api(w.dina).get(f"{API}/help-requests").json()]
    assert from_oost[:3] == [oost.pk, zuid.pk, w.request.pk]
    # A member of two teams: the nearer of them counts.
    MembershipFactory(team=zwolle, person=w.dina)
    both = {r["id"]: r["distance_km"] for r in api(w.dina).get(f"{API}/help-requests").json()}
    assert both[far.pk] == 0


def test_unplaced_readers_see_every_request_soonest_first(w):
    Team.objects.filter(pk=w.zuid.pk).update(latitude=None, longitude=None)
    oost = _request_of(w.oost, w.dina, "08:00")
    order = [r["id"] for r in api(w.cas).get(f"{API}/help-requests").json()]
    assert order == [oost.pk, w.request.pk]


def test_the_help_list_takes_the_same_queries_for_one_request_or_many(w):
    counts = []
    for extra in (0, 4):
        for i in range(extra):
            team = TeamFactory(
                name=f"Far {i}", slug=f"far-{i}", latitude=ZWOLLE[0], longitude=ZWOLLE[1]
            )
            asker = member(f"asker{i}", team)
            request = _request_of(team, asker, f"1{i}:00")
            client = Client.objects.get(team=team)
            more = plan(asker, client, at(DAY, f"1{i}:30"))
            help_services.help_request_raise(actor=asker, team=team, visits=[more])
            help_services.help_offer_make(actor=w.cas, request=request, version=1)
            help_services.help_offer_make(actor=w.dina, request=request, version=1)
        with CaptureQueriesContext(connection) as selector_queries:
            shown = selectors.help_board(w.cas)
            [(r.team.name, r.area, [v.window_start for v in r.visit_list]) for r in shown]
            [(o.person.display_name) for r in shown for o in r.open_offers]
        with CaptureQueriesContext(connection) as api_queries:
            response = api(w.cas).get(f"{API}/help-requests")
        assert len(response.json()) == 1 + 2 * extra
        counts.append((len(selector_queries), len(api_queries)))
    assert counts[0] == counts[1], counts
    assert counts[0][0] == 4


def test_the_list_never_loads_client_names(w):
    with CaptureQueriesContext(connection) as queries:
        selectors.help_board(w.cas)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"care_client"."postcode"' in sql
    for column in ("first_name", "last_name", "preferred_name", "address", "phone"):
        assert f'"care_client"."{column}"' not in sql


# --- the "help" stream -----------------------------------------------------------------------


def test_every_team_member_reads_the_help_stream_and_nobody_else(w):
    for person in (w.ana, w.ben, w.cas, w.dina):
        assert access.HELP_STREAM in access.readable_streams(person)
        assert access.can_read_stream(person, "help")
    for name in OUTSIDERS:
        assert "help" not in access.readable_streams(getattr(w, name))
    Membership.objects.filter(person=w.dina).update(left=datetime.date(2026, 12, 7))
    assert "help" not in access.readable_streams(w.dina)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_cannot_read_the_help_stream_through_the_api(w, who):
    response = api(getattr(w, who)).get(f"{API}/streams/help/events")
    assert response.status_code == 403
    assert api(w.cas).get(f"{API}/streams/help/events").json()["head"] == 1


ORIGIN = (b"origin", b"http://localhost")


def socket_for(person, query: str = "") -> WebsocketCommunicator:
    app = AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))
    communicator = WebsocketCommunicator(app, f"/ws/live/{query}", headers=[ORIGIN])
    communicator.scope["user"] = person
    return communicator


async def until_ready(socket) -> list[dict]:
    got = []
    while True:
        message = await socket.receive_json_from(timeout=3)
        if message["type"] == "ready":
            return got
        got.append(message)


@database_sync_to_async
def ask(w, start: str):
    return _request_of(w.oost, w.dina, start).pk


@pytest.mark.django_db(transaction=True)
async def test_a_member_of_another_team_hears_a_new_request_live(personas):
    w = await database_sync_to_async(build)(personas, with_plan=False)
    socket = socket_for(w.cas, "?since=help:1")
    assert (await socket.connect())[0]
    assert await until_ready(socket) == []
    pk = await ask(w, "14:00")
    message = await socket.receive_json_from(timeout=3)
    assert (message["stream"], message["event"], message["data"]["request"]) == (
        "help",
        "help.requested",
        pk,
    )
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", OUTSIDERS)
async def test_outsiders_and_inspectors_receive_nothing_on_any_team_stream(personas, who):
    w = await database_sync_to_async(build)(personas, with_plan=False)
    outsider = getattr(w, who)
    for query in ("?since=help:0", f"?since={w.noord.stream}:0", f"?since={w.oost.stream}:0"):
        refused = socket_for(outsider, query)
        assert (await refused.connect())[0]
        assert await refused.receive_output(timeout=3) == {
            "type": "websocket.close",
            "code": 4403,
        }
        assert await refused.receive_nothing(timeout=0.2)
    # Whatever else they may follow, no team's or the network's help events reach them.
    own = socket_for(outsider)
    connected, _ = await own.connect()
    got = []
    if connected:
        first = await own.receive_output(timeout=3)
        if first["type"] == "websocket.send":  # accepted (its own stream only), not closed
            message = json.loads(first["text"])
            got = [] if message["type"] == "ready" else [message, *await until_ready(own)]
            await ask(w, "15:00")
            while not await own.receive_nothing(timeout=0.3):
                got.append(await own.receive_json_from(timeout=3))
        await own.disconnect()
    streams = {m.get("stream", "") for m in got}
    assert not any(s == "help" or s.startswith("team.") for s in streams), got


def test_the_tick_lets_lapsed_requests_go(offered):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with time_machine.travel(at(DAY, "10:05"), tick=False):
        call_command("tick", stdout=out)
    offered.request.refresh_from_db()
    assert offered.request.status == "expired"
    assert "1 help request(s) lapsed" in out.getvalue()
