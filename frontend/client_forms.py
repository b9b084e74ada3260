"""The forms of clients' records: their fields and turning what was typed into the
arguments the care services take.

As in ``frontend.forms``: no rules here. The services validate and name the field;
this module lays fields out, keeps what was typed (as strings) and turns strings
into the shapes the services expect, passing anything it cannot read on unchanged so
the service's own message names the field.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from care.models import (
    Budget,
    Client,
    Grant,
    LedgerEntry,
    NetworkMember,
    OmahaScale,
    PlanIntervention,
)
from care.models.visits import WEEKDAY_NAMES, Visit, VisitSeriesException
from care.services import clients as client_services
from care.services.visits import WENT_HOLDER, WENT_ME
from frontend.forms import Field
from teams.cleaning import limit_of

NOT_A_DATE = "Not a date (YYYY-MM-DD)."

CLIENT_LABELS = {
    name: (label, {**attrs, "autocomplete": "off", "maxlength": limit_of(Client, name)})
    for name, label, attrs in (
        ("first_name", "First name", {}),
        ("last_name", "Last name", {}),
        ("preferred_name", "Preferred name (optional)", {}),
        ("postcode", "Postcode", {}),
        ("address", "Address", {}),
        ("phone", "Phone", {"inputmode": "tel"}),
    )
}
TAKE_ON = ("first_name", "last_name", "preferred_name", "postcode", "address", "phone")
DETAILS = tuple(client_services.CLIENT_FIELDS)  # what client_update can change

NETWORK = (
    ("relationship", "Relationship", "e.g. daughter, neighbour, GP, pharmacist"),
    ("name", "Name", ""),
    ("organisation", "Organisation (optional)", "For the formal circle: the practice, pharmacy…"),
    ("phone", "Phone (optional)", ""),
    ("email", "Email (optional)", ""),
    ("takes_on", "What they help with (optional)", "e.g. shopping on Saturdays"),
)


def _fields(names, values: dict, errors: dict) -> list[Field]:
    fields = []
    for name in names:
        label, attrs = CLIENT_LABELS[name]
        widget = "tel" if name == "phone" else "text"
        help_ = "What they like to be called." if name == "preferred_name" else ""
        fields.append(
            Field(name, label, widget, value=values.get(name, ""), attrs=attrs, help=help_)
        )
    return _with_errors(fields, errors)


def fresh(values: dict) -> dict:
    """A form as a page first shows it: these values, no messages yet."""
    return {"values": values, "errors": {}}


def _values(names, post: QueryDict | None, defaults: dict | None = None) -> dict:
    """What was typed in the fields ``names``; with no form sent, empty but for the
    defaults."""
    if post is None:
        return dict.fromkeys(names, "") | (defaults or {})
    return {name: post.get(name, "") for name in names}


def _with_errors(fields: list, errors: dict, form: str = "") -> list:
    """The fields with their messages (and, for a form of several of a kind on the
    page, its prefix)."""
    for f in fields:
        f.errors = errors.get(f.name, [])
        if form:
            f.form = form
    return fields


def _today_iso() -> str:
    return timezone.localdate().isoformat()


# --- taking on a client, and their details -----------------------------------------------


def take_on_values(post: QueryDict | None = None) -> dict:
    return _values((*TAKE_ON, "date_of_birth"), post)


def take_on_fields(values: dict, errors: dict) -> list[Field]:
    fields = _fields(TAKE_ON, values, errors)
    dob = Field(
        "date_of_birth",
        "Date of birth (optional)",
        "date",
        value=values.get("date_of_birth", ""),
        errors=errors.get("date_of_birth", []),
    )
    return [*fields[:3], dob, *fields[3:]]


def details_values(client: Client) -> dict:
    return {name: getattr(client, name) for name in DETAILS} | {"version": client.version}


def details_fields(values: dict, errors: dict) -> list[Field]:
    return _fields(DETAILS, values, errors)


# --- small parsers ------------------------------------------------------------------------


def _parsed[T](raw: str, field: str, parse: Callable[[str], T], message: str) -> T | None:
    """What was typed, read by ``parse``, or None when empty; text it cannot read is
    refused at ``field``."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError:
        raise ValidationError({field: [message]}) from None


