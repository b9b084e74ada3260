"""The portal: a client's record as the client, their representative and the people
they share it with see it.

The page is made of one section per scope of the record (``SECTIONS``): a person
sees the sections of the scopes they may read now, each read through
``care.selectors.clients.client_for`` (so each is logged for the client to see), and
each refreshed live from the scope's own stream. A revoked scope disappears from an
open page at once (live.js drops the sections of a revoked stream) and the server
refuses it from then on. The client and their representative also see who can see
what, and decide it, and who read the record.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from care import access
from care.figures.quality import access as quality_access
from care.figures.quality import selectors as quality_selectors
from care.figures.quality import services as quality_services
from care.models import Client, Grant, NetworkMember
from care.models.quality import ITEM_CHOICES
from care.selectors import clients as client_selectors
from care.selectors import records
from care.selectors.budgets import client_statement
from care.selectors.diary import diary_of
from care.selectors.visits import UPCOMING_DAYS, upcoming_visits
from care.services import clients as client_services
from care.services import invitations as invitation_services
from care.services.diary import diary_add
from coordination import events as log
from frontend import client_forms as cf
from frontend import writes
from frontend.views.client_sections import (
    REPRESENTATIVE,
    Member,
    network_rows,
    open_invitations,
    plan_context,
)
from frontend.views.common import found_or_404
from teams.http import PageRequest
from teams.models import Person

TEMPLATE = "frontend/portal.html"
NOT_IN_NETWORK = "No such person in your network."


@dataclass(frozen=True)
class Section:
    """One scope of the record on the portal page.

    ``partial`` renders it (its outer element carries ``data-stream`` and refreshes
    itself on ``kith:refresh``); ``build`` gives the partial its context from the
    client, read already (and logged) as ``what``, and the person reading it."""

    what: str
    partial: str
    build: Callable[[Client, Person], dict]


def _visits(client: Client, person: Person) -> dict:
    return {"upcoming_visits": list(upcoming_visits(client)), "upcoming_days": UPCOMING_DAYS}


def _budget(client: Client, person: Person) -> dict:
    return {"statement": client_statement(client.pk)}


def _diary(client: Client, person: Person, form: dict | None = None) -> dict:
    return {
        "diary_notes": list(diary_of(client)),
        "diary_form": form or cf.fresh({"body": ""}),
        "diary_writable": access.can_write_diary(person, client),
        "diary_url": reverse("portal-diary", args=[client.pk]),
        "diary_target": "scope-diary",
    }


# The sections in page order, by scope; a scope with no section (notes) shows nothing
# (the page only names what is shared).
SECTIONS: dict[str, Section] = {
    Grant.Scope.VISITS: Section(
        what="visits (portal)", partial=f"{TEMPLATE}#scope-visits", build=_visits
    ),
    Grant.Scope.PLAN: Section(
        what="care plan (portal)",
        partial=f"{TEMPLATE}#scope-plan",
        build=lambda client, person: plan_context(client, keeper=False),
    ),
    Grant.Scope.BUDGET: Section(
        what="budget statement (portal)", partial=f"{TEMPLATE}#scope-budget", build=_budget
    ),
    Grant.Scope.DIARY: Section(
        what="shared diary (portal)", partial=f"{TEMPLATE}#scope-diary", build=_diary
    ),
}


# The page's section navigation: each scope's section, in a word.
SECTION_LINKS: dict[str, str] = {
    Grant.Scope.VISITS: "Visits",
    Grant.Scope.PLAN: "Plan",
    Grant.Scope.BUDGET: "Budget",
    Grant.Scope.DIARY: "Diary",
}


def _gone(request: PageRequest) -> HttpResponse:
    """404. To a live refresh, an empty one: htmx swaps the section away with it."""
    if request.htmx:
        return HttpResponseNotFound("")
    raise Http404("No such record among yours.")


def _scope_labels(scopes) -> list[dict]:
    labels = dict(Grant.Scope.choices)
    return [{"scope": s, "label": labels[s]} for s in Grant.Scope.values if s in scopes]


# --- who can see what ------------------------------------------------------------------------


INVITE = ("email", "name", "relationship", "circle", "organisation", "until")


def invite_values(post=None) -> dict:
    values = {name: (post.get(name, "") if post is not None else "") for name in INVITE}
    values["scopes"] = post.getlist("scopes") if post is not None else []
    if post is None:
        values["circle"] = NetworkMember.Circle.INFORMAL
    return values


def _invite_form(form: dict | None) -> dict:
    form = form or cf.fresh(invite_values())
    chosen = set(form["values"]["scopes"])
    form["scope_rows"] = [
        {"scope": scope, "label": label, "checked": scope in chosen} for scope, label in cf.SCOPES
    ]
    return form


def _sharing(client: Client, forms: dict | None = None, invite_form: dict | None = None) -> dict:
    """The network, each member with a checkbox per scope (ticked: may see it now); the
    people invited and not yet answered; and the form to invite someone."""
    forms = forms or {}
    now = timezone.now()
    waiting = {i.target: i for i in open_invitations(client, (invitation_services.NETWORK,))}
    circles: dict[str, list] = {NetworkMember.Circle.INFORMAL: [], NetworkMember.Circle.FORMAL: []}
    for member in network_rows(client):
        if not member.active:
            continue
        member.invitation = waiting.get(member.pk)
        if member.invitation is not None:
            labels = dict(Grant.Scope.choices)
            member.invitation.will_see = [
                labels[s] for s in member.invitation.payload.get("scopes", []) if s in labels
            ]
            ends = member.invitation.payload.get("expires_at")
            member.invitation.until = (
                cf.last_day(datetime.datetime.fromisoformat(ends)) if ends else None
            )
        open_now = {
            g.scope: g for g in member.open_grants if g.expires_at is None or g.expires_at > now
        }
        ends = {g.expires_at for g in open_now.values()}
        form = forms.get(member.pk)
        if form is None:
            # One date for the member's grants when they share it; else each row says.
            until = cf.last_day(ends.pop()) if len(ends) == 1 else None
            form = cf.fresh({"scopes": list(open_now), "until": until.isoformat() if until else ""})
        chosen = set(form["values"]["scopes"])
        member.sharing_form = form
        member.scope_rows = [
            {
                "scope": scope,
                "label": label,
                "checked": scope in chosen,
                "until": cf.last_day(open_now[scope].expires_at) if scope in open_now else None,
            }
            for scope, label in cf.SCOPES
        ]
        member.sees_now = [label for scope, label in cf.SCOPES if scope in open_now]
        circles[member.circle].append(member)
    return {
        "informal": circles[NetworkMember.Circle.INFORMAL],
        "formal": circles[NetworkMember.Circle.FORMAL],
        "invite_form": _invite_form(invite_form),
        "circles": cf.CIRCLES,
    }


def _apply_sharing(actor, client: Client, member: Member, scopes, expires_at) -> list:
    """Grant the ticked scopes (until ``expires_at``) and revoke the others."""
    now = timezone.now()
    open_grants = {g.scope: g for g in member.open_grants}
    changed = []
    for scope in Grant.Scope.values:
        grant = open_grants.get(scope)
        in_force = grant is not None and (grant.expires_at is None or grant.expires_at > now)
        if scope in scopes:
            if grant is None or not in_force or grant.expires_at != expires_at:
                client_services.grant_scope(
                    actor=actor, client=client, member=member, scope=scope, expires_at=expires_at
                )
                changed.append(scope)
        elif grant is not None:
            client_services.grant_revoke(actor=actor, grant=grant)
            if in_force:
                changed.append(scope)
    return changed


# --- the page ------------------------------------------------------------------------------


def _page_context(request: PageRequest, pk: int, **given) -> dict:
    """Everything the person may see of the record, each section's read logged."""
    user = request.user
    client, scopes = records.readable_scopes(user, pk)
    if client is None or not scopes:
        raise Http404("No such record among yours.")
    streams = [client.stream(scope) for scope in Grant.Scope.values if scope in scopes]
    context: dict = {
        "client": client,
        "live": {"streams": log.heads(streams)},
        "shared": _scope_labels(scopes),
        "sections": [],
        "section_links": [],
        "own": user.pk == client.account_id,
        "speaks_for": access.speaks_for(user, client),
    }
    for scope in Grant.Scope.values:
        section = SECTIONS.get(scope)
        if section is None or scope not in scopes:
            continue
        read = client_selectors.client_for(user, pk, scope=scope, what=section.what)
        if read is not None:
            context["sections"].append(section.partial)
            context["section_links"].append((f"scope-{scope}", SECTION_LINKS[scope]))
            context |= section.build(read, user)
    if context["speaks_for"]:
        read = client_selectors.client_for(user, pk, scope="notes", what="who can see what")
        if read is not None:
            context |= _sharing(
                read, given.pop("sharing_forms", None), given.pop("invite_form", None)
            )
            context |= _representative(read, given.pop("representative_form", None))
            context["access_log"] = list(
                client_selectors.access_log_of(user, read, limit=100) or []
            )
            context |= survey_context(read)
    if not context["sections"] and not context["speaks_for"]:
        # Nothing of it can be shown yet, but its name is: that is a read too.
        first = next(s for s in Grant.Scope.values if s in scopes)
        client_selectors.client_for(user, pk, scope=first, what="portal page")
    return context | given


