"""My day: a team member's landing page. Her next visit first, with what she needs at
the door, then the rest of her day and what nobody in her teams has taken yet
(``care.selectors.day``). One tap opens the client's page (or, for a visit lent by
another team, the help visit's page); the board stays for the team's view.

The day section re-reads itself on every visit or handover event of her teams' streams
(``kith:refresh``), from the heads read with the page, like the board.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from care.selectors import day as day_selectors
from coordination import events as log
from teams.http import PageRequest

TEMPLATE = "frontend/my_day.html"


@login_required
@require_GET
def my_day(request: PageRequest) -> HttpResponse:
    with transaction.atomic():
        day = day_selectors.my_day(request.user, timezone.localdate())
        if not day.teams:
            raise Http404("My day is for members of a team.")
        heads = log.heads([team.stream for team in day.teams])
    teams = {team.pk for team in day.teams}
    context = {"my": day, "my_team_ids": teams, "live": {"streams": heads}}
    if request.GET.get("part") == "day":
        return render(request, f"{TEMPLATE}#day", context)
    return render(request, TEMPLATE, context)