def date_or_none(raw: str, field: str) -> datetime.date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends), or None when empty."""
    return _parsed(raw, field, datetime.date.fromisoformat, NOT_A_DATE)


def number_or_raw(raw: str):
    """An int when the text is one; else the text itself, for the service to refuse
    with its own words (it names the field)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() else raw


def end_of_day(day: datetime.date | None) -> datetime.datetime | None:
    """ "Until 3 June" means through 3 June: the grant ends as 4 June begins, locally."""
    if day is None:
        return None
    start = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min)
    return timezone.make_aware(start)


def last_day(expires_at: datetime.datetime | None) -> datetime.date | None:
    """The last day a grant holds (at any moment of it): the day before it ends, when it
    ends at midnight as the portal's grants do."""
    if expires_at is None:
        return None
    return timezone.localtime(expires_at - datetime.timedelta(microseconds=1)).date()


# --- status -------------------------------------------------------------------------------


def status_choices(client: Client) -> list[tuple[str, str]]:
    allowed = client_services.ALLOWED_STATUS_CHANGES.get(client.status, set())
    return [(value, label) for value, label in Client.Status.choices if value in allowed]


def status_values(post: QueryDict | None = None) -> dict:
    return _values(("status", "on", "note"), post, {"on": _today_iso()})


# --- the support network ------------------------------------------------------------------


def network_values(post: QueryDict | None = None) -> dict:
    names = ("circle", *(name for name, *_ in NETWORK))
    return _values(names, post, {"circle": NetworkMember.Circle.INFORMAL})


def network_fields(values: dict, errors: dict) -> list[Field]:
    fields = []
    for name, label, help_ in NETWORK:
        widget = "textarea" if name == "takes_on" else ("email" if name == "email" else "text")
        attrs = {"inputmode": "tel"} if name == "phone" else {}
        fields.append(
            Field(name, label, widget, value=values.get(name, ""), help=help_, rows=2, attrs=attrs)
        )
    return _with_errors(fields, errors)


CIRCLES = [
    (NetworkMember.Circle.INFORMAL.value, "Informal: family, friends, neighbours, volunteers"),
    (NetworkMember.Circle.FORMAL.value, "Formal: GP, pharmacist, therapists, social worker"),
]


# --- the care plan ------------------------------------------------------------------------

SCALE_LABELS = {s.value: s.label for s in OmahaScale}


def problem_values(post: QueryDict | None = None, version: int = 1) -> dict:
    values = _values(
        ("problem", "scope", "severity", "version"),
        post,
        {"scope": "individual", "version": str(version)},
    )
    return values | {"signs": post.getlist("signs") if post is not None else []}


def intervention_values(post: QueryDict | None = None, version: int = 1) -> dict:
    names = ("category", "target", "description", "frequency", "version")
    return _values(names, post, {"version": str(version)})


def rating_values(post: QueryDict | None = None) -> dict:
    names = ("knowledge", "behavior", "status", "rated_on", "note")
    return _values(names, post, {"rated_on": _today_iso()})


def rating_scales(values: dict, errors: dict, anchors: dict) -> list[dict]:
    """The three radio groups of a rating, each with the Omaha anchor wording."""
    return [
        {
            "name": scale,
            "label": SCALE_LABELS[scale],
            "value": str(values.get(scale, "")),
            "errors": errors.get(scale, []),
            "anchors": [(str(n), words) for n, words in anchors.get(scale, [])],
        }
        for scale in ("knowledge", "behavior", "status")
    ]


# --- sharing (the portal) -------------------------------------------------------------------

SCOPES = list(Grant.Scope.choices)


def sharing_values(post: QueryDict) -> dict:
    return {
        "scopes": [s for s in post.getlist("scopes") if s in Grant.Scope.values],
        "until": post.get("until", ""),
    }


# --- visits -----------------------------------------------------------------------------------

NOT_A_TIME = "Not a time (HH:MM)."
NOT_A_MOMENT = "Not a date and time."
WEEKDAYS = [(str(day), name) for day, name in enumerate(WEEKDAY_NAMES)]


