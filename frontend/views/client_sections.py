"""A client's page as the care team sees it: who may open it, the context of each of
its sections, and how a write on it answers.

Only members of the client's team reach it (everyone else, the client and their family
included, gets 404: they have the portal); every read goes through
``care.selectors.clients.client_for``, which writes the access-log row the client can
read. The views are in ``frontend.views.clients`` (details, status, people, network,
plan, diary) and ``frontend.views.client_care`` (visits, budget); both answer through
``write`` here: without JavaScript a redirect back with what happened (or the page
again, status 400/403/409, with the form as it was typed); with htmx the section's
partial, swapped in place, with the same status.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django.contrib import messages
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from care.models import Client, Grant, LedgerEntry, NetworkMember, OmahaScope, OmahaSeverity, Visit
from care.models.visits import WEEKDAY_NAMES
from care.selectors import clients as client_selectors
from care.selectors import records
from care.selectors.budgets import active_budget, current_statement, ledger_entries
from care.selectors.continuity import continuity_of
from care.selectors.diary import diary_of
from care.selectors.visits import active_series, plan_for_recording, plan_lines, visits_around
from care.services import invitations as invitation_services
from care.services.visits import WENT_HOLDER, WENT_ME
from frontend import client_forms as cf
from frontend import writes
from frontend.views.common import found_or_404, live
from teams import selectors as team_selectors
from teams.http import PageRequest
from teams.services.invitations import describe

TEMPLATE = "frontend/client.html"

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations


class OpenGrants(TypedDict):
    open_grants: list[Grant]


# A network member as ``care.selectors.clients.network_of`` reads it: with its grants not
# yet revoked, prefetched to ``open_grants``.
type Member = WithAnnotations[NetworkMember, OpenGrants]


def network_rows(client: Client) -> QuerySet[Member]:
    """The client's network (``network_of``), typed with its ``open_grants``."""
    # cast: network_of's Prefetch(to_attr="open_grants") adds the list; its declared
    # QuerySet[NetworkMember] does not say so.
    return cast("QuerySet[Member]", client_selectors.network_of(client))


def team_client_or_404(request: PageRequest, pk: int, what: str) -> Client:
    """The client, for a member of their team (read logged); 404 for everyone else."""
    if not records.client_kept_by(request.user, pk):
        raise Http404("No such client among your team's.")
    client = client_selectors.client_for(request.user, pk, scope="notes", what=what)
    return found_or_404(client, "No such client among your team's.")


# --- a client's page: context of each section -------------------------------------------------


def _details(client: Client, form: dict | None = None, editing: bool = False) -> dict:
    editing = editing or form is not None  # a form that came back stays open
    form = form or cf.fresh(cf.details_values(client))
    form["fields"] = cf.details_fields(form["values"], form["errors"])
    return {"details_form": form, "editing_details": editing}


def _status(client: Client, form: dict | None = None) -> dict:
    form = form or cf.fresh(cf.status_values())
    return {
        "status_form": form,
        "status_choices": cf.status_choices(client),
        "status_history": list(client.status_changes.select_related("by").order_by("-on", "-at")),
    }


def _network(client: Client, form: dict | None = None) -> dict:
    form = form or cf.fresh(cf.network_values())
    form["fields"] = cf.network_fields(form["values"], form["errors"])
    labels, order = dict(Grant.Scope.choices), list(Grant.Scope.values)
    now = timezone.now()
    informal: list[NetworkMember] = []
    formal: list[NetworkMember] = []
    for member in network_rows(client):
        member.sees = [
            {"scope": g.scope, "label": labels[g.scope], "until": cf.last_day(g.expires_at)}
            for g in sorted(member.open_grants, key=lambda g: order.index(g.scope))
            if g.expires_at is None or g.expires_at > now
        ]
        (formal if member.circle == NetworkMember.Circle.FORMAL else informal).append(member)
    return {
        "informal": informal,
        "formal": formal,
        "network_form": form,
        "circles": cf.CIRCLES,
    }


def open_invitations(client: Client, purposes) -> list:
    """The client's invitations of ``purposes`` that are still to be answered (an
    expired one too: it can be sent again), each with what it is for."""
    now = timezone.now()
    rows = []
    for invitation in invitation_services.invitations_of(client):
        if invitation.purpose not in purposes:
            continue
        invitation.state = invitation.status(now)
        if invitation.state in {"open", "expired"}:
            invitation.what = describe(invitation)
            rows.append(invitation)
    return rows


PORTAL = ("email", "name")
REPRESENTATIVE = ("email", "name", "basis", "note")


