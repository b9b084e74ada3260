"""The team's side of a client's visits and personal budget, as two sections of the
client page (``frontend.views.clients``).

Visits: the next and the last fourteen days, who is going, continuity of carer; plan
one visit, start a repeating series (planned four weeks ahead at once) or change one
day of it; and for each visit: take it, assign it, start it, record it done, cancel
it, mark it missed. Each visit's forms carry the version they were drawn at: a stale
one is answered 409 with the visit as it is now. The record-done form carries an
idempotency key made when it is drawn, so a double submit records and debits once.

Budget: the statement of the current period (what the client reads in their portal,
and its figures), the period's ledger, and the forms to set a budget up and to add a
purchase, an adjustment or a correction.

Access, answers and logging are the client page's: members of the client's team only
(404 for everyone else, with nothing logged or written), every read logged through
``team_client_or_404``, and forms answered as the other sections' are (a redirect
without JavaScript, the section for htmx; 400 with the fields named, 409 with the
current state).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from care import services
from care.models import Budget, Client, LedgerEntry, Visit, VisitSeries
from care.models.visits import WEEKDAY_NAMES
from care.selectors.budgets import active_budget, current_statement, ledger_entries
from care.selectors.continuity import continuity_of
from care.selectors.visits import active_series, visit_recorded_with, visits_around
from care.services.budgets import visit_minutes
from frontend import client_forms as cf
from frontend.views import clients as page
from teams import selectors as team_selectors
from teams.errors import Conflict, KeyReused
from teams.models import Person

NOT_HERE = "No such client among your team's."


# --- reads (each one query, however many rows) ------------------------------------------------


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


def _when(visit: Visit) -> str:
    start, end = timezone.localtime(visit.window_start), timezone.localtime(visit.window_end)
    return f"{start:%a %-d %b}, {start:%H:%M}–{end:%H:%M}"


def _visit_forms(visit: Visit, forms: dict, now: datetime.datetime) -> None:
    """Hang the visit's forms on it: a form that came back with messages, else fresh."""
    mine = {action: forms[(action, visit.pk)] for action in ACTIONS if (action, visit.pk) in forms}
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
    visit.assign_form = mine.get("assign") or {
        "values": cf.assign_values(assignee_id=visit.assignee_id),
        "errors": {},
    }
    visit.cancel_form = mine.get("cancel") or {"values": cf.visit_reason_values(), "errors": {}}
    visit.missed_form = mine.get("missed") or {"values": cf.visit_reason_values(), "errors": {}}
    finish = mine.get("finish")
    if finish is None:
        start = visit.actual_start or visit.window_start
        expected = start + datetime.timedelta(minutes=visit.expected_minutes)
        end = now if visit.actual_start else min(expected, now)
        finish = {"values": cf.finish_values(start=start, end=end), "errors": {}}
    finish["fields"] = cf.finish_fields(visit.pk, finish["values"], finish["errors"])
    visit.finish_form = finish


def visits_context(client: Client, forms: dict | None = None) -> dict:
    """The visits section. ``forms`` holds forms that came back with messages, by
    "plan", "series", ("exception", series id) or (action, visit id)."""
    forms = forms or {}
    now = timezone.now()
    members = _member_choices(client)
    upcoming, recent = [], []
    for visit in visits_around(client, now):
        _visit_forms(visit, forms, now)
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
        form = forms.get(("exception", one.pk)) or {"values": cf.exception_values(), "errors": {}}
        form["fields"] = cf.exception_fields(one.pk, form["values"], form["errors"])
        one.exception_form = form

    plan_form = forms.get("plan") or {"values": cf.plan_visit_values(), "errors": {}}
    plan_form["fields"] = cf.plan_visit_fields(plan_form["values"], plan_form["errors"], members)
    series_form = forms.get("series") or {"values": cf.series_values(), "errors": {}}
    series_form["fields"] = cf.series_fields(series_form["values"], series_form["errors"], members)
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
    setup = forms.get("budget") or {"values": cf.budget_values(), "errors": {}}
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
    entry_form = forms.get("entry") or {"values": cf.entry_values(), "errors": {}}
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


def section(client: Client, name: str, given: dict) -> dict:
    """The context of the "visits" or "budget" section (``clients._section`` asks)."""
    if name == "visits":
        return visits_context(client, given.get("visits_forms"))
    return budget_context(client, given.get("budget_forms"))


# --- writes ---------------------------------------------------------------------------------


def _errors(exc: ValidationError, names) -> tuple[dict, str]:
    """The service's messages at the form's fields; any other (the visit as a whole,
    the version, the client) as the form's one problem line."""
    found = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    # The key is a hidden field: what is said about it is said about the whole form.
    names = [name for name in names if name != "idempotency_key"]
    errors = {name: list(messages) for name, messages in found.items() if name in names}
    problem = " ".join(m for name, messages in found.items() if name not in names for m in messages)
    return errors, problem


