"""Raising a proposal: choose a kind of decision, then its form.

Without JavaScript a raised proposal redirects to its page; with htmx the browser is
told to go there (HX-Redirect). Refused input comes back with the service's field
messages and everything typed, status 400; so does a text the team's coaches would
read that seems to identify a client (``teams.texts``), with the reasons beside it
and, when every reason allows it, the box to confirm it (``frontend/_held.html``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from coordination.privacy import CONFIRM
from frontend import client_forms as cf
from frontend import forms, writes
from frontend.views.common import team_or_404
from teams import decisions
from teams.http import PageRequest
from teams.services import proposals as proposal_services

TEMPLATE = "frontend/proposal_new.html"
RAISED = "Your proposal is raised. Raising it is consenting to it."


@login_required
@require_http_methods(["GET", "POST"])
def proposal_new(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    data = request.POST if request.method == "POST" else request.GET
    key = data.get("kind", "")
    kind = decisions.get(key)
    context: dict = {"team": team, "kinds": forms.kind_choices()}
    if kind is None:
        status = 400 if request.method == "POST" or key else 200
        if key:
            context["error"] = "Choose one of these kinds of decision."
        return render(request, TEMPLATE, context, status=status)
    outcome: writes.Outcome = writes.Outcome()
    notice = ""
    if request.method == "GET":
        values = forms.initial_values(team, kind, request.GET)
    else:
        values = forms.values_from_post(team, kind, request.POST)
        # A split's clients are suggested again first when asked, or when who moves
        # changed since they were shown: nothing is raised until the person saw them.
        values, notice = forms.split_refresh(team, kind, values, request.POST)
    if notice:
        context["notice"] = notice
    elif request.method == "POST":
        outcome = writes.perform(
            lambda: proposal_services.proposal_raise(
                actor=request.user,
                team=team,
                kind=key,
                title=values["title"],
                purpose=values["purpose"],
                details=values["details"],
                payload=forms.payload_from_values(kind, values),
                window=forms.window_from(values["window_hours"]),
                review_date=cf.date_or_none(values["review_date"], "review_date"),
                confirm_no_client_data=request.POST.get(CONFIRM) == "on",
            ),
            done=RAISED,
            fields=values,
        )
        if outcome.ok:
            url = reverse("proposal", args=[outcome.result.pk])
            outcome.flash(request)
            return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    errors = {name: found for name, found in outcome.errors.items() if name != "__all__"}
    context |= {
        "kind": kind,
        "values": values,
        "problem": "" if outcome.held else outcome.problem,
        "errors": errors,
        "held": outcome.held,
        "fields": forms.arrange(
            forms.common_fields(values, errors), forms.kind_fields(team, kind, values, errors)
        ),
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#form", context, status=outcome.status)
    return render(request, TEMPLATE, context, status=outcome.status)
