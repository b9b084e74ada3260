"""Help across teams: the network's requests for help (/help/), the team's own requests
and its form to ask on the board, and the helper's view of a visit lent to them.

The help page is a snapshot read with the "help" stream's head (one transaction); its
socket resumes from that head and the list re-reads itself on each ``help.*`` event.
Other teams see when, how long, the area and the skills of a request, never who the
client is; the helper sees the client's name, address and what the visit needs only
through the granted view, and every read of it is in the client's access log.

Actions post to small views that call the services and answer with the section they
came from (htmx) or go back to its page (no JavaScript), with what happened or why
not: a lost race is a 409 naming it, bad input a 400, a refusal a 403. Skills asked
for and an offer's note go to another team: when the privacy check holds one
(``coordination.privacy``), its form comes back (400) with what was typed and the
reasons beside it, on the page itself, never through a redirect that would lose it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from care.selectors import grants as care_grants
from care.services import visits as visit_services
from coordination import access
from coordination import selectors as help_selectors
from coordination.events.streams import HELP_STREAM
from coordination.models import HelpOffer
from coordination.services import help as help_services
from frontend import writes
from frontend.views.common import Held, confirmed_overlap, found_or_404, live, team_or_404
from teams.http import PageRequest
from teams.models import Team

PAGE = "frontend/help.html"
BOARD_PART = "frontend/_help_board.html"
ASK_PAGE = "frontend/help_ask.html"
VISIT_PAGE = "frontend/help_visit.html"
LENT_ONLY = "No such visit among those you help with."


def _network_member_or_404(request: PageRequest) -> None:
    if not access.is_network_member(request.user):
        raise Http404("The requests for help are for members of a team.")


# --- the network's requests -------------------------------------------------------------


def _list_context(request: PageRequest) -> dict:
    return {"requests": help_selectors.help_board(request.user)}


@login_required
@require_GET
def help_page(request: PageRequest) -> HttpResponse:
    _network_member_or_404(request)
    if request.htmx and request.GET.get("part") == "list":
        return render(request, f"{PAGE}#list", _list_context(request))
    return _whole_page(request)


def _whole_page(request: PageRequest, status: int = 200, **given) -> HttpResponse:
    with transaction.atomic():
        # The head first, inside the snapshot's transaction: nothing is missed or doubled.
        heads = live(HELP_STREAM)
        context = _list_context(request)
    context.update(live=heads, helping=care_grants.visits_helped_by(request.user), **given)
    return render(request, PAGE, context, status=status)


def _answer_list(request: PageRequest, outcome: writes.Outcome) -> HttpResponse:
    if not request.htmx:
        return outcome.back(request, reverse("help"))
    context = _list_context(request) | {
        "flash": outcome.done or None,
        "problem": outcome.problem or None,
    }
    return render(request, f"{PAGE}#list", context, status=outcome.status)


def _held_offer(request: PageRequest, pk: int, held: Held) -> HttpResponse:
    """The list (htmx) or the whole page, the held offer's form open with its note."""
    held_offer = {"request": pk, "held": held}
    if request.htmx:
        context = _list_context(request) | {"held_offer": held_offer}
        return render(request, f"{PAGE}#list", context, status=400)
    return _whole_page(request, status=400, held_offer=held_offer)


@login_required
@require_POST
def help_offer(request: PageRequest, pk: int) -> HttpResponse:
    """Offer to take another team's visits."""
    found = help_selectors.help_request_for(request.user, pk)
    if found is None:
        raise Http404("No such request for help.")
    note = request.POST.get("note", "")
    outcome = writes.perform(
        lambda: help_services.help_offer_make(
            actor=request.user,
            request=found,
            version=writes.version_from(request.POST),
            note=note,
            confirm_no_client_data=request.POST.get("confirm_no_client_data") == "on",
            confirm_overlap=confirmed_overlap(request),
        ),
        done=f"You offered to help team {found.team.name}: they will answer here.",
        fields=("overlap",),
    )
    if outcome.held:
        return _held_offer(request, found.pk, Held(note, outcome.held))
    if outcome.errors.get("overlap"):
        # The form again, open, with the clash and the box to offer anyway.
        clash = {"request": found.pk, "words": outcome.errors["overlap"], "note": note}
        if request.htmx:
            context = _list_context(request) | {"overlap_offer": clash}
            return render(request, f"{PAGE}#list", context, status=400)
        return _whole_page(request, status=400, overlap_offer=clash)
    return _answer_list(request, outcome)


# --- the team's own requests, on its board ----------------------------------------------


def help_board_context(request: PageRequest, team: Team) -> dict:
    """What the board's help section needs: the team's requests and what it may still
    ask for, and the visits the person helps other teams with."""
    return {
        "help": help_selectors.team_help(team),
        "helping": care_grants.visits_helped_by(request.user),
    }


def _answer_board(request: PageRequest, team: Team, outcome: writes.Outcome) -> HttpResponse:
    if not request.htmx:
        return outcome.back(request, reverse("team-board", args=[team.slug]))
    context = {"team": team, **help_board_context(request, team)}
    context.update(help_flash=outcome.done or None, help_problem=outcome.problem or None)
    return render(request, BOARD_PART, context, status=outcome.status)