def _write(
    request: HttpRequest,
    client: Client,
    section_name: str,
    key,
    values: dict,
    names,
    do: Callable,
    words: Callable,
) -> HttpResponse:
    """Run one write; refused, the section comes back with the form as it was typed."""
    forms = f"{section_name}_forms"
    try:
        result = do()
    except ValidationError as exc:
        errors, problem = _errors(exc, names)
        if isinstance(exc, KeyReused):
            # The form was sent before with other values: sending it again, now, is a
            # new request, so it carries a new key.
            values = values | {"idempotency_key": uuid.uuid4().hex}
        form = {"values": values, "errors": errors, "problem": problem, "open": True}
        return page._answer(request, client, section_name, 400, {forms: {key: form}})
    except PermissionDenied as exc:
        raise Http404(NOT_HERE) from exc
    except Conflict as exc:
        # What was typed stays; the section shows the visit as it is now and its forms
        # carry the current version, so sending again is a deliberate choice.
        status = exc.current.get("status")
        current = {**exc.current, "status_label": Visit.Status(status).label if status else ""}
        form = {"values": values, "errors": {}, "conflict": exc.message, "current": current}
        return page._answer(
            request, client, section_name, 409, {forms: {key: form | {"open": True}}}
        )
    return page._done(request, client, section_name, words(result), {})


def _person(raw: str) -> Person | None:
    """The person chosen in a "who is going" list (the service checks they may go)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    person = Person.objects.filter(pk=int(raw)).first() if raw.isdecimal() else None
    if person is None:
        raise ValidationError({"assignee": ["No such person."]})
    return person


@login_required
@require_POST
def visit_plan(request: HttpRequest, pk: int) -> HttpResponse:
    client = page.team_client_or_404(request, pk, "visits (to plan one)")
    values = cf.plan_visit_values(request.POST)

    def do():
        start, end = cf.visit_window(values)
        return services.visit_plan(
            actor=request.user,
            client=client,
            window_start=start,
            window_end=end,
            expected_minutes=cf.number_or_raw(values["expected_minutes"]),
            tasks=values["tasks"],
            assignee=_person(values["assignee"]),
        )

    def words(visit):
        return f"The visit on {_when(visit)} is planned."

    return _write(request, client, "visits", "plan", values, cf.PLAN_VISIT, do, words)


@login_required
@require_POST
def visit_series(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a repeating series and plan its visits for the next four weeks, at once."""
    client = page.team_client_or_404(request, pk, "visits (to start a series)")
    values = cf.series_values(request.POST)
    names = (*cf.SERIES, "weekdays", "preferred_carers")

    def do():
        with transaction.atomic():  # the series and its first visits, or neither
            series = services.series_create(
                actor=request.user,
                client=client,
                weekdays=cf.numbers_or_raw(values["weekdays"]),
                window_start=cf.time_or_none(values["window_start"], "window_start"),
                window_end=cf.time_or_none(values["window_end"], "window_end"),
                expected_minutes=cf.number_or_raw(values["expected_minutes"]),
                starts=cf.date_or_none(values["starts"], "starts"),
                ends=cf.date_or_none(values["ends"], "ends"),
                tasks=values["tasks"],
                preferred_carers=[int(v) for v in values["preferred_carers"] if v.isdecimal()],
            )
            until = timezone.localdate() + cf.GENERATE_AHEAD
            return services.series_generate(series=series, until=until, actor=request.user)

    def words(created):
        n = len(created)
        planned = f"{n} visit{'' if n == 1 else 's'}" if n else "no visits yet"
        return f"The series is set up: {planned} planned for the next four weeks."

    return _write(request, client, "visits", "series", values, names, do, words)


@login_required
@require_POST
def series_exception(request: HttpRequest, pk: int, series: int) -> HttpResponse:
    """One day of a series differs: no visit that day, or another window."""
    client = page.team_client_or_404(request, pk, "visits (to change a day of a series)")
    one = VisitSeries.objects.select_related("client__team").filter(pk=series, client=client)
    one = one.first()
    if one is None:
        raise Http404("No such series for this client.")
    values = cf.exception_values(request.POST)
    moved = values["change"] == "move"

    def do():
        return services.series_exception_add(
            actor=request.user,
            series=one,
            date=cf.date_or_none(values["date"], "date"),
            cancelled=not moved,
            window_start=cf.time_or_none(values["window_start"], "window_start") if moved else None,
            window_end=cf.time_or_none(values["window_end"], "window_end") if moved else None,
            note=values["note"],
        )

    def words(exception):
        day = f"{exception.date:%a %-d %b}"
        if exception.cancelled:
            return f"No visit on {day}."
        return f"On {day} the visit is {exception.window_start:%H:%M}–{exception.window_end:%H:%M}."

    key = ("exception", one.pk)
    return _write(request, client, "visits", key, values, cf.EXCEPTION, do, words)


