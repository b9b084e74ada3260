"""The proposal forms: the fields every proposal has, the fields of its kind as the
kind declares them (``teams.decisions.Field``), and turning what was typed into the
arguments the services take.

No rules live here and no kind is named: the services validate (and name the field
in their ValidationError); this module maps each declared field type to a widget,
keeps what was typed and turns strings into the shapes the services expect. A
split's clients, with the suggestion and its reasons, come from ``care.split``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict

from care import split as care_split
from coordination.privacy import ClientDataWarning
from teams import decisions, selectors
from teams.cleaning import limit_of
from teams.decisions import DecisionKind
from teams.models import Proposal, Team
from teams.services import proposals as proposal_services

COMMON_FIELDS = ("title", "purpose", "details", "window_hours", "review_date")


@dataclass
class Field:
    """A field as a page shows it (``frontend/_field.html``)."""

    name: str
    label: str
    widget: str = "text"  # text, textarea, select, date, number, checkboxes, radios, roles
    value: Any = ""
    choices: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    help: str = ""
    rows: int = 3
    attrs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


# --- values: what was typed, or what to start from ------------------------------------------

# What a field holds when nothing was chosen, by type (the rest hold text: "").
EMPTY: dict[str, Any] = {decisions.PEOPLE: [], decisions.ROLE_FATES: {}}


def _empty(f: decisions.Field) -> Any:
    if f.type == decisions.SPLIT_CLIENTS:
        return None  # not chosen yet: the form shows the suggestion
    return type(EMPTY.get(f.type, ""))()


def _fields(kind: DecisionKind | None) -> list[decisions.Field]:
    return kind.form_fields() if kind is not None else []


def initial_values(team: Team, kind: DecisionKind, query: QueryDict | None = None) -> dict:
    """A fresh form: sensible defaults, then anything the link that led here said
    (the title, and the value of a field that chooses one thing)."""
    hours = int(proposal_services.DEFAULT_WINDOW.total_seconds() // 3600)
    values: dict[str, Any] = {
        "title": "",
        "purpose": "",
        "details": "",
        "window_hours": str(hours),
        "review_date": "",
    }
    for f in _fields(kind):
        values[f.name] = str(f.initial(team)) if f.initial else _empty(f)
        if f.type == decisions.SPLIT_CLIENTS:
            values[f"{f.name}_for"] = moving_key(values.get(f.depends_on, []))
        if query is not None and f.type in decisions.ONE_OF and query.get(f.name):
            values[f.name] = query[f.name]
    if query is not None and query.get("title"):
        values["title"] = query["title"]
    return values


def values_from_post(team: Team, kind: DecisionKind, post: QueryDict) -> dict:
    """What the person typed, kept as typed (strings), to show again on an error."""
    values: dict[str, Any] = {name: post.get(name, "") for name in COMMON_FIELDS}
    for f in _fields(kind):
        if f.type == decisions.PEOPLE:
            values[f.name] = post.getlist(f.name)
        elif f.type == decisions.ROLE_FATES:
            first = f.choices(team)[0][0] if f.choices else ""
            values[f.name] = {
                r.key: post.get(f"{f.name}.{r.key}", first) for r in selectors.roles_of(team)
            }
        elif f.type == decisions.SPLIT_CLIENTS:
            # The clients as ticked, and for which people they were shown; a form that
            # never showed them leaves the choice to the suggestion.
            shown = f"{f.name}_for" in post
            values[f.name] = post.getlist(f.name) if shown else None
            values[f"{f.name}_for"] = post.get(f"{f.name}_for", "")
        else:
            values[f.name] = post.get(f.name, "")
    return values


def values_from_proposal(proposal) -> dict:
    """The amend form starts from the proposal as it stands."""
    hours = proposal.window.total_seconds() / 3600
    values: dict[str, Any] = {
        "title": proposal.title,
        "purpose": proposal.purpose,
        "details": proposal.details,
        "window_hours": f"{hours:g}",
        "version": proposal.version,
    }
    payload = proposal.payload or {}
    for f in _fields(decisions.get(proposal.kind)):
        value = payload.get(f.name)
        if f.type == decisions.PEOPLE:
            values[f.name] = [str(pk) for pk in value or []]
        elif f.type == decisions.ROLE_FATES:
            values[f.name] = dict(value or {})
        elif f.type == decisions.SPLIT_CLIENTS:
            values[f.name] = None if value is None else [str(pk) for pk in value]
            values[f"{f.name}_for"] = moving_key(values.get(f.depends_on, []))
        else:
            values[f.name] = "" if value is None else str(value)
    return values


def payload_from_values(kind: DecisionKind, values: dict) -> dict:
    payload: dict[str, Any] = {}
    for f in _fields(kind):
        if f.type == decisions.PEOPLE:
            payload[f.name] = list(values.get(f.name, []))
        elif f.type == decisions.ROLE_FATES:
            payload[f.name] = dict(values.get(f.name, {}))
        elif f.type == decisions.SPLIT_CLIENTS:
            if values.get(f.name) is not None:
                payload[f.name] = list(values[f.name])
        else:
            payload[f.name] = values.get(f.name, "")
    return payload


# --- the clients who follow a split ---------------------------------------------------------


def moving_key(moving) -> str:
    """Who moves, as the form remembers it beside the clients it showed for them."""
    return ",".join(str(pk) for pk in sorted({int(m) for m in moving if str(m).isdecimal()}))


def split_clients_field(kind: DecisionKind | None) -> decisions.Field | None:
    return next((f for f in _fields(kind) if f.type == decisions.SPLIT_CLIENTS), None)


def split_clients_stale(f: decisions.Field, values: dict) -> bool:
    """The people ticked are not those the clients were suggested for."""
    return values.get(f.name) is not None and values.get(f"{f.name}_for", "") != moving_key(
        values.get(f.depends_on, [])
    )


def split_clients_suggested(team: Team, f: decisions.Field, values: dict) -> dict:
    """The values with the clients suggested afresh for the people ticked."""
    moving = values.get(f.depends_on, [])
    suggested = care_split.suggest(team, moving)
    return values | {f.name: [str(pk) for pk in suggested], f"{f.name}_for": moving_key(moving)}


def split_refresh(
    team: Team, kind: DecisionKind, values: dict, post: QueryDict
) -> tuple[dict, str]:
    """For a form with a split's clients that asked for a suggestion (its "Suggest
    clients" button), or whose ticked members changed since its clients were
    suggested: the values with a fresh suggestion and what to tell the person.
    Otherwise the values as they are and "" (go ahead and save)."""
    f = split_clients_field(kind)
    if f is None:
        return values, ""
    if "suggest" in post:
        notice = "Clients suggested for the members ticked. Check them, then save."
        return split_clients_suggested(team, f, values), notice
    if not split_clients_stale(f, values):
        return values, ""
    fresh = split_clients_suggested(team, f, values)
    if _ids(fresh[f.name]) == _ids(values[f.name]):
        return fresh, ""  # the suggestion for them is what is ticked: nothing to look at
    notice = (
        "Who moves changed since the clients were suggested, so here is the suggestion "
        "for the members ticked now. Check it, then save."
    )
    return fresh, notice


def _ids(values) -> set[int]:
    return {int(v) for v in values or () if str(v).isdecimal()}


def split_client_groups(team: Team, moving, chosen) -> list[dict]:
    """The team's clients by postcode sector, each with the suggestion's reason and
    whether it is ticked (``chosen`` None: as suggested). Discharged clients are
    listed only when chosen (through the API, say), so nothing chosen is hidden."""
    rows = care_split.explain_partition(team, moving, also=chosen or ())
    ticked = None if chosen is None else {str(pk) for pk in chosen}
    groups: list[dict] = []
    for row in rows:
        label = row.sector or "No postcode (each decided alone)"
        if not groups or groups[-1]["label"] != label:
            groups.append({"label": label, "rows": []})
        checked = row.moves if ticked is None else str(row.id) in ticked
        groups[-1]["rows"].append(
            {
                "id": row.id,
                "name": row.client.display_name,
                "reason": row.reason,
                "checked": checked,
                "suggested": row.moves,
            }
        )
    return groups


def window_from(raw: str):
    """Hours as typed to a timedelta; anything else goes to the service as it is, and
    the service names the field (``window_hours``)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        hours = float(raw)
    except ValueError:
        return raw
    if hours != hours or abs(hours) > 10**6:  # NaN or absurd: let the service refuse it
        return raw
    return datetime.timedelta(hours=hours)