@dataclass
class FormField(Field):
    """A field of one of several forms of a kind on the page (one per visit, one per
    series): its id carries the form's own prefix, so labels and messages stay paired."""

    form: str = ""

    @property
    def id(self) -> str:
        return f"{self.form}-{self.name.replace('_', '-')}"


def time_or_none(raw: str, field: str) -> datetime.time | None:
    """A time typed as HH:MM (what <input type=time> sends), or None when empty."""
    return _parsed(raw, field, datetime.time.fromisoformat, NOT_A_TIME)


def moment_or_none(raw: str, field: str) -> datetime.datetime | None:
    """A local date and time as <input type=datetime-local> sends it, made aware in
    the team's time zone; None when empty."""
    moment = _parsed(raw, field, datetime.datetime.fromisoformat, NOT_A_MOMENT)
    if moment is not None and timezone.is_naive(moment):
        moment = moment.replace(tzinfo=timezone.get_default_timezone())
    return moment


def local_input(moment: datetime.datetime | None) -> str:
    """A moment as a datetime-local field shows it (local time, to the minute)."""
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def on_day(day: datetime.date | None, at: datetime.time | None) -> datetime.datetime | None:
    """A day and a wall-clock time in the team's time zone (as the services build a
    series' visits), or None when either is missing (the service names the field)."""
    if day is None or at is None:
        return None
    return datetime.datetime.combine(day, at, tzinfo=timezone.get_default_timezone())


def numbers_or_raw(raws) -> list:
    return [number_or_raw(raw) for raw in raws]


# A one-off visit.

PLAN_VISIT = ("date", "window_start", "window_end", "expected_minutes", "tasks", "assignee")


def plan_visit_values(post: QueryDict | None = None) -> dict:
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    values = _values(PLAN_VISIT, post, {"date": tomorrow.isoformat()})
    return values | {"interventions": post.getlist("interventions") if post is not None else []}


def line_label(line: PlanIntervention) -> str:
    """A line of the plan as a tick names it: its target, category and what is done."""
    return f"{line.target.name} ({line.category.name}): {line.description}"


def what_for(values: dict, lines: list[PlanIntervention]) -> list[FormField]:
    """What a visit (or every visit of a series) is for: the plan's lines as ticks, none
    when the plan has none yet."""
    if not lines:
        return []
    chosen = set(values["interventions"])
    choices = [(str(line.pk), line_label(line), str(line.pk) in chosen) for line in lines]
    help_ = "The plan's interventions it is for: the record sheet ticks them to start with."
    return [
        FormField(
            "interventions", "What it is for (optional)", "checkboxes", choices=choices, help=help_
        )
    ]


def ticked_lines(values: dict) -> list:
    """The ticked lines' ids, as sent where they are no id (the service names them)."""
    return [_id_or_as_sent(value) for value in values["interventions"]]


def visit_window(values: dict) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The window typed as a day and two times."""
    day = date_or_none(values["date"], "date")
    if day is None:
        raise ValidationError({"date": ["Required: the day of the visit."]})
    start = time_or_none(values["window_start"], "window_start")
    end = time_or_none(values["window_end"], "window_end")
    return on_day(day, start), on_day(day, end)


def _window_fields(values: dict) -> list[FormField]:
    return [
        FormField("window_start", "Arriving from", "time", value=values["window_start"]),
        FormField("window_end", "Arriving by", "time", value=values["window_end"]),
    ]


def _visit_fields(values: dict) -> list[FormField]:
    """The window, how long and what to do: what a visit and a series both say."""
    minutes = FormField(
        "expected_minutes",
        "Expected minutes",
        "number",
        value=values["expected_minutes"],
        help="How long the visit takes: what it costs the budget.",
        attrs={"min": 1, "max": 720, "step": 1, "inputmode": "numeric"},
    )
    tasks = FormField(
        "tasks",
        "Tasks (optional)",
        "textarea",
        value=values["tasks"],
        rows=2,
        help="e.g. help with washing and breakfast; set out the tablets",
    )
    return [*_window_fields(values), minutes, tasks]


def _by_name(fields: list[FormField], errors: dict, form: str) -> dict:
    return {f.name: f for f in _with_errors(fields, errors, form)}


def plan_visit_fields(values: dict, errors: dict, members: list, lines: list) -> dict:
    """The plan form's fields, by name (the template lays the two times side by side)."""
    fields = [
        FormField("date", "Day", "date", value=values["date"]),
        *_visit_fields(values),
        *what_for(values, lines),
        FormField(
            "assignee",
            "Who is going (optional)",
            "select",
            value=values["assignee"],
            choices=members,
            help="Leave it open for anyone in the team to take.",
        ),
    ]
    return _by_name(fields, errors, "plan")


