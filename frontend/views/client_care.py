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

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from care.selectors import visits as visit_selectors
from care.selectors.budgets import budget_of
from care.services import budgets as budget_services
from care.services import visits as visit_services
from care.services.budgets import visit_minutes
from frontend import client_forms as cf
from frontend import writes
from frontend.views import client_sections as sections
from frontend.views.client_sections import ACTIONS, when
from frontend.views.common import confirmed_overlap, found_or_404
from teams import selectors as team_selectors
from teams.http import PageRequest
from teams.models import Person

# --- writes ---------------------------------------------------------------------------------


def _person(raw: str) -> Person | None:
    """The person chosen in a "who is going" list (the service checks they may go)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    person = team_selectors.person_by_id(int(raw)) if raw.isdecimal() else None
    if person is None:
        raise ValidationError({"assignee": ["No such person."]})
    return person


@login_required
@require_POST
def visit_plan(request: PageRequest, pk: int) -> HttpResponse:
    client = sections.team_client_or_404(request, pk, "visits (to plan one)")
    values = cf.plan_visit_values(request.POST)

    def do():
        start, end = cf.visit_window(values)
        return visit_services.visit_plan(
            actor=request.user,
            client=client,
            window_start=start,
            window_end=end,
            expected_minutes=cf.number_or_raw(values["expected_minutes"]),
            tasks=values["tasks"],
            interventions=cf.ticked_lines(values),
            assignee=_person(values["assignee"]),
        )

    def words(visit):
        return f"The visit on {when(visit)} is planned."

    names = (*cf.PLAN_VISIT, "interventions")
    return sections.write(
        request, client, "visits", do, done=words, values=values, fields=names, key="plan"
    )


@login_required
@require_POST
def visit_series(request: PageRequest, pk: int) -> HttpResponse:
    """Start a repeating series and plan its visits for the next four weeks, at once."""
    client = sections.team_client_or_404(request, pk, "visits (to start a series)")
    values = cf.series_values(request.POST)
    names = (*cf.SERIES, "weekdays", "preferred_carers", "interventions")

    def do():
        return visit_services.series_start(
            actor=request.user,
            client=client,
            weekdays=cf.numbers_or_raw(values["weekdays"]),
            window_start=cf.time_or_none(values["window_start"], "window_start"),
            window_end=cf.time_or_none(values["window_end"], "window_end"),
            expected_minutes=cf.number_or_raw(values["expected_minutes"]),
            starts=cf.date_or_none(values["starts"], "starts"),
            ends=cf.date_or_none(values["ends"], "ends"),
            tasks=values["tasks"],
            interventions=cf.ticked_lines(values),
            preferred_carers=[int(v) for v in values["preferred_carers"] if v.isdecimal()],
        )

    def words(started):
        _series, created = started
        n = len(created)
        planned = f"{n} visit{'' if n == 1 else 's'}" if n else "no visits yet"
        return f"The series is set up: {planned} planned for the next four weeks."

    return sections.write(
        request, client, "visits", do, done=words, values=values, fields=names, key="series"
    )


@login_required
@require_POST
def series_exception(request: PageRequest, pk: int, series: int) -> HttpResponse:
    """One day of a series differs: no visit that day, or another window."""
    client = sections.team_client_or_404(request, pk, "visits (to change a day of a series)")
    one = found_or_404(visit_selectors.series_of(client, series), "No such series for this client.")
    values = cf.exception_values(request.POST)
    moved = values["change"] == "move"

    def do():
        return visit_services.series_exception_add(
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
    return sections.write(
        request, client, "visits", do, done=words, values=values, fields=cf.EXCEPTION, key=key
    )


@login_required
@require_POST
def visit_action(request: PageRequest, pk: int, visit: int, action: str) -> HttpResponse:
    """Take, assign, start, record, cancel or mark missed one visit of the client."""
    doing = found_or_404(ACTIONS.get(action), "No such thing to do with a visit.")
    client = sections.team_client_or_404(request, pk, f"visit (to {doing})")
    found = found_or_404(visit_selectors.visit_of(client, visit), "No such visit for this client.")
    user, raw_version = request.user, request.POST.get("version", "")
    values: dict = {}
    names: tuple = ()

    def version() -> int:
        return writes.version_from(request.POST)

    if action == "take":

        def do():
            return visit_services.visit_assign(
                actor=user,
                visit=found,
                person=user,
                version=version(),
                confirm_overlap=confirmed_overlap(request),
            )

        def words(v):
            return f"You are going on {when(v)}."

    elif action == "assign":
        values, names = {"assignee": request.POST.get("assignee", "")}, ("assignee",)

        def do():
            person = _person(values["assignee"])
            return visit_services.visit_assign(
                actor=user,
                visit=found,
                person=person,
                version=version(),
                confirm_overlap=confirmed_overlap(request),
            )

        def words(v):
            if v.assignee is None:
                return f"Nobody is going yet on {when(v)}."
            return f"{v.assignee.display_name} is going on {when(v)}."

    elif action == "start":
        values = {name: request.POST.get(name, "") for name in ("went", "reason")}
        names = ("went", "reason")

        def do():
            went, reason = values["went"], values["reason"]
            return visit_services.visit_start(
                actor=user, visit=found, version=version(), went=went, reason=reason
            )

        def words(v):
            return f"Started at {timezone.localtime(v.actual_start):%H:%M}."

    elif action == "finish":
        values = cf.finish_values(request.POST)
        names = ("actual_start", "actual_end", "note", "went", "reason", "interventions")

        def do():
            planned = visit_selectors.plan_for_recording(client, [found])[found.pk]
            return visit_services.visit_record(
                actor=user,
                visit=found,
                version=version(),
                actual_start=cf.moment_or_none(values["actual_start"], "actual_start"),
                actual_end=cf.moment_or_none(values["actual_end"], "actual_end"),
                note=cf.finish_note(values),
                idempotency_key=values["idempotency_key"].strip() or None,
                **cf.recorded(values, planned),
            )

        def words(v):
            return f"Recorded as done: {visit_minutes(v.actual_start, v.actual_end)} minutes."

    else:  # cancel, missed
        values, names = cf.visit_reason_values(request.POST), ("reason",)
        service = (
            visit_services.visit_cancel if action == "cancel" else visit_services.visit_mark_missed
        )

        def do():
            return service(actor=user, visit=found, version=version(), reason=values["reason"])

        def words(v):
            done = "cancelled" if action == "cancel" else "marked missed"
            return f"The visit on {when(v)} is {done}."

    values["version"] = raw_version
    return sections.write(
        request,
        client,
        "visits",
        do,
        done=words,
        values=values,
        fields=names,
        key=(action, found.pk),
    )


# --- the budget ------------------------------------------------------------------------------


@login_required
@require_POST
def budget_setup(request: PageRequest, pk: int) -> HttpResponse:
    """Set up the client's budget; one already there is replaced (and kept, inactive)."""
    client = sections.team_client_or_404(request, pk, "personal budget (to set it up)")
    values = cf.budget_values(request.POST)

    def do():
        return budget_services.budget_create(
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

    return sections.write(
        request, client, "budget", do, done=words, values=values, fields=cf.BUDGET, key="budget"
    )


@login_required
@require_POST
def ledger_entry(request: PageRequest, pk: int, budget: int) -> HttpResponse:
    """Add a purchase, an adjustment or a correction to the budget's ledger."""
    client = sections.team_client_or_404(request, pk, "personal budget (to add to its ledger)")
    found = found_or_404(budget_of(client, budget), "No such budget for this client.")
    values = cf.entry_values(request.POST)

    def do():
        corrects = values["corrects"].strip()
        return budget_services.ledger_add(
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

    return sections.write(
        request, client, "budget", do, done=words, values=values, fields=cf.ENTRY, key="entry"
    )
