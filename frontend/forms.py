"""The proposal forms: their fields, the choice lists behind them, and turning what
was typed into the arguments the services take.

No rules live here: the services validate (and name the field in their
ValidationError); this module only lays fields out, keeps what was typed and turns
strings into the shapes the services expect. The only ORM reads are the choice lists
no selector offers yet (nurses who could join, coaches who could be invited); each
is a clearly named, read-only function below. A split's clients, with the suggestion
and its reasons, come from ``care.split``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from care import split as care_split
from care.figures.quality import selectors as quality_selectors
from coordination.privacy import ClientDataWarning
from teams import decisions, selectors, services
from teams.cleaning import limit_of
from teams.models import Invitation, Membership, Proposal, Role, Team

A_YEAR = datetime.timedelta(days=365)
COMMON_FIELDS = ("title", "purpose", "details", "window_hours", "review_date")
SPLIT_ROLE_CHOICES = [
    ("stay", "stays with this team"),
    ("move", "moves to the new team with its holder"),
    ("end", "ends"),
]


@dataclass
class Field:
    name: str
    label: str
    widget: str = "text"  # text, textarea, select, date, number, checkboxes, roles
    value: Any = ""
    choices: list = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    help: str = ""
    rows: int = 3
    attrs: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-").replace("_", "-")


# --- choice lists (read-only) ------------------------------------------------------------


def admission_candidates(team: Team) -> list[tuple[str, str]]:
    return [(str(p.pk), p.display_name) for p in selectors.admission_candidates(team)]


def coach_candidates(team: Team) -> list[tuple[str, str]]:
    return [(str(p.pk), p.display_name) for p in selectors.coach_candidates(team)]


def member_choices(team: Team) -> list[tuple[str, str]]:
    return [(str(m.person_id), m.person.display_name) for m in selectors.current_members(team)]


def invited_coach_choices(team: Team) -> list[tuple[str, str]]:
    return [
        (str(t.coach_id), f"{t.coach.display_name} (until {t.ends:%-d %b %Y})")
        for t in selectors.coach_terms_of(team)
        if t.ended is None
    ]


def snapshot_choices(team: Team) -> list[tuple[str, str]]:
    """The team's draft snapshots (prepared by its informer), to propose one."""
    return [
        (
            str(d.pk),
            f"{d.period}, prepared by {d.prepared_by.display_name} {d.prepared_at:%-d %b %Y}",
        )
        for d in quality_selectors.drafts_of(team)
    ]


def role_choices(roles) -> list[tuple[str, str]]:
    choices = []
    for role in roles:
        holder = role.current
        who = f"{holder.person.display_name} until {holder.ends:%-d %b %Y}" if holder else "nobody"
        choices.append((role.key, f"{role.name} ({who})"))
    return choices


class Names:
    """Names (not ids) for a payload summary, looked up only when needed."""

    def __init__(self, team: Team):
        self.team = team
        self._people: dict[str, str] | None = None
        self._coaches: dict[str, str] | None = None
        self._roles: dict[str, str] | None = None

    def person(self, pk) -> str:
        if self._people is None:
            self._people = dict(member_choices(self.team))
        name = self._people.get(str(pk))
        if name is None:  # someone who left, or who is to be admitted
            self._people.update(admission_candidates(self.team))
            name = self._people.get(str(pk))
        return name or "someone no longer in Kith"

    def coach(self, pk) -> str:
        if self._coaches is None:
            self._coaches = {
                str(t.coach_id): t.coach.display_name for t in selectors.coach_terms_of(self.team)
            }
        name = self._coaches.get(str(pk))
        if name is None:
            self._coaches.update(coach_candidates(self.team))
            name = self._coaches.get(str(pk))
        return name or "a coach no longer in Kith"

    def role(self, key: str) -> str:
        if self._roles is None:
            self._roles = {r.key: r.name for r in selectors.roles_of(self.team)}
        return self._roles.get(key, key)