def held_errors(warning: ClientDataWarning) -> dict[str, list[str]]:
    """What the client-data check found, at the fields it was found in (a payload's
    ``payload.person`` at ``person``); its summary and the confirm box are
    ``frontend/_held.html``'s."""
    errors: dict[str, list[str]] = {}
    for key, messages in warning.field_messages.items():
        errors.setdefault(key.removeprefix("payload."), []).extend(messages)
    return errors


# --- fields ----------------------------------------------------------------------------------


def common_fields(values: dict, errors: dict, *, raising: bool = True) -> list[Field]:
    fields = [
        Field(
            "title",
            "Title",
            value=values.get("title", ""),
            attrs={"maxlength": limit_of(Proposal, "title")},
        ),
        Field(
            "purpose",
            "Purpose: why, and what it solves",
            "textarea",
            value=values.get("purpose", ""),
            rows=3,
        ),
        Field(
            "details",
            "Details (optional)",
            "textarea",
            value=values.get("details", ""),
            rows=4,
            help="Anything the team needs to know to consent or object.",
        ),
        Field(
            "window_hours",
            "Objection window, in hours",
            "number",
            value=values.get("window_hours", ""),
            help="From 1 to 336 (two weeks). Members object within this time.",
            attrs={"min": 1, "max": 336, "step": 1, "inputmode": "numeric"},
        ),
    ]
    if raising:
        fields.append(
            Field(
                "review_date",
                "Review date (optional)",
                "date",
                value=values.get("review_date", ""),
                help="Kith reminds the team to look at this decision again on this day.",
            )
        )
    for f in fields:
        f.errors = errors.get(f.name, [])
    return fields