@login_required
@require_GET
def portal_page(request: PageRequest, pk: int) -> HttpResponse:
    # The heads first, then the state, in one transaction: whatever is published after
    # this read reaches the page through its socket.
    with transaction.atomic():
        context = _page_context(request, pk)
    return render(request, TEMPLATE, context)


@login_required
@require_GET
def portal_section(request: PageRequest, pk: int, scope: str) -> HttpResponse:
    """One scope's section, for its live refresh; 404 once the scope is not shared."""
    section = found_or_404(SECTIONS.get(scope), "No such section.")
    client = client_selectors.client_for(
        request.user, pk, scope=scope, what=f"{section.what} (live update)"
    )
    if client is None:
        return _gone(request)
    context = {"client": client, **section.build(client, request.user)}
    return render(request, section.partial, context)


@login_required
@require_POST
def portal_sharing(request: PageRequest, pk: int, member: int) -> HttpResponse:
    """The client (or representative) sets what one network member may see."""
    user = request.user
    client = _sharing_client(request, pk, "who can see what (to change it)")
    entry = found_or_404(network_rows(client).filter(pk=member).first(), NOT_IN_NETWORK)
    values = cf.sharing_values(request.POST)

    def share():
        expires_at = cf.end_of_day(cf.date_or_none(values["until"], "until"))
        with transaction.atomic():
            return _apply_sharing(user, client, entry, set(values["scopes"]), expires_at)

    outcome = writes.perform(
        share,
        done=lambda changed: (
            f"Saved: what {entry.name} can see is updated." if changed else "Nothing changed."
        ),
        fields=values,
        rename={"expires_at": "until", "scope": "scopes"},
    )
    if not outcome.ok:
        form = outcome.form(values)
        return _sharing_answer(request, client, outcome.status, {"sharing_forms": {entry.pk: form}})
    return _sharing_done(request, client, outcome.done)


