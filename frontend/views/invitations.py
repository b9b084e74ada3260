"""Invitations: the page a link in the mail opens, and a team's list of the
invitations it sent (resend, withdraw).

The invitee has no account yet: the page is open to anyone holding the link, shows
what the invitation is for and asks for a name, a username and a password; an
address with an account signs in and accepts. Accepting signs the person in and
lands on their home page.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from frontend import writes
from frontend.views.common import found_or_404, team_or_404
from teams import access as team_access
from teams import selectors
from teams.http import PageRequest
from teams.models import Invitation, Person
from teams.services import invitations as service

SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"
ACCOUNT_FIELDS = ("first_name", "last_name", "username", "password")


def _suggested_username(email: str) -> str:
    local = email.split("@", 1)[0]
    return "".join(c for c in local.lower() if c.isalnum() or c in "._-")[:30]


@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = service.invitation_from_link(token)
    except service.LinkNotValid as exc:
        status = 404 if exc.invitation is None else 410
        return render(request, "frontend/invitation.html", {"problem": exc.message}, status=status)
    account = service.account_for(invitation.email)
    # Open to anyone with the link: a signed-in person accepts as themself.
    person = request.user if isinstance(request.user, Person) else None
    signed_in = person is not None
    values = {"username": _suggested_username(invitation.email), "first_name": "", "last_name": ""}
    if invitation.name:
        first, _, last = invitation.name.partition(" ")
        values |= {"first_name": first, "last_name": last}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in ACCOUNT_FIELDS if name != "password"}
        details = {name: request.POST.get(name, "") for name in ACCOUNT_FIELDS}
        if not signed_in and request.POST.get("password", "") != request.POST.get("password2", ""):
            errors["password2"] = ["The two passwords differ."]
        else:
            what = service.describe(invitation)
            try:
                outcome = writes.perform(
                    lambda: service.invitation_accept(
                        token=token,
                        person=person,
                        details=details,
                    ),
                    done=f"Welcome to Kith: you accepted the invitation {what}.",
                )
            except service.LinkNotValid as exc:  # used or withdrawn meanwhile: 410
                return render(
                    request, "frontend/invitation.html", {"problem": exc.message}, status=410
                )
            if outcome.ok:
                accepted, person, _ = outcome.result
                if not signed_in:
                    login(request, person, backend=SIGN_IN_BACKEND)
                # Someone who joins a team by it meets the team first; anyone else, home.
                team = accepted.team
                if team is not None and team_access.is_member(person, team):
                    return outcome.back(request, reverse("team-home", args=[team.slug]))
                return outcome.back(request, reverse("home"))
            errors = outcome.errors
    context = {
        "invitation": invitation,
        "what": service.describe(invitation),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
        "account": account,
        "is_theirs": signed_in and account is not None and account.pk == request.user.pk,
        "values": values,
        "errors": errors,
        "sign_in": f"{reverse('login')}?next={request.path}",
    }
    return render(request, "frontend/invitation.html", context, status=400 if errors else 200)


# --- a team's invitations ------------------------------------------------------------


@login_required
def team_invitations(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    rows = list(selectors.invitations_of(team))
    now = timezone.now()
    for row in rows:
        row.state = row.status(now)
        row.what = service.describe(row) if row.state in {"open", "expired"} else ""
    context = {"team": team, "invitations": rows, "days": service.invitation_days()}
    return render(request, "frontend/team_invitations.html", context)


def _invitation_or_404(request: PageRequest, pk: int) -> Invitation:
    invitation = selectors.invitation_by_id(pk)
    if invitation is None or not service.may_manage(request.user, invitation):
        raise Http404("No such invitation among yours.")
    return invitation


@login_required
@require_POST
def invitation_action(request: PageRequest, pk: int, action: str) -> HttpResponse:
    invitation = _invitation_or_404(request, pk)
    back = request.POST.get("next") or (
        reverse("team-invitations", args=[invitation.team.slug]) if invitation.team else "/"
    )
    if not back.startswith("/") or back.startswith("//"):
        back = "/"
    actions = {
        "resend": (service.invitation_resend, f"Invitation sent again to {invitation.email}."),
        "withdraw": (service.invitation_withdraw, f"Invitation to {invitation.email} withdrawn."),
    }
    act, words = found_or_404(actions.get(action), "No such action.")
    outcome = writes.perform(lambda: act(actor=request.user, invitation=invitation), done=words)
    return outcome.back(request, back)