# A repeating series, and one day of it that differs.

SERIES = ("window_start", "window_end", "expected_minutes", "tasks", "starts", "ends")


def series_values(post: QueryDict | None = None) -> dict:
    values = _values(SERIES, post, {"starts": _today_iso()})
    values["weekdays"] = post.getlist("weekdays") if post is not None else []
    values["preferred_carers"] = post.getlist("preferred_carers") if post is not None else []
    values["interventions"] = post.getlist("interventions") if post is not None else []
    return values


def series_fields(values: dict, errors: dict, members: list, lines: list) -> dict:
    chosen = set(values["preferred_carers"])
    fields = [
        *_visit_fields(values),
        *what_for(values, lines),
        FormField("starts", "From", "date", value=values["starts"]),
        FormField("ends", "Until (optional)", "date", value=values["ends"]),
        FormField(
            "preferred_carers",
            "Preferred carers (optional)",
            "checkboxes",
            choices=[(pk, name, pk in chosen) for pk, name in members],
            help="Who the client knows best: the team gives them these visits first.",
        ),
    ]
    return _by_name(fields, errors, "series")


def weekday_choices(values: dict) -> list[tuple[str, str, bool]]:
    chosen = set(values["weekdays"])
    return [(value, name, value in chosen) for value, name in WEEKDAYS]


EXCEPTION = ("date", "change", "window_start", "window_end", "note")


def exception_values(post: QueryDict | None = None) -> dict:
    return _values(EXCEPTION, post, {"change": "cancel"})


def exception_fields(series_pk: int, values: dict, errors: dict) -> dict:
    fields = [
        FormField("date", "Which day", "date", value=values["date"]),
        *_window_fields(values),
        FormField(
            "note",
            "Why (optional)",
            value=values["note"],
            attrs={"maxlength": limit_of(VisitSeriesException, "note")},
        ),
    ]
    return _by_name(fields, errors, f"series-{series_pk}")


# What is done to one visit.


def visit_reason_values(post: QueryDict | None = None) -> dict:
    return _values(("reason",), post)


def assign_values(post: QueryDict | None = None, assignee_id: int | None = None) -> dict:
    if post is None:
        return {"person": str(assignee_id or "")}
    return {"person": post.get("person", "")}


FINISH = ("actual_start", "actual_end", "done", "note", "went", "reason", "idempotency_key")


def finish_values(post: QueryDict | None = None, *, start=None, end=None) -> dict:
    """A fresh record-done form carries a new idempotency key: submitting it twice
    (a double tap, a retry) records and debits once. ``interventions``: the ticked plan
    lines; None until the form was sent (then the visit's planned ones are ticked). The
    re-ratings' fields (``rating-<problem>-<scale>``) are kept as sent."""
    if post is not None:
        rerated = {name: post.get(name, "") for name in post if RATING_FIELD.fullmatch(name)}
        return _values(FINISH, post) | rerated | {"interventions": post.getlist("interventions")}
    fresh = {"actual_start": local_input(start), "actual_end": local_input(end)}
    key = {"idempotency_key": uuid.uuid4().hex}
    return _values(FINISH, None, fresh | key) | {"interventions": None}


def finish_note(values: dict) -> str:
    """What was done and the note, as the one note a visit keeps."""
    parts = [values["done"].strip(), values["note"].strip()]
    return "\n\n".join(part for part in parts if part)


def _id_or_as_sent(value: str) -> int | str:
    """A ticked line's id as a number when it is one a key can hold; else as sent, for
    the service to refuse by name."""
    return int(value) if value.isascii() and value.isdecimal() and len(value) <= 18 else value


