"""Pages: read through selectors, write through services, decide through access."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from coordination import events as log
from frontend import activity
from teams import selectors, services
from teams.errors import Conflict
from teams.models import Team

ACTIVITY_LENGTH = 20


@login_required
def home(request: HttpRequest) -> HttpResponse:
    teams = list(selectors.teams_of(request.user))
    if len(teams) == 1:
        return redirect("team-home", slug=teams[0].slug)
    return render(request, "frontend/home.html", {"teams": teams})


def _team_or_404(request: HttpRequest, slug: str) -> Team:
    team = selectors.team_for(request.user, slug=slug)
    if team is None:
        raise Http404("No such team among yours.")
    return team


def _activity(team: Team, people: dict[int, str]) -> list[dict]:
    stream = team.stream
    head = log.head(stream)
    records = log.read(stream, after=max(0, head - ACTIVITY_LENGTH), limit=ACTIVITY_LENGTH)
    return list(reversed(activity.lines(records, people)))


def _team_page(request: HttpRequest, team: Team, status: int = 200, **extra) -> HttpResponse:
    # State and stream heads are read together: the page resumes its socket from these
    # heads, so nothing published after this read is missed.
    with transaction.atomic():
        heads = log.heads([team.stream])
        members = list(selectors.current_members(team))
        people = {m.person_id: m.person.display_name for m in members}
        context = {
            "team": team,
            "members": members,
            "activity": _activity(team, people),
            "live": {"streams": heads},
            "form": {"values": services.team_state(team), "errors": {}},
            **extra,
        }
    return render(request, "frontend/team_home.html", context, status=status)


@login_required
def team_home(request: HttpRequest, slug: str) -> HttpResponse:
    return _team_page(request, _team_or_404(request, slug))


@login_required
@require_http_methods(["GET", "POST"])
def team_details(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team_or_404(request, slug)
    template = "frontend/team_home.html#details"
    if request.method == "GET":
        editing = request.GET.get("edit") == "1"
        form = {"values": services.team_state(team), "errors": {}}
        return render(request, template, {"team": team, "form": form, "editing": editing})
    values = {name: request.POST.get(name, "") for name in services.TEAM_DETAIL_FIELDS}
    version_raw = request.POST.get("version", "")
    form = {"values": {**values, "version": version_raw}, "errors": {}}
    status = 200
    try:
        if not version_raw.isdigit():
            raise ValidationError({"version": ["The form is out of date: reload the page."]})
        team = services.team_update_details(
            actor=request.user, team=team, version=int(version_raw), **values
        )
    except ValidationError as exc:
        form["errors"] = exc.message_dict
        status = 400
    except Conflict as exc:
        # Keep what the person typed; show what changed meanwhile; the next save
        # carries the current version, so it is a deliberate overwrite.
        form = {
            "values": {**values, "version": exc.current["version"]},
            "errors": {},
            "conflict": exc.message,
            "current": exc.current,
        }
        status = 409
    else:
        if not request.htmx:
            return redirect("team-home", slug=team.slug)
        form = {"values": services.team_state(team), "errors": {}, "saved": True}
    editing = status != 200
    context = {"team": team, "form": form, "editing": editing}
    if not request.htmx and status != 200:
        return _team_page(request, team, status, form=form, editing=editing)
    return render(request, template, context, status=status)


@login_required
def team_activity(request: HttpRequest, slug: str) -> HttpResponse:
    team = _team_or_404(request, slug)
    people = {m.person_id: m.person.display_name for m in selectors.current_members(team)}
    return render(
        request,
        "frontend/team_home.html#activity",
        {"team": team, "activity": _activity(team, people)},
    )