# What each declared type is shown as; the choice types list ``choices(team)``.
WIDGETS = {
    decisions.TEXT: "text",
    decisions.LONG_TEXT: "textarea",
    decisions.EMAIL: "email",
    decisions.DATE: "date",
    decisions.NUMBER: "number",
    decisions.CHOICE: "select",
    decisions.PERSON: "select",
    decisions.ROLE: "select",
    decisions.PEOPLE: "checkboxes",
    decisions.ROLE_FATES: "roles",
    decisions.SPLIT_CLIENTS: "clients",
}
# Addresses are typed as they are: no suggestions, no capital first letter.
EMAIL_ATTRS = {"autocomplete": "off", "autocapitalize": "none"}


def widget(team: Team, d: decisions.Field, values: dict, errors: list[str]) -> Field:
    """One declared field as a page shows it, with what was typed and its messages."""
    kind = WIDGETS[d.type]
    value = values.get(d.name, "")
    help_ = d.help.replace("{team}", team.name)
    shown = Field(d.name, d.label, kind, value, help=help_, rows=d.lines, errors=errors)
    if d.type == decisions.EMAIL:
        shown.attrs |= EMAIL_ATTRS
    if d.max_length:
        shown.attrs["maxlength"] = d.max_length
    if kind == "select":
        shown.choices = list(d.choices(team)) if d.choices else []
    elif d.type == decisions.PEOPLE:
        ticked = {str(pk) for pk in value or []}
        people = d.choices(team) if d.choices else []
        shown.value, shown.choices = "", [(pk, name, pk in ticked) for pk, name in people]
    elif d.type == decisions.ROLE_FATES:
        options = list(d.choices(team)) if d.choices else []
        chosen = value or {}
        shown.value = ""
        shown.choices = [
            {
                "key": role.key,
                "id": f"{shown.id}-{role.key}",
                "label": role.name,
                "holder": role.current.person.display_name if role.current else "",
                "value": chosen.get(role.key, options[0][0] if options else ""),
                "options": options,
            }
            for role in selectors.roles_of(team)
        ]
    elif d.type == decisions.SPLIT_CLIENTS:
        moving = values.get(d.depends_on, [])
        # The people these clients are shown for (see split_clients_stale).
        shown.value = moving_key(moving)
        shown.choices = split_client_groups(team, moving, value)
    return shown


def kind_fields(team: Team, kind: DecisionKind, values: dict, errors: dict) -> list[Field]:
    """The fields of one kind of decision, as it declares them, with their choices."""
    return [widget(team, d, values, errors.get(d.name, [])) for d in _fields(kind)]


def arrange(common: list[Field], kind: list[Field]) -> list[Field]:
    """What and why first, then what the decision does, then the rest."""
    return [*common[:2], *kind, *common[2:]]


def kind_choices() -> list:
    return decisions.all_kinds()
