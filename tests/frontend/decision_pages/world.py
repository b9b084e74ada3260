"""Pages of team decisions, as their tests meet them: helpers, the pages and forms of one
team and proposal.

Every page asks: may the person open it? (404 for everyone outside the team, coaches
only where the team shares with them), does bad input come back with the field named
and what was typed kept, and does the query count stay flat as decisions pile up."""

from __future__ import annotations

import datetime

from django.test import Client
from django.utils import timezone

from coordination.events import EventRecord
from teams.models import Comment, Proposal, Response, Team
from teams.services import proposals as proposal_services

SETTLE = proposal_services.SETTLE + datetime.timedelta(seconds=1)


TERM_ENDS = timezone.localdate() + datetime.timedelta(days=400)  # within a term's three years


def browser_as(person=None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def htmx(client: Client, method: str, url: str, data=None):
    return getattr(client, method)(url, data or {}, headers={"HX-Request": "true"})


def raise_(who, team, kind="general", payload=None, **extra) -> Proposal:
    fields = {"title": f"{kind} proposal", "purpose": "Because it helps."} | extra
    return proposal_services.proposal_raise(
        actor=who, team=team, kind=kind, payload=payload, **fields
    )


def snapshot() -> tuple:
    """What a refused request must leave exactly as it was."""
    return (
        list(Proposal.objects.values_list("pk", "status", "version", "title")),
        Response.objects.count(),
        Comment.objects.count(),
        EventRecord.objects.count(),
    )


def page_urls(team: Team, proposal: Proposal) -> list[str]:
    slug = team.slug
    return [
        f"/teams/{slug}/",
        *[f"/teams/{slug}/sections/{name}/" for name in ("proposals", "roles", "decisions")],
        f"/teams/{slug}/sections/members/",
        f"/teams/{slug}/sections/coaches/",
        f"/teams/{slug}/proposals/new/",
        f"/teams/{slug}/proposals/new/?kind=team_split",
        f"/teams/{slug}/decisions/",
        f"/teams/{slug}/decisions/?q=round",
        f"/teams/{slug}/roles/planner/",
        f"/teams/{slug}/coach-reads/",
        f"/proposals/{proposal.pk}/",
        f"/proposals/{proposal.pk}/part/state/",
        f"/proposals/{proposal.pk}/part/actions/",
    ]


def post_urls(team: Team, proposal: Proposal) -> list[tuple[str, dict]]:
    objection = Response.objects.filter(proposal=proposal).first()
    return [
        (f"/teams/{team.slug}/proposals/new/", {"kind": "general", "title": "x", "purpose": "y"}),
        (f"/proposals/{proposal.pk}/comment/", {"body": "Hello", "kind": "comment"}),
        (f"/proposals/{proposal.pk}/consent/", {}),
        (f"/proposals/{proposal.pk}/object/", {"reason": "No."}),
        (f"/proposals/{proposal.pk}/amend/", {"title": "Mine", "purpose": "p", "version": "1"}),
        (f"/proposals/{proposal.pk}/withdraw/", {}),
        (f"/proposals/{proposal.pk}/objections/{objection.pk}/withdraw/", {}),
        (f"/teams/{team.slug}/details/", {"phone": "999", "version": "1"}),
    ]