def recorded(values: dict, planned: Iterable[tuple[Any, bool]]) -> dict:
    """The record form's answers as ``visit_record`` takes them besides the times and
    note: who went, why it began far from its window, and each plan line ticked (done)
    or planned and left unticked (not done). Ids are passed as sent: the service refuses
    one that is not a line of the plan."""
    ticked = {_id_or_as_sent(v) for v in values.get("interventions") or ()}
    done: dict = dict.fromkeys(ticked, True)
    done |= {
        line.pk: False for line, was_planned in planned if was_planned and line.pk not in ticked
    }
    return {
        "went": values["went"],
        "reason": values["reason"],
        "interventions": done or None,
        "ratings": ratings(values) or None,
    }


# A re-rating's field on the record sheet: the plan problem's id and the scale.
RATING_FIELD = re.compile(r"rating-(\d{1,18})-(knowledge|behavior|status)")


def ratings(values: dict) -> list[dict]:
    """The re-ratings as ``visit_record`` takes them: one for each problem with any of
    its three scales chosen (a scale left blank is None, for the service to ask for all
    three); a problem left blank is not re-rated."""
    chosen: dict[int, dict[str, Any]] = {}
    for name, raw in values.items():
        match = RATING_FIELD.fullmatch(name)
        if match is None:
            continue
        problem, scale = int(match[1]), match[2]
        text = (raw or "").strip()
        chosen.setdefault(problem, {})[scale] = number_or_raw(text) if text else None
    return [
        {"problem": problem} | {scale: scales.get(scale) for scale in SCALE_LABELS}
        for problem, scales in sorted(chosen.items())
        if any(value is not None for value in scales.values())
    ]


def rating_fields(visit: Visit, values: dict, errors: dict, problems, anchors: dict) -> list:
    """The record sheet's re-ratings: for each problem, its three scales as lists with
    the Omaha wording, blank to leave it; folded until one is chosen or refused."""
    form = f"finish-{visit.pk}"
    shown = []
    for problem in problems:
        fields = [
            FormField(
                f"rating-{problem.pk}-{scale}",
                label,
                "select",
                value=values.get(f"rating-{problem.pk}-{scale}", ""),
                choices=[(str(n), f"{n} {words}") for n, words in anchors.get(scale, [])],
            )
            for scale, label in SCALE_LABELS.items()
        ]
        _with_errors(fields, errors, form)
        shown.append(
            {
                "id": f"{form}-rerate-{problem.pk}",
                "name": problem.problem.name,
                "fields": fields,
                "open": any(f.value or f.errors for f in fields),
            }
        )
    return shown


def finish_fields(visit: Visit, values: dict, errors: dict, planned: list) -> list[FormField]:
    """The record-done form: the real times, who went (for whoever does not hold it: the
    page shows it to them only), why it began far from its window (once asked), the
    plan's lines for it as ticks, and notes."""
    fields = [
        FormField("actual_start", "Arrived", "datetime-local", value=values["actual_start"]),
        FormField("actual_end", "Left", "datetime-local", value=values["actual_end"]),
    ]
    if values["reason"] or errors.get("reason"):
        fields.append(
            FormField("reason", "Why it began so far from its window", value=values["reason"])
        )
    if visit.assignee_id is not None and visit.status in Visit.OPEN_STATUSES:
        holder = visit.assignee.display_name if visit.assignee else "the colleague"
        choices = [
            (WENT_ME, "I went instead: I take the visit", values["went"] == WENT_ME),
            (WENT_HOLDER, f"{holder} went: I record it for them", values["went"] == WENT_HOLDER),
        ]
        fields.insert(0, FormField("went", "Who went", "radios", choices=choices))
    if planned:
        ticked = values["interventions"]
        choices = [
            (
                str(line.pk),
                line_label(line),
                was_planned if ticked is None else str(line.pk) in ticked,
            )
            for line, was_planned in planned
        ]
        help_ = "Ticked: done. Untick what was not done; tick what was done besides."
        fields.append(
            FormField("interventions", "The plan", "checkboxes", choices=choices, help=help_)
        )
    fields += [
        FormField("done", "What was done", "textarea", value=values["done"], rows=2),
        FormField(
            "note",
            "Anything to note (optional)",
            "textarea",
            value=values["note"],
            rows=2,
            help="What the next carer or the family should know.",
        ),
    ]
    return _with_errors(fields, errors, f"finish-{visit.pk}")


