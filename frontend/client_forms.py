"""The forms of clients' records: their fields and turning what was typed into the
arguments the care services take.

As in ``frontend.forms``: no rules here. The services validate and name the field;
this module lays fields out, keeps what was typed (as strings) and turns strings
into the shapes the services expect, passing anything it cannot read on unchanged so
the service's own message names the field.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from care.models import Client, Grant, NetworkMember, OmahaScale
from care.services import clients as client_services
from frontend.forms import Field

NOT_A_DATE = "Not a date (YYYY-MM-DD)."
OUT_OF_DATE = "The form is out of date: reload the page."

CLIENT_LABELS = {
    "first_name": ("First name", {"autocomplete": "off", "maxlength": 80}),
    "last_name": ("Last name", {"autocomplete": "off", "maxlength": 80}),
    "preferred_name": ("Preferred name (optional)", {"autocomplete": "off", "maxlength": 80}),
    "postcode": ("Postcode", {"autocomplete": "off", "maxlength": 12}),
    "address": ("Address", {"autocomplete": "off", "maxlength": 200}),
    "phone": ("Phone", {"inputmode": "tel", "autocomplete": "off", "maxlength": 40}),
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
    for f in fields:
        f.errors = errors.get(f.name, [])
    return fields


# --- taking on a client, and their details -----------------------------------------------


def take_on_values(post: QueryDict | None = None) -> dict:
    names = (*TAKE_ON, "date_of_birth")
    return {name: (post.get(name, "") if post is not None else "") for name in names}


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


def date_or_none(raw: str, field: str) -> datetime.date | None:
    """A date typed as YYYY-MM-DD (what <input type=date> sends), or None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({field: [NOT_A_DATE]}) from None


def number_or_raw(raw: str):
    """An int when the text is one; else the text itself, for the service to refuse
    with its own words (it names the field)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else raw


def version_of(raw: str) -> int:
    if not (raw or "").isdigit():
        raise ValidationError({"version": [OUT_OF_DATE]})
    return int(raw)


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
    if post is None:
        return {"status": "", "on": timezone.localdate().isoformat(), "note": ""}
    return {name: post.get(name, "") for name in ("status", "on", "note")}


# --- the support network ------------------------------------------------------------------


def network_values(post: QueryDict | None = None) -> dict:
    names = ("circle", *(name for name, *_ in NETWORK))
    values = {name: (post.get(name, "") if post is not None else "") for name in names}
    if post is None:
        values["circle"] = NetworkMember.Circle.INFORMAL
    return values


def network_fields(values: dict, errors: dict) -> list[Field]:
    fields = []
    for name, label, help_ in NETWORK:
        widget = "textarea" if name == "takes_on" else ("email" if name == "email" else "text")
        attrs = {"inputmode": "tel"} if name == "phone" else {}
        fields.append(
            Field(
                name,
                label,
                widget,
                value=values.get(name, ""),
                help=help_,
                rows=2,
                attrs=attrs,
                errors=errors.get(name, []),
            )
        )
    return fields


CIRCLES = [
    (NetworkMember.Circle.INFORMAL.value, "Informal: family, friends, neighbours, volunteers"),
    (NetworkMember.Circle.FORMAL.value, "Formal: GP, pharmacist, therapists, social worker"),
]


# --- the care plan ------------------------------------------------------------------------

SCALE_LABELS = {s.value: s.label for s in OmahaScale}


def problem_values(post: QueryDict | None = None, version: int = 1) -> dict:
    if post is None:
        return {
            "problem": "",
            "scope": "individual",
            "severity": "",
            "signs": [],
            "version": str(version),
        }
    return {
        "problem": post.get("problem", ""),
        "scope": post.get("scope", ""),
        "severity": post.get("severity", ""),
        "signs": post.getlist("signs"),
        "version": post.get("version", ""),
    }


def intervention_values(post: QueryDict | None = None, version: int = 1) -> dict:
    names = ("category", "target", "description", "frequency")
    if post is None:
        return dict.fromkeys(names, "") | {"version": str(version)}
    return {name: post.get(name, "") for name in (*names, "version")}


def rating_values(post: QueryDict | None = None) -> dict:
    if post is None:
        return {
            "knowledge": "",
            "behavior": "",
            "status": "",
            "rated_on": timezone.localdate().isoformat(),
            "note": "",
        }
    return {
        name: post.get(name, "") for name in ("knowledge", "behavior", "status", "rated_on", "note")
    }


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