def _sharing_answer(request: PageRequest, client: Client, status: int, given: dict):
    """The sharing section for htmx; else the whole page, with its messages."""
    if request.htmx:
        context = {"client": client, "speaks_for": True, **given}
        context |= _sharing(client, given.get("sharing_forms"), given.get("invite_form"))
        return render(request, f"{TEMPLATE}#sharing", context, status=status)
    with transaction.atomic():
        context = _page_context(request, client.pk, **given)
    return render(request, TEMPLATE, context, status=status)


def _sharing_client(request: PageRequest, pk: int, what: str) -> Client:
    """The record, for the client or representative deciding who sees it (read logged)."""
    user = request.user
    client, _ = records.readable_scopes(user, pk)
    if client is None or not access.can_manage_sharing(user, client):
        raise Http404("No such record among yours.")
    client = client_selectors.client_for(user, pk, scope="notes", what=what)
    return found_or_404(client, "No such record among yours.")


def _sharing_done(request: PageRequest, client: Client, words: str) -> HttpResponse:
    if not request.htmx:
        messages.success(request, words)
        return redirect(reverse("portal-client", args=[client.pk]) + "#sharing")
    return _sharing_answer(request, client, 200, {"sharing_flash": words})


@login_required
@require_POST
def portal_network_invite(request: PageRequest, pk: int) -> HttpResponse:
    """The client (or representative) invites someone into the network, choosing what
    they will see and until when; they see it once they accept."""
    client = _sharing_client(request, pk, "who can see what (to invite someone)")
    values = invite_values(request.POST)
    outcome = writes.perform(
        lambda: invitation_services.network_invite(
            actor=request.user,
            client=client,
            expires_at=cf.end_of_day(cf.date_or_none(values["until"], "until")),
            **{name: value for name, value in values.items() if name != "until"},
        ),
        done=lambda made: (
            f"Invitation sent to {made[1].email}. {made[0].name} sees nothing until they accept."
        ),
        fields=values,
        rename={"expires_at": "until"},
    )
    if not outcome.ok:
        return _sharing_answer(
            request, client, outcome.status, {"invite_form": outcome.form(values)}
        )
    return _sharing_done(request, client, outcome.done)


