"""A proposal's page and its forms.

Every form posts to its own address: without JavaScript the answer is a redirect
back to the page (or the page again with the messages, status 400/403/409); with
htmx it is the ``proposal`` partial, swapped in place, with the same status.

The team's invited coaches read what these forms write (amendments, objections,
comments): a text that seems to identify a client is held (``teams.texts``) and its
form comes back (400) as typed, with the reasons beside it and, when every reason
allows it, the box to confirm it (``frontend/_held.html``), never a redirect that
would lose it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from care import split as care_split
from coordination.privacy import CONFIRM
from frontend import forms, present, writes
from frontend.views.common import found_or_404, live, stream_for
from teams import access, decisions, selectors
from teams.http import PageRequest
from teams.models import Proposal
from teams.services import proposals as proposal_services

TEMPLATE = "frontend/proposal.html"
LIVE_PARTS = {"state", "actions"}


def _proposal_or_404(request: PageRequest, pk: int, *, log: bool = True) -> Proposal:
    """The proposal if the person may see it. A coach's read is logged for the team;
    ``log=False`` re-reads what this same request already logged."""
    proposal = selectors.proposal_for(request.user, pk, log=log)
    return found_or_404(proposal, "No such proposal among your teams'.")


def _settled(request: PageRequest, pk: int) -> Proposal:
    """The proposal, after settling any of its team's proposals whose window closed."""
    proposal = _proposal_or_404(request, pk)
    if proposal_services.proposals_close_due(team=proposal.team):
        proposal = _proposal_or_404(request, pk, log=False)
    return proposal


def _amend_form(proposal: Proposal, values: dict, errors: dict, **extra) -> dict:
    kind = decisions.of(proposal)
    return {
        "values": values,
        "errors": errors,
        "fields": forms.arrange(
            forms.common_fields(values, errors, raising=False),
            forms.kind_fields(proposal.team, kind, values, errors),
        ),
        **extra,
    }


def _by_field(outcome: writes.Outcome) -> dict[str, list[str]]:
    """A refused form's messages at its fields (the rest are the outcome's problem)."""
    return {name: found for name, found in outcome.errors.items() if name != "__all__"}


def _context(request: PageRequest, proposal: Proposal, **given) -> dict:
    user = request.user
    team = proposal.team
    member = access.can_take_part(user, team)
    responses = list(proposal.responses.all())
    current = [r for r in responses if r.revision == proposal.revision]
    earlier = sorted(
        (r for r in responses if r.revision != proposal.revision),
        key=lambda r: (-r.revision, r.at),
    )
    mine = next((r for r in current if r.person_id == user.pk), None)
    shown = present.status_of(proposal)
    is_open = proposal.status == Proposal.Status.OPEN
    is_author = member and proposal.author_id == user.pk
    names = present.Names(team)
    context = {
        "team": team,
        "proposal": proposal,
        "kind_label": present.kind_label(proposal.kind),
        "shown": shown,
        "summary": present.payload_summary(proposal.kind, proposal.payload, names),
        "current_responses": current,
        "earlier_responses": earlier,
        "comments": list(proposal.comments.all()),
        "mine": mine,
        "member": member,
        "can_comment": access.can_comment(user, team),
        "is_author": is_author,
        "is_open": is_open,
        "comment_form": {"values": {"body": "", "kind": "comment"}, "errors": {}},
        # Changing one's objection starts from its words.
        "object_form": {"values": {"reason": mine.reason if mine else ""}, "errors": {}},
        "back": reverse("team-home" if member else "shared-team", args=[team.slug]),
        **given,
    }
    clients = forms.split_clients_field(decisions.get(proposal.kind))
    if clients is not None:
        context |= _split_clients(proposal, clients.name, member)
    if is_author and is_open and "amend_form" not in given:
        context["amend_form"] = _amend_form(proposal, forms.values_from_proposal(proposal), {})
    return context


