"""The decision kinds teams owns, each in one place: its words, what its form asks for,
how its payload reads, and what adopting it does (``teams.services.effects``).

Registered from ``TeamsConfig.ready``; kinds of other apps register from theirs (a
quality publication, ``care.figures.quality.services``). Pages render every kind from what
is declared here (``frontend/forms.py``), never by its key.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from teams import decisions, selectors
from teams.cleaning import limit_of
from teams.decisions import Field, Line, Names
from teams.models import Invitation, Membership, Role, Team
from teams.services import effects

A_YEAR = datetime.timedelta(days=365)
ROLE_FATES = [
    ("stay", "stays with this team"),
    ("move", "moves to the new team with its holder"),
    ("end", "ends"),
]
ROLE_FATE_WORDS = {"stay": "stays", "move": "moves with its holder", "end": "ends"}


# --- where the choices come from -------------------------------------------------------------


def admission_candidates(team: Team) -> list[tuple[str, str]]:
    return [(str(p.pk), p.display_name) for p in selectors.admission_candidates(team)]


def coach_candidates(team: Team) -> list[tuple[str, str]]:
    return [(str(p.pk), p.display_name) for p in selectors.coach_candidates(team)]


def members(team: Team) -> list[tuple[str, str]]:
    return [(str(m.person_id), m.person.display_name) for m in selectors.current_members(team)]


def invited_coaches(team: Team) -> list[tuple[str, str]]:
    return [
        (str(t.coach_id), f"{t.coach.display_name} (until {t.ends:%-d %b %Y})")
        for t in selectors.coach_terms_of(team)
        if t.ended is None
    ]


def roles(team: Team) -> list[tuple[str, str]]:
    choices = []
    for role in selectors.roles_of(team):
        holder = role.current
        who = f"{holder.person.display_name} until {holder.ends:%-d %b %Y}" if holder else "nobody"
        choices.append((role.key, f"{role.name} ({who})"))
    return choices


# --- what a fresh form starts from -----------------------------------------------------------


def a_year_on(team: Team) -> datetime.date:
    return timezone.localdate() + A_YEAR


def current_agreement(team: Team) -> str:
    current = selectors.agreement_of(team)
    return current.text if current else ""


# --- fields ----------------------------------------------------------------------------------

EMAIL_INVITES = "When the decision is adopted, Kith invites them by email."

ADMIT = [
    Field(
        "person",
        "Who joins",
        decisions.PERSON,
        help="Nurses and carers in Kith who are not in this team.",
        choices=admission_candidates,
        required=False,  # or an email address
    ),
    Field(
        "email",
        "Or, someone new to Kith: their email address",
        decisions.EMAIL,
        help=EMAIL_INVITES,
        required=False,
        max_length=limit_of(Invitation, "email"),
    ),
    Field("name", "Their name (optional)", required=False, max_length=limit_of(Invitation, "name")),
]
REMOVE = [
    Field("person", "Who leaves", decisions.PERSON, choices=members),
    Field(
        "reason",
        "Reason (optional)",
        required=False,
        max_length=limit_of(Membership, "left_reason"),
    ),
    Field(
        "until",
        "Member until (optional)",
        decisions.DATE,
        help="Their last day in the team. Empty: they leave when this is adopted.",
        required=False,
    ),
]
HANDOVER = [
    Field("role", "Role", decisions.ROLE, choices=roles),
    Field("person", "Next holder", decisions.PERSON, choices=members),
    Field("starts", "Term starts", decisions.DATE, initial=lambda team: timezone.localdate()),
    Field("ends", "Term ends", decisions.DATE, help="At most three years.", initial=a_year_on),
    Field(
        "handover_notes",
        "Handover notes",
        decisions.LONG_TEXT,
        help="What the next holder needs to know. Earlier notes stay in the history.",
        required=False,
        lines=4,
    ),
]
ROLE_CREATE = [
    Field("name", "Name of the role", max_length=limit_of(Role, "name")),
    Field("description", "What the role does", decisions.LONG_TEXT, required=False),
]
AGREEMENT = [
    Field(
        "text",
        "The team agreement",
        decisions.LONG_TEXT,
        help="The whole text as it would read once adopted.",
        lines=10,
        initial=current_agreement,
    )
]
COACH_INVITE = [
    Field("coach", "Coach", decisions.PERSON, choices=coach_candidates, required=False),
    Field(
        "email",
        "Or, a coach new to Kith: their email address",
        decisions.EMAIL,
        help=EMAIL_INVITES,
        required=False,
        max_length=limit_of(Invitation, "email"),
    ),
    Field("name", "Their name (optional)", required=False, max_length=limit_of(Invitation, "name")),
    Field("ends", "Invited until", decisions.DATE, initial=a_year_on),
]
COACH_END = [Field("coach", "Coach", decisions.PERSON, choices=invited_coaches)]


def split_fields() -> list[Field]:
    """The split's own fields, with its participants' (the clients who follow, from
    care) after who moves."""
    return [
        Field("new_name", "Name of the new team"),
        Field(
            "stays_name",
            "Name the staying team keeps",
            help="Leave as {team} to keep the name.",
            initial=lambda team: team.name,
        ),
        Field(
            "moving",
            "Who moves to the new team",
            decisions.PEOPLE,
            help="Everyone not ticked stays. Both teams need at least one member.",
            choices=members,
        ),
        *decisions.split_participant_fields(),
        Field(
            "roles",
            "What happens to each role",
            decisions.ROLE_FATES,
            help="A role whose holder moves, and is not moved with them, ends.",
            choices=lambda team: ROLE_FATES,
            required=False,  # a role not named stays
        ),
    ]


# --- summaries -------------------------------------------------------------------------------


def _invited(p: Mapping[str, Any]) -> str:
    return f"{p['name']} ({p['email']})" if p.get("name") else p["email"]


def admit_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    if p.get("email") and not p.get("person"):
        return [Line("Invited to join the team", _invited(p))]
    return [Line("Joins the team", names.person(p.get("person")))]


def remove_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    lines = [Line("Leaves the team", names.person(p.get("person")))]
    if p.get("until"):
        lines.append(Line("Member until", names.date(p["until"])))
    if p.get("reason"):
        lines.append(Line("Reason", p["reason"]))
    return lines


def handover_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    lines = [
        Line("Role", names.role(p.get("role", ""))),
        Line("Next holder", names.person(p.get("person"))),
        Line("Term", f"{names.date(p.get('starts'))} to {names.date(p.get('ends'))}"),
    ]
    if p.get("handover_notes"):
        lines.append(Line("Handover notes", p["handover_notes"], long=True))
    return lines


def role_create_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    return [
        Line("New role", p.get("name", "")),
        Line("What it does", p.get("description", ""), long=True),
    ]


def agreement_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    return [Line("The agreement would read", p.get("text", ""), long=True)]


def coach_invite_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    if p.get("email") and not p.get("coach"):
        lines = [Line("Coach, invited by email", _invited(p))]
    else:
        lines = [Line("Coach", names.coach(p.get("coach")))]
    if p.get("starts"):
        lines.append(Line("Term", f"{names.date(p['starts'])} to {names.date(p.get('ends'))}"))
    else:
        lines.append(Line("Until", names.date(p.get("ends"))))
    return lines


def coach_end_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    return [Line("Coach whose term ends", names.coach(p.get("coach")))]


def split_summary(p: Mapping[str, Any], names: Names) -> list[Line]:
    moving = [names.person(pk) for pk in p.get("moving", [])]
    lines = [
        Line("New team", p.get("new_name", "")),
        Line("The staying team is called", p.get("stays_name", "")),
        Line("Moving to the new team", ", ".join(moving) or "nobody"),
    ]
    fates = [
        f"{names.role(key)} {ROLE_FATE_WORDS.get(fate, fate)}"
        for key, fate in sorted((p.get("roles") or {}).items())
    ]
    if fates:
        lines.append(Line("Roles", "; ".join(fates)))
    return lines


# --- the kinds -------------------------------------------------------------------------------

KINDS = [
    decisions.DecisionKind(
        "general",
        "A team decision",
        "Anything the team decides together.",
        effects.validate_general,
        effects.apply_general,
    ),
    decisions.DecisionKind(
        "admit_member",
        "Admit a member",
        "Welcome a nurse or carer into the team.",
        effects.validate_admit,
        effects.apply_admit,
        fields=ADMIT,
        summary=admit_summary,
    ),
    decisions.DecisionKind(
        "remove_member",
        "A member leaves",
        "End someone's membership.",
        effects.validate_remove,
        effects.apply_remove,
        texts={"reason": decisions.Text("reason")},
        fields=REMOVE,
        summary=remove_summary,
    ),
    decisions.DecisionKind(
        "role_handover",
        "Hand a role over",
        "Who holds a role next, for which term.",
        effects.validate_handover,
        effects.apply_handover,
        texts={"handover_notes": decisions.Text("handover notes")},
        fields=HANDOVER,
        summary=handover_summary,
    ),
    decisions.DecisionKind(
        "role_create",
        "Add a role",
        "A new rotating role of the team's own.",
        effects.validate_role_create,
        effects.apply_role_create,
        texts={
            "name": decisions.Text("name of the role"),
            "description": decisions.Text("description of the role"),
            "key": decisions.Text("key of the role", slug=True),
        },
        fields=ROLE_CREATE,
        summary=role_create_summary,
    ),
    decisions.DecisionKind(
        "agreement",
        "Change the team agreement",
        "A new version of the team's agreement.",
        effects.validate_agreement,
        effects.apply_agreement,
        texts={"text": decisions.Text("agreement")},
        fields=AGREEMENT,
        summary=agreement_summary,
    ),
    decisions.DecisionKind(
        "coach_invite",
        "Invite a coach",
        "A coach advises the team for a term.",
        effects.validate_coach_invite,
        effects.apply_coach_invite,
        fields=COACH_INVITE,
        summary=coach_invite_summary,
    ),
    decisions.DecisionKind(
        "coach_end",
        "End a coach's term",
        "The coach no longer sees what the team shares.",
        effects.validate_coach_end,
        effects.apply_coach_end,
        fields=COACH_END,
        summary=coach_end_summary,
    ),
    decisions.DecisionKind(
        "team_split",
        "Split the team",
        "Two teams from one, with members moving.",
        effects.validate_split,
        effects.apply_split,
        texts={
            "new_name": decisions.Text("name of the new team"),
            "stays_name": decisions.Text("name the staying team keeps"),
            "new_slug": decisions.Text("address of the new team", slug=True),
        },
        fields=split_fields,
        summary=split_summary,
    ),
]


def register() -> None:
    """Called from ``TeamsConfig.ready``."""
    for kind in KINDS:
        decisions.register(kind)