@login_required
@require_POST
def portal_network_remove(request: PageRequest, pk: int, member: int) -> HttpResponse:
    """Take someone out of the network: what they saw ends at once."""
    client = _sharing_client(request, pk, "who can see what (to take someone out)")
    entry = found_or_404(
        client_selectors.network_of(client).filter(pk=member, active=True).first(), NOT_IN_NETWORK
    )
    outcome = writes.perform(
        lambda: invitation_services.network_remove(
            actor=request.user, member=entry, version=writes.version_from(request.POST)
        ),
        done=f"{entry.name} is out of your network and sees nothing of it now.",
    )
    if not outcome.ok:
        return _sharing_answer(request, client, outcome.status, {"sharing_flash": outcome.problem})
    return _sharing_done(request, client, outcome.done)


# --- the representative ----------------------------------------------------------------------


def _representative(client: Client, form: dict | None = None) -> dict:
    return {
        "representative_form": form or cf.fresh(dict.fromkeys(REPRESENTATIVE, "")),
        "bases": Client.Basis.choices,
        "representative_invitations": open_invitations(
            client, (invitation_services.REPRESENTATIVE,)
        ),
    }


@login_required
@require_POST
def portal_representative(request: PageRequest, pk: int, action: str) -> HttpResponse:
    """The client names the person who acts for them (an invitation), or stops them."""
    user = request.user
    client, _ = records.readable_scopes(user, pk)
    if client is None or user.pk != client.account_id or action not in {"invite", "remove"}:
        raise Http404("No such record among yours.")
    client = client_selectors.client_for(user, pk, scope="notes", what="representative")
    if client is None:
        raise Http404("No such record among yours.")
    values = {name: request.POST.get(name, "") for name in (*REPRESENTATIVE, "version")}
    outcome: writes.Outcome[Any]
    if action == "invite":
        outcome = writes.perform(
            lambda: invitation_services.representative_invite(
                actor=user, client=client, **{name: values[name] for name in REPRESENTATIVE}
            ),
            done=lambda invitation: (
                f"Invitation sent to {invitation.email}: they act for you once they accept."
            ),
            fields=REPRESENTATIVE,
        )
    else:
        outcome = writes.perform(
            lambda: invitation_services.representative_remove(
                actor=user, client=client, version=writes.version_from(values)
            ),
            done="You have no representative now.",
            fields=REPRESENTATIVE,
        )
    if outcome.ok:
        return outcome.back(request, reverse("portal-client", args=[pk]) + "#representative")
    given: dict[str, Any] = {"representative_problem": outcome.problem}
    if outcome.status == 400:
        given["representative_form"] = outcome.form(values)
    with transaction.atomic():
        context = _page_context(request, pk, **given)
    return render(request, TEMPLATE, context, status=outcome.status)


# --- the shared diary -----------------------------------------------------------------------


