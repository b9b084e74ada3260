"""Plain-language lines for the activity list, from event-log records."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from frontend.present import plain_dates

FIELD_NAMES = {
    "phone": "phone number",
    "email": "email",
    "patch": "patch",
    "postcodes": "postcodes",
}


@dataclass
class Names:
    """What the lines name: people by id, proposals by id (their titles), roles by key."""

    people: dict[int, str] = field(default_factory=dict)
    proposals: dict[int, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    def person(self, pk, default: str = "someone") -> str:
        return self.people.get(pk, default) if pk is not None else default

    def proposal(self, data: dict) -> str:
        title = data.get("title") or self.proposals.get(data.get("proposal"))
        return f"“{title}”" if title else "a proposal"

    def role(self, key) -> str:
        return self.roles.get(key) or str(key or "a role").replace("_", " ").capitalize()


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _date(value) -> str:
    try:
        return f"{datetime.date.fromisoformat(str(value)):%-d %b %Y}"
    except ValueError:
        return str(value)


def describe(record, names: Names | dict[int, str]) -> str:
    if isinstance(names, dict):
        names = Names(people=names)
    who = names.person(record.actor_id, "Someone")
    data = record.data or {}
    kind = record.type
    what = names.proposal(data)
    if kind == "team.details_changed":
        fields = [FIELD_NAMES.get(name, name) for name in sorted(data.get("changed", {}))]
        return f"{who} updated the team's {_join(fields) if fields else 'details'}"
    if kind == "proposal.raised":
        return f"{who} raised a proposal: {what}"
    if kind == "proposal.responded":
        if data.get("response") == "objection":
            return f"{who} objected to {what}"
        return f"{who} consented to {what}"
    if kind == "proposal.objection_withdrawn":
        return f"{who} withdrew their objection to {what}"
    if kind == "proposal.amended":
        resolved = data.get("resolved_objections") or 0
        line = f"{who} amended {what}; the objection window is open again"
        if resolved:
            line += f" ({resolved} objection{'s' if resolved != 1 else ''} resolved)"
        return line
    if kind == "proposal.withdrawn":
        return f"{who} withdrew the proposal {what}"
    if kind == "proposal.adopted":
        outcome = plain_dates(data.get("outcome") or "")
        return f"The team adopted {what}" + (f": {outcome}" if outcome else "")
    if kind == "proposal.not_applied":
        return f"{what[0].upper()}{what[1:]} could not be applied as it stands; see the proposal"
    if kind == "proposal.commented":
        if data.get("kind") == "question":
            return f"{who} asked a question about {what}"
        return f"{who} commented on {what}"
    if kind == "role.handed_over":
        person = names.person(data.get("person"))
        return f"{person} now holds {names.role(data.get('role'))} until {_date(data.get('ends'))}"
    if kind == "role.created":
        return f"The team added a role: {names.role(data.get('role'))}"
    if kind == "membership.changed":
        person = names.person(data.get("person"), "A member")
        if data.get("change") == "admitted":
            return f"{person} joined the team"
        if data.get("change") == "leaving":
            return f"{person} is a member until {_date(data.get('until'))}"
        return f"{person} left the team"
    if kind == "coach.invited":
        coach = names.person(data.get("coach"), "A coach")
        return f"{coach} coaches the team until {_date(data.get('ends'))}"
    if kind == "coach.ended":
        return f"{names.person(data.get('coach'), 'A coach')} no longer coaches the team"
    if kind == "agreement.adopted":
        return f"The team adopted version {data.get('number')} of its agreement"
    if kind == "team.split":
        moved = len(data.get("moved") or [])
        return f"The team split: {moved} member{'s' if moved != 1 else ''} formed a new team"
    if kind.startswith("visit."):
        return _visit_line(kind, who, data, names)
    if kind == "visit_series.created":
        return f"{who} set up a repeating visit"
    if kind == "visit_series.exception_added":
        if data.get("cancelled"):
            return f"{who} cancelled one day of a repeating visit"
        return f"{who} moved one day of a repeating visit"
    if kind.startswith("handover."):
        giver = names.person(data.get("from_person"), "Someone")
        taker = names.person(data.get("to_person"), "a colleague")
        thing = "a swap of visits" if data.get("kind") == "swap" else "a visit"
        verb = kind.removeprefix("handover.")
        return {
            "offered": f"{giver} offered {taker} {thing}",
            "accepted": f"{taker} accepted {thing} from {giver}",
            "declined": f"{taker} declined {thing} from {giver}",
            "withdrawn": f"{giver} withdrew the offer of {thing} to {taker}",
            "expired": f"The offer of {thing} to {taker} lapsed: the visit had changed",
        }.get(verb, f"{who}: {kind.replace('.', ' ')}")
    if kind == "client.moved":
        return "A client moved to the new team with their whole record"
    if kind == "client.carers_moved":
        return "A client's visits lost carers who moved to the new team"
    if kind == "reminder.role_term_ending":
        person = names.person(data.get("person"))
        role = names.role(data.get("role"))
        return f"Reminder: {person}'s term as {role} ends on {_date(data.get('ends'))}"
    if kind == "reminder.review_due":
        return f"Reminder: {what} is due for review ({_date(data.get('review_date'))})"
    return f"{who}: {kind.replace('.', ' ').replace('_', ' ')}"


VISIT_VERBS = {
    "planned": "planned a visit",
    "claimed": "took a visit",
    "unassigned": "left a visit open for someone to take",
    "started": "started a visit",
    "finished": "recorded a visit done",
    "cancelled": "cancelled a visit",
    "missed": "marked a visit missed",
    "running_late": "is running late for a visit",
    "swapped": "swapped a visit",
    "generated": "generated visits from a repeating series",
}


def _visit_line(kind: str, who: str, data: dict, names: Names) -> str:
    """Visit events name no client (they carry ids only); the board and the client's
    page say which visit."""
    verb = kind.removeprefix("visit.")
    if verb == "assigned":
        return f"{who} gave a visit to {names.person(data.get('assignee'), 'a colleague')}"
    if verb == "running_late" and not data.get("late_until"):
        return f"{who} is no longer running late for a visit"
    if verb == "generated" and who == "Someone":
        return "Repeating visits were planned ahead"
    return f"{who} {VISIT_VERBS.get(verb, verb.replace('_', ' ') + ' a visit')}"


def lines(records: Iterable, names: Names | dict[int, str]) -> list[dict]:
    return [{"seq": r.seq, "at": r.at, "text": describe(r, names)} for r in records]
