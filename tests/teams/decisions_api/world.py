"""Noord's decisions as the API tests meet them: helpers, the endpoint list, one call per
endpoint.

A proposal is adopted when its objection window has closed (plus ``SETTLE``) with no
open objection and at least ceil(members / 2) responses to its current revision."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from coordination.events import EventRecord
from teams import urls as team_urls
from teams.models import (
    AuditEntry,
    CoachTerm,
    Comment,
    Invitation,
    Membership,
    Proposal,
    Response,
    RoleTerm,
    Team,
)
from teams.services import proposals as proposal_services
from teams.services.proposals import SETTLE
from tests.doors import api

API = "/api/v1"


WRITE_METHODS = ("post", "put", "patch", "delete")


ONE_SECOND = datetime.timedelta(seconds=1)


def in_days(days: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def proposal_body(**overrides) -> dict:
    return {
        "kind": "general",
        "title": "Lunch rota on Thursdays",
        "purpose": "So that nobody eats alone at the office.",
        "details": "",
        "payload": {},
        "window_hours": 72,
    } | overrides


def raise_(person, team, **overrides):
    return api(person).post(
        f"{API}/teams/{team.pk}/proposals", proposal_body(**overrides), format="json"
    )


def raised(person, team, **overrides) -> int:
    response = raise_(person, team, **overrides)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def consent(person, proposal_id: int):
    return api(person).post(f"{API}/proposals/{proposal_id}/consent", format="json")


def adopt_due(proposal_id: int) -> list[int]:
    """Run the closer just after this proposal's window and settle delay."""
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    return proposal_services.proposals_close_due(now=closes_at + SETTLE + ONE_SECOND)


def after_window(proposal_id: int, extra: datetime.timedelta = ONE_SECOND):
    closes_at = Proposal.objects.get(pk=proposal_id).closes_at
    return time_machine.travel(closes_at + SETTLE + extra, tick=False)


def snapshot() -> dict:
    """Everything a decision request could change, row by row."""
    return {
        "proposals": list(
            Proposal.objects.order_by("pk").values_list(
                "pk", "status", "revision", "version", "title", "closes_at", "outcome"
            )
        ),
        "responses": list(
            Response.objects.order_by("pk").values_list("pk", "kind", "state", "revision")
        ),
        "comments": Comment.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": EventRecord.objects.count(),
        "memberships": list(Membership.objects.order_by("pk").values_list("pk", "team", "left")),
        "role_terms": list(RoleTerm.objects.order_by("pk").values_list("pk", "person", "ended")),
        "coach_terms": list(CoachTerm.objects.order_by("pk").values_list("pk", "ended")),
        "teams": list(Team.objects.order_by("pk").values_list("pk", "name", "version", "phone")),
        "invitations": list(
            Invitation.objects.order_by("pk").values_list(
                "pk", "send_count", "withdrawn_at", "accepted_at", "nonce_digest"
            )
        ),
    }


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert body["message"], body
    return response.status_code, body["message"], body["extra"].get("fields", {})


def _methods(view_class) -> list[str]:
    return [m for m in ("get", *WRITE_METHODS) if hasattr(view_class, m)]


def team_scoped_endpoints() -> list[tuple[str, str, str]]:
    """(url name, route, method) of every teams endpoint about one team, proposal or
    objection: every route with a <id:pk> (but a person's own API tokens, whose matrix
    is in test_credentials.py)."""
    return [
        (pattern.name, str(pattern.pattern), method)
        for pattern in team_urls.urlpatterns
        if "<id:pk>" in str(pattern.pattern) and not str(pattern.pattern).startswith("auth/")
        for method in _methods(pattern.callback.view_class)
    ]


ENDPOINTS = team_scoped_endpoints()


ENDPOINT_IDS = [f"{method.upper()} {route}" for _name, route, method in ENDPOINTS]


# What an invited coach gets from each (url name, method): reads of what the team
# shares and comments; never a say in the decision, never the team's own pages.
# A new endpoint fails the matrix until it is classified here.
COACH_EXPECTS = {
    ("api-team", "get"): 404,
    ("api-team", "patch"): 404,
    ("api-team-proposals", "get"): 200,
    ("api-team-proposals", "post"): 403,
    ("api-team-decisions", "get"): 200,
    ("api-team-roles", "get"): 200,
    ("api-team-coach-accesses", "get"): 404,
    ("api-proposal", "get"): 200,
    ("api-proposal-comments", "post"): 201,
    ("api-proposal-consent", "post"): 403,
    ("api-proposal-object", "post"): 403,
    ("api-proposal-amend", "post"): 403,
    ("api-proposal-withdraw", "post"): 403,
    ("api-objection-withdraw", "post"): 403,
    # Invitations are the team's own business: coaches do not see them.
    ("api-team-invitations", "get"): 404,
    ("api-invitation-resend", "post"): 404,
    ("api-invitation-withdraw", "post"): 404,
}


def call(person, world, name: str, route: str, method: str):
    """Make a well-formed request to the endpoint, aimed at Noord's material: if the
    person were allowed, it would succeed and change something."""
    if route.startswith("teams/"):
        pk = world.noord.pk
    elif route.startswith("proposals/"):
        pk = world.proposal.pk
    elif route.startswith("objections/"):
        pk = world.objection.pk
    elif route.startswith("invitations/"):
        pk = world.invitation.pk
    else:
        pytest.fail(f"unclassified endpoint {route}: say what its <pk> is")
    bodies = {
        ("api-team", "patch"): {"phone": "0900 666"},
        ("api-team-proposals", "post"): proposal_body(),
        ("api-proposal-comments", "post"): {"body": "Is the car electric?", "kind": "question"},
        ("api-proposal-object", "post"): {"reason": "Not without a budget."},
        ("api-proposal-amend", "post"): {"title": "Shared car, insured by the team"},
    }
    if method != "get" and (name, method) not in bodies:
        assert (name, method) in {
            ("api-proposal-consent", "post"),
            ("api-proposal-withdraw", "post"),
            ("api-objection-withdraw", "post"),
            ("api-invitation-resend", "post"),
            ("api-invitation-withdraw", "post"),
        }, f"new write endpoint {method.upper()} {route}: give it a request body here"
    url = f"{API}/{route.replace('<id:pk>', str(pk))}"
    headers = {"If-Match": f'"{world.proposal.version if "proposal" in name else 1}"'}
    return getattr(api(person) if person else APIClient(), method)(
        url, bodies.get((name, method), {}), format="json", headers=headers
    )