# --- values: what was typed, or what to start from ------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def initial_values(team: Team, kind: str, query: QueryDict | None = None) -> dict:
    """A fresh form: sensible defaults, then anything the link that led here said."""
    hours = int(services.DEFAULT_WINDOW.total_seconds() // 3600)
    values: dict[str, Any] = {
        "title": "",
        "purpose": "",
        "details": "",
        "window_hours": str(hours),
        "review_date": "",
    }
    if kind == "role_handover":
        today = _today()
        values |= {"starts": today.isoformat(), "ends": (today + A_YEAR).isoformat()}
    elif kind == "coach_invite":
        values["ends"] = (_today() + A_YEAR).isoformat()
    elif kind == "agreement":
        current = selectors.agreement_of(team)
        values["text"] = current.text if current else ""
    elif kind == "team_split":
        # clients None: not chosen yet, the form shows the suggestion.
        values |= {"stays_name": team.name, "moving": [], "roles": {}, "clients": None}
        values["clients_for"] = moving_key([])
    if query is not None:
        for name in ("title", "role", "person", "coach", "snapshot"):
            if query.get(name):
                values[name] = query[name]
    return values


def values_from_post(kind: str, post: QueryDict, roles=()) -> dict:
    """What the person typed, kept as typed (strings), to show again on an error."""
    values: dict[str, Any] = {name: post.get(name, "") for name in COMMON_FIELDS}
    for name in payload_field_names(kind):
        values[name] = post.get(name, "")
    if kind == "team_split":
        values["moving"] = post.getlist("moving")
        values["roles"] = {r.key: post.get(f"roles.{r.key}", "stay") for r in roles}
        # The clients as ticked, and for which members they were shown; a form that
        # never showed them leaves the choice to the suggestion.
        shown = "clients_for" in post
        values["clients"] = post.getlist("clients") if shown else None
        values["clients_for"] = post.get("clients_for", "")
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
    for name in payload_field_names(proposal.kind):
        value = payload.get(name, "")
        values[name] = "" if value is None else str(value)
    if proposal.kind == "team_split":
        values["moving"] = [str(pk) for pk in payload.get("moving", [])]
        values["roles"] = dict(payload.get("roles", {}))
        clients = payload.get(care_split.KEY)
        values["clients"] = None if clients is None else [str(pk) for pk in clients]
        values["clients_for"] = moving_key(values["moving"])
    return values


PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {
    "general": (),
    "admit_member": ("person", "email", "name"),
    "remove_member": ("person", "reason", "until"),
    "role_handover": ("role", "person", "starts", "ends", "handover_notes"),
    "role_create": ("name", "description"),
    "agreement": ("text",),
    "coach_invite": ("coach", "email", "name", "ends"),
    "coach_end": ("coach",),
    "team_split": ("new_name", "stays_name"),
    "quality_publication": ("snapshot",),
}


def payload_field_names(kind: str) -> tuple[str, ...]:
    return PAYLOAD_FIELDS.get(kind, ())


def payload_from_values(kind: str, values: dict) -> dict:
    payload = {name: values.get(name, "") for name in payload_field_names(kind)}
    if kind == "team_split":
        payload["moving"] = list(values.get("moving", []))
        payload["roles"] = dict(values.get("roles", {}))
        if values.get("clients") is not None:
            payload[care_split.KEY] = list(values["clients"])
    return payload


# --- the clients who follow a split ---------------------------------------------------------


def moving_key(moving) -> str:
    """Who moves, as the form remembers it beside the clients it showed for them."""
    return ",".join(str(pk) for pk in sorted({int(m) for m in moving if str(m).isdecimal()}))


def split_clients_stale(values: dict) -> bool:
    """The members ticked are not those the clients were suggested for."""
    return values.get("clients") is not None and values.get("clients_for", "") != moving_key(
        values.get("moving", [])
    )


def split_clients_suggested(team: Team, values: dict) -> dict:
    """The values with the clients suggested afresh for the members ticked."""
    moving = values.get("moving", [])
    suggested = care_split.suggest(team, moving)
    return values | {"clients": [str(pk) for pk in suggested], "clients_for": moving_key(moving)}


def split_refresh(team: Team, kind: str, values: dict, post: QueryDict) -> tuple[dict, str]:
    """For a split form that asked for a suggestion (its "Suggest clients" button), or
    whose ticked members changed since its clients were suggested: the values with a
    fresh suggestion and what to tell the person. Otherwise the values as they are and
    "" (go ahead and save)."""
    if kind != "team_split":
        return values, ""
    if "suggest" in post:
        notice = "Clients suggested for the members ticked. Check them, then save."
        return split_clients_suggested(team, values), notice
    if not split_clients_stale(values):
        return values, ""
    fresh = split_clients_suggested(team, values)
    if _ids(fresh["clients"]) == _ids(values["clients"]):
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


def review_date_from(raw: str) -> datetime.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({"review_date": ["Not a date (YYYY-MM-DD)."]}) from None


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: [messages]}: ``payload.person`` is shown
    at the ``person`` field; messages for no field go under ``__all__``."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": list(exc.messages)}
    errors: dict[str, list[str]] = {}
    for key, messages in exc.message_dict.items():
        name = key.removeprefix("payload.")
        if key in {"payload", "kind", "version"}:
            name = "__all__"
        errors.setdefault(name, []).extend(messages)
    return errors


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