def _chosen_visits(request: PageRequest) -> list[int]:
    raw = request.POST.getlist("visits")
    if not raw or not all(v.isdecimal() for v in raw):
        raise ValidationError({"visits": ["Choose the visits you need help with."]})
    return [int(v) for v in raw]


@login_required
@require_http_methods(["GET", "POST"])
def team_help(request: PageRequest, slug: str) -> HttpResponse:
    """GET: the board's help section alone (its live refresh). POST: ask for help."""
    team = team_or_404(request, slug)
    if request.method == "GET":
        context = {"team": team, **help_board_context(request, team)}
        return render(request, BOARD_PART, context)
    skills = request.POST.get("skills", "")
    outcome = writes.perform(
        lambda: help_services.help_request_raise(
            actor=request.user,
            team=team,
            visits=_chosen_visits(request),
            skills=skills,
            note=request.POST.get("note", ""),
            confirm_no_client_data=request.POST.get("confirm_no_client_data") == "on",
        ),
        done="Other teams can see your request now.",
    )
    if outcome.held:
        # The form again, open, as it was filled in; without JavaScript on a page of
        # its own (the board's page cannot be rebuilt from here).
        context = {"team": team, **help_board_context(request, team)}
        context["help_held"] = {
            "held": Held(skills, outcome.held),
            "visits": request.POST.getlist("visits"),
            "note": request.POST.get("note", ""),
        }
        return render(request, BOARD_PART if request.htmx else ASK_PAGE, context, status=400)
    return _answer_board(request, team, outcome)


@login_required
@require_POST
def help_request_withdraw(request: PageRequest, pk: int) -> HttpResponse:
    found = help_selectors.help_request_for(request.user, pk)
    if found is None or not access.can_ask_for_help(request.user, found.team_id):
        raise Http404("No such request among your team's.")
    outcome = writes.perform(
        lambda: help_services.help_request_withdraw(
            actor=request.user, request=found, version=writes.version_from(request.POST)
        ),
        done="Request withdrawn.",
    )
    return _answer_board(request, found.team, outcome)


@login_required
@require_POST
def help_offer_action(request: PageRequest, pk: int, action: str) -> HttpResponse:
    """Accept or decline an offer (the asking team, on its board); withdraw one's own
    offer (the helper, on the help page)."""
    offer = help_selectors.help_offer_for(request.user, pk)
    if offer is None or action not in {"accept", "decline", "withdraw"}:
        raise Http404("No such offer among yours.")
    helper = offer.person.display_name
    calls: dict[str, tuple[Callable[..., HelpOffer], dict[str, Any], str]] = {
        "withdraw": (help_services.help_offer_withdraw, {}, "Offer withdrawn."),
        "accept": (
            help_services.help_offer_accept,
            {"confirm_overlap": confirmed_overlap(request)},
            f"{helper} has the visits now and sees what they need.",
        ),
        "decline": (
            help_services.help_offer_decline,
            {"reason": request.POST.get("reason", "")},
            f"You declined {helper}'s offer.",
        ),
    }
    service, more, done = calls[action]
    outcome = writes.perform(
        lambda: service(
            actor=request.user, offer=offer, version=writes.version_from(request.POST), **more
        ),
        done=done,
        fields=("overlap",),
    )
    if action == "withdraw":
        return _answer_list(request, outcome)
    team = offer.request.team
    if outcome.errors.get("overlap"):
        # The helper took a clashing visit since offering: the clash beside the offer,
        # with the box to accept anyway; without JavaScript on the board's page.
        clash = {"offer": offer.pk, "words": outcome.errors["overlap"]}
        if request.htmx:
            context = {"team": team, **help_board_context(request, team), "help_overlap": clash}
            return render(request, BOARD_PART, context, status=400)
        from frontend.views import board  # the board's page includes this section

        day, week = board.board_day(request)
        return board.render_board(request, team, day, week, status=400, help_overlap=clash)
    return _answer_board(request, team, outcome)


# --- the helper's view of a visit lent to them --------------------------------------------


@login_required
@require_GET
def granted_visit_page(request: PageRequest, pk: int) -> HttpResponse:
    granted = found_or_404(care_grants.granted_visit(request.user, pk), LENT_ONLY)
    return render(request, VISIT_PAGE, {"granted": granted, "now": timezone.now()})


@login_required
@require_POST
def granted_visit_action(request: PageRequest, pk: int, action: str) -> HttpResponse:
    visit = care_grants.lent_visit(request.user, pk) if action in {"start", "finish"} else None
    visit = found_or_404(visit, LENT_ONLY)
    team = visit.client.team.name
    if action == "start":
        outcome = writes.perform(
            lambda: visit_services.visit_start(
                actor=request.user,
                visit=visit,
                version=writes.version_from(request.POST),
                reason=request.POST.get("reason", ""),
            ),
            done="Visit started.",
        )
        target = reverse("help-visit", args=[pk])
    else:
        outcome = writes.perform(
            lambda: visit_services.visit_finish(
                actor=request.user,
                visit=visit,
                version=writes.version_from(request.POST),
                note=request.POST.get("note", ""),
                idempotency_key=request.POST.get("key") or None,
            ),
            done=f"Visit recorded as done. Thank you for helping team {team}.",
        )
        # Done: the visit is no longer the helper's to see.
        target = reverse("help") if outcome.ok else reverse("help-visit", args=[pk])
    return outcome.back(request, target)