def _people(client: Client, forms: dict | None = None) -> dict:
    """The client's own account, their representative (and basis), and the team's
    invitations for them."""
    forms = forms or {}
    portal = forms.get("portal") or cf.fresh({"email": "", "name": client.display_name})
    representative = forms.get("representative") or cf.fresh(dict.fromkeys(REPRESENTATIVE, ""))
    return {
        "people_forms": forms,
        "portal_form": portal,
        "representative_form": representative,
        "bases": Client.Basis.choices,
        "people_invitations": open_invitations(
            client, (invitation_services.CLIENT, invitation_services.REPRESENTATIVE)
        ),
        # A form with nothing to show at a field (taking the representative off) says
        # why at the top of the section.
        "people_problem": " ".join(
            f.get("conflict") or f.get("problem") or "" for f in forms.values()
        ).strip(),
    }


def plan_context(client: Client, *, keeper: bool, forms: dict | None = None) -> dict:
    """The care plan, and (for the team) its forms. ``forms`` holds a form that came
    back with messages: "problem", or ("intervention" | "rate", plan problem id)."""
    plan = records.plan_of(client)
    for entry in plan.problems:
        entry.rating_list = list(entry.ratings.all())
        entry.latest = entry.rating_list[-1] if entry.rating_list else None
    context = {"client": client, "plan": plan, "keeper": keeper}
    if not keeper:
        return context
    forms = forms or {}
    # A form that came back with messages: live refreshes leave the section alone.
    context["plan_editing"] = bool(forms)
    anchors = records.anchors()
    problem_form = forms.get("problem") or cf.fresh(cf.problem_values(version=plan.version))
    chosen = {str(s) for s in problem_form["values"].get("signs", [])}
    context |= {
        "problem_form": problem_form,
        "problem_groups": records.problem_groups(),
        "signs": [
            (str(s.pk), s.text, str(s.pk) in chosen)
            for s in records.signs_of(problem_form["values"].get("problem", ""))
        ],
        "scopes": OmahaScope.choices,
        "severities": OmahaSeverity.choices,
        "categories": records.category_choices(),
        "targets": records.target_choices(),
    }
    for entry in plan.problems:
        intervention = cf.fresh(cf.intervention_values(version=plan.version))
        entry.intervention_form = forms.get(("intervention", entry.pk)) or intervention
        rate = forms.get(("rate", entry.pk)) or cf.fresh(cf.rating_values())
        rate["scales"] = cf.rating_scales(rate["values"], rate["errors"], anchors)
        entry.rate_form = rate
    return context


def _diary(client: Client, form: dict | None = None) -> dict:
    """The shared diary; the team may always write in it."""
    return {
        "diary_notes": list(diary_of(client)),
        "diary_form": form or cf.fresh({"body": ""}),
        "diary_writable": True,
        "diary_url": reverse("client-diary", args=[client.pk]),
        "diary_target": "diary",
    }


def section_context(client: Client, name: str, given: dict) -> dict:
    """One section's context, with a form that came back with messages, if any."""
    if name == "details":
        return _details(client, given.get("details_form"), given.get("editing_details", False))
    if name in BUILDERS:
        build, key = BUILDERS[name]
        return build(client, given.get(key))
    return plan_context(client, keeper=True, forms=given.get("plan_forms"))


SECTIONS = ("details", "people", "status", "visits", "budget", "network", "plan", "diary")


def context_of(client: Client, sections=SECTIONS, **given):
    context = {"client": client, "team": client.team}
    for name in sections:
        context |= section_context(client, name, given)
    return context | {key: value for key, value in given.items() if key not in FORMS}


def page(request: PageRequest, client: Client, status: int = 200, **given) -> HttpResponse:
    with transaction.atomic():
        heads = live(client.team.stream)
        context = context_of(client, live=heads, **given)
    return render(request, TEMPLATE, context, status=status)


def answer(
    request: PageRequest, client: Client, section: str, status: int, given: dict
) -> HttpResponse:
    """After a write that did not redirect: the section for htmx, else the whole page."""
    if request.htmx:
        context = context_of(client, (section,), **given)
        return render(request, f"{TEMPLATE}#{section}", context, status=status)
    return page(request, client, status, **given)


def done(request: PageRequest, client: Client, section: str, words: str, given: dict):
    if not request.htmx:
        messages.success(request, words)
        return redirect(reverse("client", args=[client.pk]) + f"#{section}")
    return answer(request, client, section, 200, given | {f"{section}_flash": words})


# --- the visits and budget sections (each read one query, however many rows) ---------------


def _member_choices(client: Client) -> list[tuple[str, str]]:
    members = team_selectors.current_members(client.team)
    return [(str(m.person_id), m.person.display_name) for m in members]


