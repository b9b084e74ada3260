"""My day: a team member's landing page. Her next visit first, with what she needs at
the door, then the rest of her day and what nobody in her teams has taken yet
(``care.selectors.day``). One tap opens the client's page (or, for a visit lent by
another team, the help visit's page); the board stays for the team's view.

"Done" opens the record sheet (``day_done``), as the board's "Finish…" does (it goes
back to the board, not to my day): the real times, prefilled with the plan's
or the tap's where the tap is a time the visit could have ended, the plan's lines for
the visit as ticks, who went when a colleague holds it, a note, and (folded) a
re-rating of the plan problems the visit serves. One tap saves it: two
taps from my day to a visit recorded, and the budget debited from the recorded times.

The day section re-reads itself on every visit or handover event of her teams' streams
(``kith:refresh``), from the heads read with the page, like the board.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from care.selectors import day as day_selectors
from care.selectors import records
from care.services import visits as visit_services
from coordination import events as log
from frontend import client_forms as cf
from frontend import writes
from frontend.views.common import found_or_404
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
    context = {"my": day, "my_team_ids": teams, "live": {"streams": heads}, "now": timezone.now()}
    if request.GET.get("part") == "day":
        return render(request, f"{TEMPLATE}#day", context)
    return render(request, TEMPLATE, context)


# --- recording a visit done: the sheet -------------------------------------------------------

SHEET = "frontend/day_done.html"


def _back(request: PageRequest, raw: str) -> str:
    """Where the sheet goes back to: the page it was opened from (the board sends its
    own address, with its day), when that is a page of this site; else my day."""
    if raw.startswith("/") and url_has_allowed_host_and_scheme(
        raw, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return raw
    return reverse("my-day")


def _sheet(
    request: PageRequest,
    visit,
    values: dict,
    back: str,
    outcome: writes.Outcome | None = None,
) -> HttpResponse:
    """The record-done sheet: inside my day for htmx, else a page of its own."""
    form = outcome.form(values) if outcome is not None else cf.fresh(values)
    planned = day_selectors.planned_for(request.user, visit)
    form["fields"] = cf.finish_fields(visit, form["values"], form["errors"], planned)
    problems = day_selectors.problems_to_rerate(request.user, visit, planned)
    if problems:
        anchors = records.anchors()
        form["ratings"] = cf.rating_fields(visit, form["values"], form["errors"], problems, anchors)
    context = {"visit": visit, "form": form, "back": back}
    template = f"{SHEET}#sheet" if request.htmx else SHEET
    return render(request, template, context, status=outcome.status if outcome else 200)


@login_required
@require_http_methods(["GET", "POST"])
def day_done(request: PageRequest, pk: int) -> HttpResponse:
    """Record a visit done from my day: the planned or tapped times, the plan's lines as
    ticks, a note; one tap saves (``visit_record``), once, whatever the retries."""
    visit = found_or_404(
        day_selectors.visit_to_record(request.user, pk), "No such visit of yours to record."
    )
    if request.method == "GET":
        back = _back(request, request.GET.get("back", ""))
        start, end = day_selectors.suggested_times(visit, timezone.now())
        return _sheet(request, visit, cf.finish_values(start=start, end=end), back)
    back = _back(request, request.POST.get("back", ""))
    values = cf.finish_values(request.POST)
    planned = day_selectors.planned_for(request.user, visit)
    outcome = writes.perform(
        lambda: visit_services.visit_record(
            actor=request.user,
            visit=visit,
            version=writes.version_from(request.POST),
            actual_start=cf.moment_or_none(values["actual_start"], "actual_start"),
            actual_end=cf.moment_or_none(values["actual_end"], "actual_end"),
            note=cf.finish_note(values),
            idempotency_key=values["idempotency_key"].strip() or None,
            **cf.recorded(values, planned),
        ),
        done=lambda v: (
            f"{v.client.display_name}: recorded done,"
            f" {timezone.localtime(v.actual_start):%H:%M}–{timezone.localtime(v.actual_end):%H:%M}."
        ),
        fields=values,
    )
    if outcome.ok:
        outcome.flash(request)  # said on the page the browser goes back to
        return HttpResponseClientRedirect(back) if request.htmx else redirect(back)
    values["version"] = request.POST.get("version", "")
    return _sheet(request, visit, values, back, outcome)