def kind_fields(team: Team, kind: str, values: dict, errors: dict, roles=None) -> list[Field]:
    """The fields of one kind of decision, with their choice lists."""
    v = values.get
    fields: list[Field] = []
    if kind == "admit_member":
        fields = [
            Field(
                "person",
                "Who joins",
                "select",
                v("person", ""),
                choices=admission_candidates(team),
                help="Nurses and carers in Kith who are not in this team.",
            ),
            Field(
                "email",
                "Or, someone new to Kith: their email address",
                "email",
                v("email", ""),
                help="When the decision is adopted, Kith invites them by email.",
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "maxlength": limit_of(Invitation, "email"),
                },
            ),
            Field(
                "name",
                "Their name (optional)",
                value=v("name", ""),
                attrs={"maxlength": limit_of(Invitation, "name")},
            ),
        ]
    elif kind == "remove_member":
        fields = [
            Field("person", "Who leaves", "select", v("person", ""), member_choices(team)),
            Field(
                "reason",
                "Reason (optional)",
                value=v("reason", ""),
                attrs={"maxlength": limit_of(Membership, "left_reason")},
            ),
            Field(
                "until",
                "Member until (optional)",
                "date",
                v("until", ""),
                help="Their last day in the team. Empty: they leave when this is adopted.",
            ),
        ]
    elif kind == "role_handover":
        roles = selectors.roles_of(team) if roles is None else roles
        fields = [
            Field("role", "Role", "select", v("role", ""), role_choices(roles)),
            Field("person", "Next holder", "select", v("person", ""), member_choices(team)),
            Field("starts", "Term starts", "date", v("starts", "")),
            Field("ends", "Term ends", "date", v("ends", ""), help="At most three years."),
            Field(
                "handover_notes",
                "Handover notes",
                "textarea",
                v("handover_notes", ""),
                rows=4,
                help="What the next holder needs to know. Earlier notes stay in the history.",
            ),
        ]
    elif kind == "role_create":
        fields = [
            Field(
                "name",
                "Name of the role",
                value=v("name", ""),
                attrs={"maxlength": limit_of(Role, "name")},
            ),
            Field("description", "What the role does", "textarea", v("description", "")),
        ]
    elif kind == "agreement":
        fields = [
            Field(
                "text",
                "The team agreement",
                "textarea",
                v("text", ""),
                rows=10,
                help="The whole text as it would read once adopted.",
            )
        ]
    elif kind == "coach_invite":
        fields = [
            Field("coach", "Coach", "select", v("coach", ""), coach_candidates(team)),
            Field(
                "email",
                "Or, a coach new to Kith: their email address",
                "email",
                v("email", ""),
                help="When the decision is adopted, Kith invites them by email.",
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "maxlength": limit_of(Invitation, "email"),
                },
            ),
            Field(
                "name",
                "Their name (optional)",
                value=v("name", ""),
                attrs={"maxlength": limit_of(Invitation, "name")},
            ),
            Field("ends", "Invited until", "date", v("ends", "")),
        ]
    elif kind == "coach_end":
        fields = [
            Field("coach", "Coach", "select", v("coach", ""), invited_coach_choices(team)),
        ]
    elif kind == "quality_publication":
        fields = [
            Field(
                "snapshot",
                "Snapshot to publish",
                "select",
                v("snapshot", ""),
                choices=snapshot_choices(team),
                help="The team's informer prepares a snapshot of a period that has ended.",
            )
        ]
    elif kind == "team_split":
        roles = selectors.roles_of(team) if roles is None else roles
        moving = {str(pk) for pk in v("moving", [])}
        chosen = v("roles", {}) or {}
        fields = [
            Field("new_name", "Name of the new team", value=v("new_name", "")),
            Field(
                "stays_name",
                "Name the staying team keeps",
                value=v("stays_name", ""),
                help=f"Leave as {team.name} to keep the name.",
            ),
            Field(
                "moving",
                "Who moves to the new team",
                "checkboxes",
                choices=[(pk, name, pk in moving) for pk, name in member_choices(team)],
                help="Everyone not ticked stays. Both teams need at least one member.",
            ),
            Field(
                "roles",
                "What happens to each role",
                "roles",
                choices=[
                    {
                        "key": role.key,
                        "id": f"f-roles-{role.key}",
                        "label": role.name,
                        "holder": role.current.person.display_name if role.current else "",
                        "value": chosen.get(role.key, "stay"),
                        "options": SPLIT_ROLE_CHOICES,
                    }
                    for role in roles
                ],
                help="A role whose holder moves, and is not moved with them, ends.",
            ),
        ]
        groups = split_client_groups(team, v("moving", []), v("clients"))
        fields.insert(
            3,
            Field(
                "clients",
                "Clients who move to the new team",
                "clients",
                # The members these clients are shown for (see split_clients_stale).
                value=moving_key(v("moving", [])),
                choices=groups,
                help=(
                    "Ticked clients move with their whole record. Suggested: each client "
                    "goes with the members who visited them most in the last 12 weeks, "
                    "neighbours (same postcode sector) together; a tie stays."
                ),
            ),
        )
    for f in fields:
        f.errors = errors.get(f.name, [])
    return fields


def arrange(common: list[Field], kind: list[Field]) -> list[Field]:
    """What and why first, then what the decision does, then the rest."""
    return [*common[:2], *kind, *common[2:]]


def kind_choices() -> list:
    return decisions.all_kinds()