def _split_clients(proposal: Proposal, name: str, member: bool) -> dict:
    """Which clients a split moves: named for the team's members, counted for coaches
    (who never see client records)."""
    ids = (proposal.payload or {}).get(name)
    if ids is None:  # raised before clients followed a split
        return {}
    named = care_split.clients_named(proposal.team, ids) if member else []
    return {"split_client_count": len(ids), "split_clients": named}


def _page(request: PageRequest, team, pk: int, status: int = 200, **given) -> HttpResponse:
    # The stream head first, then the state: whatever is published after the head was
    # read reaches the page through its socket, so nothing in between is missed.
    with transaction.atomic():
        heads = live(stream_for(request, team))
        proposal = _proposal_or_404(request, pk, log=False)
        context = _context(request, proposal, live=heads, **given)
    return render(request, TEMPLATE, context, status=status)


def _answer(request: PageRequest, team, pk: int, status: int, given: dict) -> HttpResponse:
    """After a write that did not redirect: the ``proposal`` partial for htmx, else the
    whole page, with the write's status and its messages."""
    if request.htmx:
        context = _context(request, _proposal_or_404(request, pk, log=False), **given)
        return render(request, f"{TEMPLATE}#proposal", context, status=status)
    return _page(request, team, pk, status, **given)


@login_required
@require_GET
def proposal_page(request: PageRequest, pk: int) -> HttpResponse:
    proposal = _settled(request, pk)
    return _page(request, proposal.team, pk)


@login_required
@require_GET
def proposal_part(request: PageRequest, pk: int, part: str) -> HttpResponse:
    """The live sections of the page, for their kith:refresh."""
    if part not in LIVE_PARTS:
        raise Http404("No such part.")
    proposal = _proposal_or_404(request, pk)
    context = _context(request, proposal)
    return render(request, f"{TEMPLATE}#{part}", context)


def _act(
    request: PageRequest,
    pk: int,
    do: Callable[[Proposal], object],
    *,
    done: str,
    form: str | None = None,
    values: dict | None = None,
) -> HttpResponse:
    """Run one write; answer with a redirect, or the page/partial and its status."""
    proposal = _settled(request, pk)
    outcome = writes.perform(lambda: do(proposal), done=done, fields=values or ())
    if outcome.ok and not request.htmx:
        return outcome.back(request, reverse("proposal", args=[pk]))
    given: dict = {"flash": outcome.done} if outcome.ok else {}
    if not outcome.ok and not outcome.held:
        given["error"] = outcome.problem
    if form and outcome.status == 400:
        given[form] = {"values": values or {}, "errors": _by_field(outcome)}
        if outcome.held:
            given[form]["held"] = outcome.held
    if form and not outcome.ok:
        given["editing"] = form  # the live refresh leaves a form with messages alone
    return _answer(request, proposal.team, pk, outcome.status, given)


@login_required
@require_POST
def proposal_comment(request: PageRequest, pk: int) -> HttpResponse:
    values = {"body": request.POST.get("body", ""), "kind": request.POST.get("kind", "comment")}
    confirmed = request.POST.get(CONFIRM) == "on"

    def do(proposal):
        proposal_services.proposal_comment(
            actor=request.user, proposal=proposal, confirm_no_client_data=confirmed, **values
        )

    done = "Your question is posted." if values["kind"] == "question" else "Your comment is posted."
    return _act(request, pk, do, done=done, form="comment_form", values=values)


@login_required
@require_POST
def proposal_consent(request: PageRequest, pk: int) -> HttpResponse:
    arrived = timezone.now()

    def do(proposal):
        proposal_services.proposal_consent(actor=request.user, proposal=proposal, at=arrived)

    return _act(request, pk, do, done="Your consent is recorded.")