# --- the visits section ------------------------------------------------------------------------

ACTIONS = {
    "take": "take it",
    "assign": "assign it",
    "start": "start it",
    "finish": "record it",
    "cancel": "cancel it",
    "missed": "mark it missed",
}


def when(visit: Visit) -> str:
    start, end = timezone.localtime(visit.window_start), timezone.localtime(visit.window_end)
    return f"{start:%a %-d %b}, {start:%H:%M}–{end:%H:%M}"


def _visit_forms(visit: Visit, forms: dict, now: datetime.datetime, planned: list) -> None:
    """Hang the visit's forms on it: a form that came back with messages, else fresh;
    ``planned``, the plan's lines to record it with (``plan_for_recording``)."""
    mine = {action: forms[(action, visit.pk)] for action in ACTIONS if (action, visit.pk) in forms}
    for form in mine.values():
        if status := (form.get("current") or {}).get("status"):
            # A lost race shows the visit as it is now, in words.
            form["current"] = {**form["current"], "status_label": Visit.Status(status).label}
    begun = visit.window_start <= now
    now_day = timezone.localdate(now)
    visit.is_open = visit.status in Visit.OPEN_STATUSES
    visit.can_record = visit.status == Visit.Status.IN_PROGRESS or (visit.is_open and begun)
    visit.can_miss = visit.is_open and begun
    # "Start now" is for today's visits (or ones already due), not next week's.
    visit.can_start = visit.is_open and timezone.localdate(visit.window_start) <= now_day
    visit.notice = next(
        (f for f in mine.values() if f.get("conflict") or f.get("problem")),
        None,
    )
    # The form ("take" or "assign") a clash was refused at: it shows the box to go ahead.
    visit.overlap_in = next(
        (name for name, f in mine.items() if f.get("errors", {}).get("overlap")), None
    )
    visit.assign_form = mine.get("assign") or cf.fresh(
        cf.assign_values(assignee_id=visit.assignee_id)
    )
    visit.start_form = mine.get("start") or cf.fresh({"went": "", "reason": ""})
    holder = visit.assignee.display_name if visit.assignee else ""
    visit.went_choices = [
        (WENT_ME, "I go instead: I take the visit"),
        (WENT_HOLDER, f"{holder} goes: I start it for them"),
    ]
    visit.cancel_form = mine.get("cancel") or cf.fresh(cf.visit_reason_values())
    visit.missed_form = mine.get("missed") or cf.fresh(cf.visit_reason_values())
    finish = mine.get("finish")
    if finish is None:
        start = visit.actual_start or visit.window_start
        expected = start + datetime.timedelta(minutes=visit.expected_minutes)
        end = now if visit.actual_start else min(expected, now)
        finish = cf.fresh(cf.finish_values(start=start, end=end))
    finish["fields"] = cf.finish_fields(visit, finish["values"], finish["errors"], planned)
    visit.finish_form = finish


def visits_context(client: Client, forms: dict | None = None) -> dict:
    """The visits section. ``forms`` holds forms that came back with messages, by
    "plan", "series", ("exception", series id) or (action, visit id)."""
    forms = forms or {}
    now = timezone.now()
    members = _member_choices(client)
    upcoming: list[Visit] = []
    recent: list[Visit] = []
    around = list(visits_around(client, now))
    planned = plan_for_recording(client, around)
    for visit in around:
        _visit_forms(visit, forms, now, planned[visit.pk])
        under_way = visit.status == Visit.Status.IN_PROGRESS
        (upcoming if visit.window_end > now or under_way else recent).append(visit)
    recent.reverse()  # the latest first
    # Past visits nobody recorded yet stay in sight; the rest of the fortnight folds away.
    to_record = [v for v in recent if v.status in Visit.OPEN_STATUSES]
    recent = [v for v in recent if v.status not in Visit.OPEN_STATUSES]
    shown = {visit.pk for visit in [*upcoming, *recent]}
    # A refused form of a visit no longer in view (moved away meanwhile) says so on top.
    elsewhere = [
        form
        for key, form in forms.items()
        if isinstance(key, tuple) and key[0] in ACTIONS and key[1] not in shown
    ]

    series = list(active_series(client))
    for one in series:
        one.day_names = ", ".join(WEEKDAY_NAMES[day][:3] for day in one.days)
        form = forms.get(("exception", one.pk)) or cf.fresh(cf.exception_values())
        form["fields"] = cf.exception_fields(one.pk, form["values"], form["errors"])
        one.exception_form = form

    lines = plan_lines(client)
    plan_form = forms.get("plan") or cf.fresh(cf.plan_visit_values())
    plan_form["fields"] = cf.plan_visit_fields(
        plan_form["values"], plan_form["errors"], members, lines
    )
    series_form = forms.get("series") or cf.fresh(cf.series_values())
    series_form["fields"] = cf.series_fields(
        series_form["values"], series_form["errors"], members, lines
    )
    series_form["weekdays"] = cf.weekday_choices(series_form["values"])

    return {
        "upcoming": upcoming,
        "recent": recent,
        "to_record": to_record,
        "recent_notice": any(v.notice for v in recent),
        "visits_elsewhere": elsewhere,
        "visit_members": members,
        "continuity": continuity_of([client], now=now)[client.pk],
        "series": series,
        "plan_form": plan_form,
        "series_form": series_form,
        "visits_editing": bool(forms),
    }


