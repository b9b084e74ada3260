"""A coach's view of a team that invited them: roles, open proposals, decisions.

Coaches advise and never decide: they read what the team shares and comment on
proposals. Every read is logged by the selector, for the team to see.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from frontend.views.common import live, shared_team_or_404
from frontend.views.team import section_decisions, section_proposals, section_roles
from teams import access
from teams.http import PageRequest
from teams.models import Team
from teams.services import proposals as proposal_services


def _shared(team: Team) -> dict:
    return {
        "team": team,
        **section_roles(team),
        **section_proposals(team, members=[]),
        **section_decisions(team),
    }


@login_required
@require_GET
def shared_team(request: PageRequest, slug: str) -> HttpResponse:
    team = shared_team_or_404(request, slug, "shared page")
    if access.is_member(request.user, team):
        return redirect("team-home", slug=team.slug)
    proposal_services.proposals_close_due(team=team)
    with transaction.atomic():
        heads = live(team.shared_stream)
        context = _shared(team) | {"live": heads}
    return render(request, "frontend/shared.html", context)


@login_required
@require_GET
def shared_section(request: PageRequest, slug: str) -> HttpResponse:
    """The shared page's one live section, refreshed on every shared event."""
    team = shared_team_or_404(request, slug, "shared page (live update)")
    return render(request, "frontend/shared.html#shared", _shared(team))