@login_required
@require_POST
def proposal_object(request: PageRequest, pk: int) -> HttpResponse:
    arrived = timezone.now()  # an objection counts from when it arrived
    values = {"reason": request.POST.get("reason", "")}
    confirmed = request.POST.get(CONFIRM) == "on"

    def do(proposal):
        proposal_services.proposal_object(
            actor=request.user,
            proposal=proposal,
            reason=values["reason"],
            at=arrived,
            confirm_no_client_data=confirmed,
        )

    done = "Your objection is recorded. It blocks adoption until it is resolved."
    return _act(request, pk, do, done=done, form="object_form", values=values)


@login_required
@require_POST
def objection_withdraw(request: PageRequest, pk: int, response_pk: int) -> HttpResponse:
    def do(proposal):
        objection = next((r for r in proposal.responses.all() if r.pk == response_pk), None)
        if objection is None:
            raise Http404("No such objection.")
        proposal_services.objection_withdraw(actor=request.user, objection=objection)

    return _act(request, pk, do, done="Your objection is withdrawn; it counts as consent.")


@login_required
@require_POST
def proposal_withdraw(request: PageRequest, pk: int) -> HttpResponse:
    def do(proposal):
        proposal_services.proposal_withdraw(actor=request.user, proposal=proposal)

    return _act(request, pk, do, done="The proposal is withdrawn.")


AMENDED = "The proposal is amended: open objections count as resolved and the window is open again."


@login_required
@require_POST
def proposal_amend(request: PageRequest, pk: int) -> HttpResponse:
    proposal = _settled(request, pk)
    team = proposal.team
    kind = decisions.of(proposal)
    values = forms.values_from_post(team, kind, request.POST)
    values["version"] = request.POST.get("version", "")
    # A split's clients are suggested again first when asked, or when who moves
    # changed since they were shown: nothing is saved until the author saw them.
    values, notice = forms.split_refresh(team, kind, values, request.POST)
    if notice:
        # The suggestion names clients: only for the author, who may amend.
        if not (
            access.can_take_part(request.user, team)
            and proposal.author_id == request.user.pk
            and proposal.status == Proposal.Status.OPEN
        ):
            refused = {"error": "Only the author can amend an open proposal."}
            return _answer(request, team, pk, 403, refused)
        shown = {"amend_form": _amend_form(proposal, values, {}, notice=notice)}
        return _answer(request, team, pk, 200, shown | {"editing": "amend_form"})
    outcome = writes.perform(
        lambda: proposal_services.proposal_amend(
            actor=request.user,
            proposal=proposal,
            version=writes.version_from(request.POST),
            title=values["title"],
            purpose=values["purpose"],
            details=values["details"],
            payload=forms.payload_from_values(kind, values),
            window=forms.window_from(values["window_hours"]),
            confirm_no_client_data=request.POST.get(CONFIRM) == "on",
        ),
        done=AMENDED,
        fields=values,
    )
    if outcome.ok:
        if not request.htmx:
            return outcome.back(request, reverse("proposal", args=[pk]))
        return _answer(request, team, pk, outcome.status, {"flash": outcome.done})
    errors = _by_field(outcome)
    given: dict[str, Any]
    if outcome.status == 403:
        given = {"error": outcome.problem}
    elif outcome.status == 409:
        # Keep what the author typed and show what the proposal is now; saving again
        # carries the current version, so it is a deliberate overwrite.
        current = outcome.current or {}
        given = {
            "amend_form": _amend_form(
                proposal,
                {**values, "version": current.get("version", values["version"])},
                {},
                conflict=outcome.problem,
                current=current,
                current_summary=present.payload_summary(
                    proposal.kind, current.get("payload") or {}, present.Names(team)
                ),
            )
        }
    elif outcome.held:
        given = {"amend_form": _amend_form(proposal, values, errors, held=outcome.held)}
    else:
        given = {"amend_form": _amend_form(proposal, values, errors, problem=outcome.problem)}
    given["editing"] = "amend_form"
    return _answer(request, team, pk, outcome.status, given)