# --- the budget section ------------------------------------------------------------------------


def budget_context(client: Client, forms: dict | None = None) -> dict:
    """The budget section. ``forms`` holds a form that came back: "budget" or "entry"."""
    forms = forms or {}
    setup = forms.get("budget") or cf.fresh(cf.budget_values())
    setup["fields"] = cf.budget_fields(setup["values"], setup["errors"])
    budget = active_budget(client)
    context = {"budget": budget, "budget_form": setup, "budget_editing": bool(forms)}
    if budget is None:
        return context
    statement = current_statement(budget)
    entries = list(ledger_entries(budget, statement.period_start, statement.period_end))
    for entry in entries:
        entry.shown = cf.signed_money(entry.amount)
    correctable = [
        (str(e.pk), f"{e.on:%-d %b} · {e.get_kind_display()} · {e.shown}")
        for e in entries
        if e.kind != LedgerEntry.Kind.CORRECTION
    ]
    entry_form = forms.get("entry") or cf.fresh(cf.entry_values())
    entry_form["fields"] = cf.entry_fields(entry_form["values"], entry_form["errors"], correctable)
    figures = [
        ("allocated", "Allocated", statement.allocated),
        ("delivered", "Visits delivered", statement.delivered),
        ("other", "Other spending", statement.other),
        ("remaining", "Left now", statement.remaining),
        ("planned", "Visits still planned", statement.planned),
        ("projected_remaining", "Likely left at the end", statement.projected_remaining),
    ]
    return context | {
        "statement": statement,
        "figures": [(key, label, cf.money(amount)) for key, label, amount in figures],
        "hourly_rate": cf.money(budget.hourly_rate),
        "entries": entries,
        "entry_form": entry_form,
        "entry_kinds": cf.ENTRY_KINDS,
        "directions": cf.DIRECTIONS,
    }


# --- writes ------------------------------------------------------------------------------------

# The sections whose forms come back by key ({key: form}); the others have one form.
KEYED = {"people", "plan", "visits", "budget"}


def write(
    request: PageRequest,
    client: Client,
    section: str,
    do: Callable[[], Any],
    *,
    done: str | Callable[[Any], str],
    values: dict,
    fields: Iterable[str] = (),
    key: Any = None,
) -> HttpResponse:
    """Run one write of a section through the page adapter (``frontend.writes``).
    Done: what happened, said on the page or in the section. Refused: the section
    comes back with the form as it was typed, the messages at its ``fields``, the rest
    as its problem line; a lost race shows the current state, and the form now carries
    the current version, so sending it again is a deliberate choice."""
    outcome = writes.perform(do, done=done, fields=fields)
    if outcome.ok:
        return answered(request, client, section, outcome.done)
    if outcome.key_reused:
        # The form was sent before with other values: sending it again, now, is a new
        # request, so it carries a new key.
        values = values | {"idempotency_key": uuid.uuid4().hex}
    form = outcome.form(values)
    given = {f"{section}_forms": {key: form}} if section in KEYED else {f"{section}_form": form}
    return answer(request, client, section, outcome.status, given)


def answered(request: PageRequest, client: Client, section: str, words: str) -> HttpResponse:
    """Done: without JavaScript back to the section with the words; with htmx the
    section, saying them."""
    return done(request, client, section, words, {})


# Each section's context and the key a form of it that came back is given under.
BUILDERS: dict[str, tuple[Callable[[Client, Any], dict], str]] = {
    "status": (_status, "status_form"),
    "people": (_people, "people_forms"),
    "network": (_network, "network_form"),
    "diary": (_diary, "diary_form"),
    "visits": (visits_context, "visits_forms"),
    "budget": (budget_context, "budget_forms"),
}
FORMS = {key for _, key in BUILDERS.values()} | {"details_form", "editing_details", "plan_forms"}