# --- the personal budget ----------------------------------------------------------------------

BUDGET = ("kind", "funder", "period", "allocation", "hourly_rate", "starts")
BUDGET_KINDS = list(Budget.Kind.choices)
BUDGET_PERIODS = list(Budget.Period.choices)


def money(amount: Decimal) -> str:
    """£1,234.50; money owed shows its minus sign: −£12.50."""
    sign = "−" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def signed_money(amount: Decimal) -> str:
    """A ledger amount: −£12.50 out of the budget, +£10.00 back into it."""
    return money(amount) if amount < 0 else f"+{money(amount)}"


def budget_values(post: QueryDict | None = None) -> dict:
    return _values(BUDGET, post, {"period": "four_weekly", "starts": _today_iso()})


def _money_attrs() -> dict:
    return {"inputmode": "decimal", "autocomplete": "off", "maxlength": 14}


def budget_fields(values: dict, errors: dict) -> list[FormField]:
    fields = [
        FormField("kind", "Kind of budget", "select", value=values["kind"], choices=BUDGET_KINDS),
        FormField(
            "funder",
            "Funder (optional)",
            value=values["funder"],
            help="The council, the trust, or the client.",
            attrs={"maxlength": limit_of(Budget, "funder")},
        ),
        FormField("period", "Per", "select", value=values["period"], choices=BUDGET_PERIODS),
        FormField(
            "allocation",
            "Allocation per period (£)",
            value=values["allocation"],
            help="e.g. 1250.00",
            attrs=_money_attrs(),
        ),
        FormField(
            "hourly_rate",
            "Hourly rate of care (£)",
            value=values["hourly_rate"],
            help="What an hour of a visit costs the budget, e.g. 32.50",
            attrs=_money_attrs(),
        ),
        FormField("starts", "From", "date", value=values["starts"]),
    ]
    return _with_errors(fields, errors, "budget")


ENTRY = ("kind", "direction", "amount", "reason", "on", "corrects", "idempotency_key")
ENTRY_KINDS = [
    (LedgerEntry.Kind.PURCHASE.value, "Purchase: something bought from the budget"),
    (LedgerEntry.Kind.ADJUSTMENT.value, "Adjustment: a top-up, a refund, a charge"),
    (LedgerEntry.Kind.CORRECTION.value, "Correction of an entry below"),
]
DIRECTIONS = [("out", "Money out of the budget"), ("in", "Money back into it")]


def entry_values(post: QueryDict | None = None) -> dict:
    if post is not None:
        return _values(ENTRY, post)
    fresh = {"kind": LedgerEntry.Kind.PURCHASE.value, "direction": "out", "on": _today_iso()}
    return _values(ENTRY, None, fresh | {"idempotency_key": uuid.uuid4().hex})


def money_text(raw: str) -> str:
    """A sum as people type it ("£1,250.00") as the services read it ("1250.00")."""
    return (raw or "").strip().removeprefix("£").replace(",", "")


def signed_amount(values: dict):
    """The ledger's signed amount from what was typed: a positive sum and which way it
    goes (a purchase is always money out). Text that is not a sum is passed on as it
    is, for the service to refuse at ``amount``."""
    raw = money_text(values["amount"])
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        return values["amount"]
    if not amount.is_finite():
        return values["amount"]
    out = values["kind"] == LedgerEntry.Kind.PURCHASE or values["direction"] != "in"
    return -abs(amount) if out else abs(amount)


def entry_fields(values: dict, errors: dict, correctable: list) -> list[FormField]:
    fields = [
        FormField(
            "amount",
            "Amount (£)",
            value=values["amount"],
            help="e.g. 12.50",
            attrs=_money_attrs(),
        ),
        FormField(
            "reason",
            "Reason",
            "textarea",
            value=values["reason"],
            rows=2,
            help="What it was for: the client reads it in their statement.",
        ),
        FormField("on", "Day", "date", value=values["on"]),
        FormField(
            "corrects",
            "The entry it corrects (for a correction)",
            "select",
            value=values["corrects"],
            choices=correctable,
        ),
    ]
    return _with_errors(fields, errors, "entry")
