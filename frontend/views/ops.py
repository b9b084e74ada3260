"""The operator's area: the network, its teams, founding a new team, and inviting
another operator. The operator runs the service and has no say in any team: these
pages found and invite, and the audit records who asked and why.

Only operators (staff) reach it, and only with a two-factor sign-in; everyone else
gets 404, as for any page that is not theirs.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from frontend import writes
from teams import selectors
from teams.http import PageRequest
from teams.services import founding
from teams.services import invitations as service

FOUND_FIELDS = (
    "name",
    "slug",
    "town",
    "patch",
    "postcodes",
    "language",
    "time_zone",
    "founders",
    "asked_by",
    "why",
)


def two_factor_done(request: PageRequest) -> bool:
    """Whether this sign-in passed a second factor (django-otp's verified session);
    true where two-factor is not installed."""
    verified = getattr(request.user, "is_verified", None)
    return True if verified is None else bool(verified())


def operator_only(view):
    @login_required
    @wraps(view)
    def checked(request: PageRequest, *args, **kwargs):
        if not founding.is_operator(request.user):
            raise Http404("No such page.")
        if not two_factor_done(request):
            return render(request, "frontend/ops_two_factor.html", status=403)
        return view(request, *args, **kwargs)

    return checked


@operator_only
def ops_home(request: PageRequest) -> HttpResponse:
    context = selectors.network_overview()
    now = timezone.now()
    for row in context["waiting"]:
        row.state = row.status(now)
    return render(request, "frontend/ops.html", context)


@operator_only
@require_http_methods(["GET", "POST"])
def ops_team_found(request: PageRequest) -> HttpResponse:
    values: dict[str, Any] = dict.fromkeys(FOUND_FIELDS, "")
    values |= {"language": settings.LANGUAGE_CODE, "time_zone": settings.TIME_ZONE}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FOUND_FIELDS}
        outcome = writes.perform(
            lambda: founding.team_found(
                actor=request.user, **{**values, "founders": [values["founders"]]}
            ),
            done=lambda found: (
                f"Team {found[0].name} is founded; {len(found[1])} founding member"
                f"{'s were' if len(found[1]) != 1 else ' was'} invited by email."
            ),
        )
        if outcome.ok:
            return outcome.back(request, reverse("ops"))
        errors = outcome.errors
    context = {
        "values": values,
        "errors": errors,
        "languages": settings.LANGUAGES,
        "asked_by_limit": founding.ASKED_BY_LIMIT,
    }
    return render(request, "frontend/ops_team_found.html", context, status=400 if errors else 200)


@operator_only
@require_http_methods(["GET", "POST"])
def ops_operator_invite(request: PageRequest) -> HttpResponse:
    values = {"email": "", "why": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        outcome = writes.perform(
            lambda: founding.operator_invite(
                actor=request.user, email=values["email"], why=values["why"]
            ),
            done=f"{values['email']} was invited to be an operator.",
        )
        if outcome.ok:
            return outcome.back(request, reverse("ops"))
        errors = outcome.errors
    return render(
        request,
        "frontend/ops_operator.html",
        {"values": values, "errors": errors, "days": service.invitation_days()},
        status=400 if errors else 200,
    )
