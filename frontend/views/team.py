"""A team's own pages: home (with its live sections), details, activity, the decision
log, role history and the coach access log."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from care.selectors import continuity, records
from coordination import presence
from frontend import present, writes
from frontend.views.common import (
    ACTIVITY_LENGTH,
    activity_lines,
    activity_names,
    found_or_404,
    live,
    shared_team_or_404,
    team_or_404,
)
from teams import access, selectors
from teams.http import PageRequest
from teams.models import Team
from teams.services import details as detail_services
from teams.services import proposals as proposal_services

RECENT_DECISIONS = 5
DECISION_LOG_LENGTH = 100


@login_required
def home(request: PageRequest) -> HttpResponse:
    if selectors.teams_of(request.user).exists():
        return redirect("my-day")  # a member's day starts with her next visit
    coached = list(selectors.coached_teams(request.user))
    # Clients, their representatives and their network: the records they may open.
    context = {"coached": coached, "records": records.records_of(request.user)}
    return render(request, "frontend/home.html", context)


# --- the sections of the team home, each also served alone for its live refresh ----------


def _size_notice(team: Team, count: int) -> dict | None:
    if count <= team.size_norm:
        return None
    return {"count": count, "over": count - team.size_norm, "norm": team.size_norm}


def _members(team: Team) -> list:
    return list(selectors.current_members(team))


def section_proposals(team: Team, members=None) -> dict:
    members = _members(team) if members is None else members
    return {
        "open_proposals": present.with_status(selectors.proposals_of(team, status="open")),
        "size_notice": _size_notice(team, len(members)),
    }


def section_roles(team: Team) -> dict:
    return {"roles": selectors.roles_of(team)}


def section_decisions(team: Team) -> dict:
    recent = selectors.decisions_of(team)[:RECENT_DECISIONS]
    return {"recent_decisions": present.as_decisions(recent)}


def section_members(team: Team) -> dict:
    return {"members": _members(team)}


def section_around(team: Team, members=None) -> dict:
    return {"around": presence.who_is_around(team, _members(team) if members is None else members)}


def section_clients(team: Team) -> dict:
    return {"continuity": continuity.team_continuity(team)}


def section_coaches(team: Team) -> dict:
    return {"coach_terms": [t for t in selectors.coach_terms_of(team) if t.ended is None]}


SECTIONS = {
    "proposals": section_proposals,
    "roles": section_roles,
    "decisions": section_decisions,
    "members": section_members,
    "coaches": section_coaches,
    "clients": section_clients,
    "around": section_around,
}


def _team_page(request: PageRequest, team: Team, status: int = 200, **extra) -> HttpResponse:
    # State and stream heads are read together: the page resumes its socket from these
    # heads, so nothing published after this read is missed.
    with transaction.atomic():
        heads = live(team.stream)
        members = _members(team)
        context = {
            "team": team,
            "live": heads,
            "form": {"values": detail_services.team_state(team), "errors": {}},
            "members": members,
            **section_proposals(team, members),
            **section_roles(team),
            **section_decisions(team),
            **section_coaches(team),
            **section_clients(team),
            **section_around(team, members),
        }
        recent = selectors.proposals_of(team, limit=ACTIVITY_LENGTH)
        names = activity_names(
            team,
            members,
            context["roles"],
            [*recent, *context["open_proposals"], *context["recent_decisions"]],
            context["coach_terms"],
        )
        context["activity"] = activity_lines(team, names, heads["streams"][team.stream])
        context.update(extra)
    return render(request, "frontend/team_home.html", context, status=status)


@login_required
@require_GET
def team_home(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    # Proposals whose window closed are settled when the team looks (besides the tick).
    proposal_services.proposals_close_due(team=team)
    return _team_page(request, team)


@login_required
@require_GET
def team_section(request: PageRequest, slug: str, name: str) -> HttpResponse:
    builder = found_or_404(SECTIONS.get(name), "No such section.")
    team = team_or_404(request, slug)
    context = {"team": team, **builder(team)}
    return render(request, f"frontend/team_home.html#{name}", context)


@login_required
@require_http_methods(["GET", "POST"])
def team_details(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    template = "frontend/team_home.html#details"
    if request.method == "GET":
        editing = request.GET.get("edit") == "1"
        form: dict[str, Any] = {"values": detail_services.team_state(team), "errors": {}}
        if not request.htmx:  # "Edit details" followed without JavaScript: the whole page
            return _team_page(request, team, form=form, editing=editing)
        return render(request, template, {"team": team, "form": form, "editing": editing})
    values = {name: request.POST.get(name, "") for name in detail_services.TEAM_DETAIL_FIELDS}
    outcome = writes.perform(
        lambda: detail_services.team_update_details(
            actor=request.user, team=team, version=writes.version_from(request.POST), **values
        ),
        fields=values,
    )
    status = outcome.status
    if outcome.ok:
        if not request.htmx:
            return redirect("team-home", slug=team.slug)
        form = {"values": detail_services.team_state(outcome.result), "errors": {}, "saved": True}
    else:
        # Keep what the person typed; on a conflict show what changed meanwhile, and the
        # next save carries the current version, so it is a deliberate overwrite.
        form = outcome.form({**values, "version": request.POST.get("version", "")})
    editing = status != 200
    context = {"team": team, "form": form, "editing": editing}
    if not request.htmx and status != 200:
        return _team_page(request, team, status, form=form, editing=editing)
    return render(request, template, context, status=status)


@login_required
@require_GET
def team_activity(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    members = _members(team)
    roles = selectors.roles_of(team)
    proposals = [
        *selectors.proposals_of(team, limit=ACTIVITY_LENGTH),
        *selectors.proposals_of(team, status="open"),
    ]
    names = activity_names(team, members, roles, proposals, selectors.coach_terms_of(team))
    context = {"team": team, "activity": activity_lines(team, names)}
    return render(request, "frontend/team_home.html#activity", context)


# --- decisions, roles, coach reads ------------------------------------------------------------


@login_required
@require_GET
def decision_log(request: PageRequest, slug: str) -> HttpResponse:
    team = shared_team_or_404(request, slug, "decision log")
    proposal_services.proposals_close_due(team=team)
    query = request.GET.get("q", "").strip()[:200]
    member = access.is_member(request.user, team)
    with transaction.atomic():
        heads = live(team.stream if member else team.shared_stream)
        found = list(selectors.decisions_of(team, search=query)[: DECISION_LOG_LENGTH + 1])
    more = len(found) > DECISION_LOG_LENGTH
    decisions = present.as_decisions(found[:DECISION_LOG_LENGTH])
    context = {
        "team": team,
        "query": query,
        "decisions": decisions,
        "more": more,
        "live": heads,
        "is_member": member,
    }
    if request.htmx:
        return render(request, "frontend/decisions.html#results", context)
    return render(request, "frontend/decisions.html", context)


@login_required
@require_GET
def role_history(request: PageRequest, slug: str, key: str) -> HttpResponse:
    team = shared_team_or_404(request, slug, "")  # logged below, once the role is found
    role = next((r for r in selectors.roles_of(team) if r.key == key), None)
    if role is None:
        # Nothing was read: a made-up address writes nothing into the team's log.
        raise Http404("No such role in this team.")
    selectors.log_coach_access(request.user, team, f"role {role.key}")
    context = {"team": team, "role": role, "is_member": access.is_member(request.user, team)}
    return render(request, "frontend/role.html", context)


@login_required
@require_GET
def coach_reads(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    context = {
        "team": team,
        "accesses": list(selectors.coach_accesses_of(team)),
        "coach_terms": section_coaches(team)["coach_terms"],
    }
    return render(request, "frontend/coach_reads.html", context)
