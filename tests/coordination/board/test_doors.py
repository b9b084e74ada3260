"""Every board endpoint, walked: the right member, everyone outside the team, nobody
signed in, a member who left."""

from __future__ import annotations

import datetime

import pytest
from django.urls import URLPattern
from rest_framework.test import APIClient

from care.services import visits as visit_services
from coordination import urls as coordination_urls
from tests.care.visit_helpers import at
from tests.coordination.board.world import (
    API,
    DAY,
    OUTSIDERS,
    fields,
    snapshot,
)
from tests.doors import api

pytestmark = pytest.mark.django_db


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
                "reason": "She asked us to come early.",
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