@login_required
@require_POST
def portal_diary(request: PageRequest, pk: int) -> HttpResponse:
    """Add a note to the shared diary: whoever reads the diary here may write in it."""
    user = request.user
    client = client_selectors.client_for(
        user, pk, scope=Grant.Scope.DIARY, what="shared diary (to add to it)"
    )
    if client is None or not access.can_write_diary(user, client):
        raise Http404("No such record among yours.")
    values = {"body": request.POST.get("body", "")}
    outcome = writes.perform(
        lambda: diary_add(actor=user, client=client, body=values["body"]),
        done="Your note is in the diary.",
        fields=values,
    )
    if not outcome.ok:
        form = outcome.form(values)
        if request.htmx:
            context = {"client": client, **_diary(client, user, form)}
            return render(
                request, SECTIONS[Grant.Scope.DIARY].partial, context, status=outcome.status
            )
        with transaction.atomic():
            context = _page_context(request, pk, diary_form=form)
        return render(request, TEMPLATE, context, status=outcome.status)
    if not request.htmx:
        return outcome.back(request, reverse("portal-client", args=[pk]) + "#scope-diary")
    context = {"client": client, **_diary(client, user), "diary_flash": outcome.done}
    return render(request, SECTIONS[Grant.Scope.DIARY].partial, context)


# --- "How are we doing?": the experience survey -------------------------------------------

SURVEY_FIELDS = ("period", "recommend", "listen", "informed", "say", "comment")
SURVEY_ITEMS = [
    ("listen", "The carers listen to me"),
    ("informed", "I know who is coming and when"),
    ("say", "I have a say in my care"),
]
RECOMMEND_WORDS = {0: "not at all likely", 10: "extremely likely"}


def survey_context(
    client: Client, *, values: dict | None = None, errors: dict | None = None, flash: str = ""
) -> dict:
    """This quarter's survey: the answer given, or the form (as typed, with its errors)."""
    invitation = quality_selectors.survey_invitation(client)
    values = values or dict.fromkeys(SURVEY_FIELDS, "")
    errors = errors or {}
    current = quality_services.quarter_of(timezone.localdate())
    return {
        "survey": {
            "period": invitation.period,
            "title": invitation.title,
            "answered": invitation.answered,
            "next_opens": current.after,
            "flash": flash,
            "form": {"values": values, "errors": errors},
            "items": [
                {
                    "name": name,
                    "question": question,
                    "value": values.get(name, ""),
                    "errors": errors.get(name, []),
                }
                for name, question in SURVEY_ITEMS
            ],
            "recommend_choices": [
                (str(n), f"{n} – {RECOMMEND_WORDS[n]}" if n in RECOMMEND_WORDS else str(n))
                for n in range(11)
            ],
            "item_choices": [(str(value), label) for value, label in ITEM_CHOICES],
        }
    }


def _survey_answer(request: PageRequest, client: Client, status: int, **given) -> HttpResponse:
    """The survey section for htmx; else the whole page, with the write's status."""
    survey = survey_context(client, **given)
    if request.htmx:
        context = {"client": client, "own": request.user.pk == client.account_id, **survey}
        return render(request, "frontend/_survey.html", context, status=status)
    with transaction.atomic():
        context = _page_context(request, client.pk, **survey)
    return render(request, TEMPLATE, context, status=status)


@login_required
@require_POST
def portal_survey(request: PageRequest, pk: int) -> HttpResponse:
    """The client, or their representative, answers this quarter's survey."""
    user = request.user
    client, _ = records.readable_scopes(user, pk)
    if client is None or not quality_access.can_answer_survey(user, client):
        raise Http404("No such record among yours.")
    values: dict[str, Any] = {name: request.POST.get(name, "") for name in SURVEY_FIELDS}
    outcome = writes.perform(
        lambda: quality_services.survey_answer(
            actor=user, client=client, **{**values, "period": values["period"] or None}
        ),
        done="Thank you: your answers are with the team.",
        fields=values,
    )
    if outcome.status == 400:
        return _survey_answer(request, client, 400, values=values, errors=outcome.errors)
    if not outcome.ok:
        return _survey_answer(request, client, outcome.status, flash=outcome.problem)
    if not request.htmx:
        return outcome.back(request, reverse("portal-client", args=[pk]) + "#survey")
    return _survey_answer(request, client, 200, flash=outcome.done)