@login_required
@require_POST
def visit_action(request: HttpRequest, pk: int, visit: int, action: str) -> HttpResponse:
    """Take, assign, start, record, cancel or mark missed one visit of the client."""
    if action not in ACTIONS:
        raise Http404("No such thing to do with a visit.")
    client = page.team_client_or_404(request, pk, f"visit (to {ACTIONS[action]})")
    found = (
        Visit.objects.select_related("client__team", "assignee")
        .filter(pk=visit, client=client)
        .first()
    )
    if found is None:
        raise Http404("No such visit for this client.")
    user, raw_version = request.user, request.POST.get("version", "")
    values: dict = {}
    names: tuple = ()

    def version() -> int:
        return cf.version_of(raw_version)

    if action == "take":

        def do():
            return services.visit_assign(actor=user, visit=found, person=user, version=version())

        def words(v):
            return f"You are going on {_when(v)}."

    elif action == "assign":
        values, names = {"assignee": request.POST.get("assignee", "")}, ("assignee",)

        def do():
            person = _person(values["assignee"])
            return services.visit_assign(actor=user, visit=found, person=person, version=version())

        def words(v):
            if v.assignee is None:
                return f"Nobody is going yet on {_when(v)}."
            return f"{v.assignee.display_name} is going on {_when(v)}."

    elif action == "start":

        def do():
            return services.visit_start(actor=user, visit=found, version=version())

        def words(v):
            return f"Started at {timezone.localtime(v.actual_start):%H:%M}."

    elif action == "finish":
        values, names = cf.finish_values(request.POST), ("actual_start", "actual_end", "note")

        def do():
            return _finish(user, found, values, raw_version)

        def words(v):
            return f"Recorded as done: {visit_minutes(v.actual_start, v.actual_end)} minutes."

    else:  # cancel, missed
        values, names = cf.visit_reason_values(request.POST), ("reason",)
        service = services.visit_cancel if action == "cancel" else services.visit_mark_missed

        def do():
            return service(actor=user, visit=found, version=version(), reason=values["reason"])

        def words(v):
            done = "cancelled" if action == "cancel" else "marked missed"
            return f"The visit on {_when(v)} is {done}."

    values["version"] = raw_version
    return _write(request, client, "visits", (action, found.pk), values, names, do, words)


def _finish(user: Person, visit: Visit, values: dict, raw_version: str) -> Visit:
    """Record the visit done. One that was never started in Kith (recorded afterwards)
    is started at the arrival time first, in the same transaction, so a refused
    recording leaves it as it was."""
    key = values["idempotency_key"].strip() or None
    start = cf.moment_or_none(values["actual_start"], "actual_start")
    end = cf.moment_or_none(values["actual_end"], "actual_end")
    note = cf.finish_note(values)
    try:
        with transaction.atomic():
            version = cf.version_of(raw_version)
            if visit.status in Visit.OPEN_STATUSES:
                if start is None:
                    raise ValidationError({"actual_start": ["Required: when the visit began."]})
                visit = services.visit_start(actor=user, visit=visit, version=version, at=start)
                version = visit.version
            return services.visit_finish(
                actor=user,
                visit=visit,
                version=version,
                actual_start=start,
                actual_end=end,
                note=note,
                idempotency_key=key,
            )
    except Conflict:
        # Two sends of the same form at once: the other one recorded it, with this key.
        if key is not None and (first := visit_recorded_with(visit, key, user)):
            return first
        raise


# --- the budget ------------------------------------------------------------------------------


@login_required
@require_POST
def budget_setup(request: HttpRequest, pk: int) -> HttpResponse:
    """Set up the client's budget; one already there is replaced (and kept, inactive)."""
    client = page.team_client_or_404(request, pk, "personal budget (to set it up)")
    values = cf.budget_values(request.POST)

    def do():
        return services.budget_create(
            actor=request.user,
            client=client,
            kind=values["kind"],
            period=values["period"],
            allocation=cf.money_text(values["allocation"]),
            hourly_rate=cf.money_text(values["hourly_rate"]),
            starts=cf.date_or_none(values["starts"], "starts"),
            funder=values["funder"],
        )

    def words(budget):
        return (
            f"The budget is set up: {cf.money(budget.allocation)}"
            f" {budget.get_period_display().lower()}."
        )

    return _write(request, client, "budget", "budget", values, cf.BUDGET, do, words)


@login_required
@require_POST
def ledger_entry(request: HttpRequest, pk: int, budget: int) -> HttpResponse:
    """Add a purchase, an adjustment or a correction to the budget's ledger."""
    client = page.team_client_or_404(request, pk, "personal budget (to add to its ledger)")
    found = Budget.objects.select_related("client__team").filter(pk=budget, client=client).first()
    if found is None:
        raise Http404("No such budget for this client.")
    values = cf.entry_values(request.POST)

    def do():
        corrects = values["corrects"].strip()
        return services.ledger_add(
            actor=request.user,
            budget=found,
            kind=values["kind"],
            amount=cf.signed_amount(values),
            reason=values["reason"],
            corrects=int(corrects) if corrects.isdecimal() else None,
            on=cf.date_or_none(values["on"], "on"),
            idempotency_key=values["idempotency_key"].strip() or None,
        )

    def words(entry):
        return f"{entry.get_kind_display()} {cf.signed_money(entry.amount)} is in the ledger."

    return _write(request, client, "budget", "entry", values, cf.ENTRY, do, words)
