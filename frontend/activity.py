"""Plain-language lines for the activity list, from event-log records: each type's
words are declared with the type (``coordination.events.types``); here they are
filled with names and dates."""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass, field

from coordination.events import types
from frontend.present import long_date, plain_dates

# Changed fields by their words, where those are not the field's own name.
FIELD_NAMES = {"phone": "phone number"}


@dataclass
class Names:
    """What the lines name: people by id, proposals by id (their titles), roles by key."""

    people: dict[int, str] = field(default_factory=dict)
    proposals: dict[int, str] = field(default_factory=dict)
    roles: dict[str, str] = field(default_factory=dict)

    def person(self, pk, default: str = "someone") -> str:
        return self.people.get(pk, default) if pk is not None else default

    def proposal(self, data: dict) -> str:
        pk = data.get("proposal")
        title = data.get("title") or (self.proposals.get(pk) if isinstance(pk, int) else None)
        return f"“{title}”" if title else "a proposal"

    def role(self, key) -> str:
        return self.roles.get(key) or str(key or "a role").replace("_", " ").capitalize()


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(record, names: Names | dict[int, str]) -> str:
    """The record's line: its type's declared words (``coordination.events.types``),
    with people, roles, proposals and dates named; a type without words (or no longer
    declared) names the actor and the type."""
    if isinstance(names, dict):
        names = Names(people=names)
    who = names.person(record.actor_id, "Someone")
    data = record.data or {}
    declared = types.declared(record.type)
    acted = record.actor_id is not None and record.actor_id in names.people
    words = declared.template(data, actor=acted) if declared else None
    if words is None:
        return f"{who}: {record.type.replace('.', ' ').replace('_', ' ')}"
    return _Line(data, names, who).format(words)


MISSING = object()


class _Line(string.Formatter):
    """Fills a declared line: ``{key:how=default}`` shows a payload value (see
    ``coordination.events.types``), ``{actor}`` who acted, ``{proposal}`` the
    proposal's title, ``!c`` starts with a capital."""

    def __init__(self, data: dict, names: Names, who: str):
        self.data, self.names, self.who = data, names, who

    def get_value(self, key, args, kwargs):
        if key == "actor":
            return self.who
        if key == "proposal":
            return self.names.proposal(self.data)
        return self.data.get(key, MISSING)

    def convert_field(self, value, conversion):
        if conversion == "c":
            return value[:1].upper() + value[1:]
        return super().convert_field(value, conversion)

    def format_field(self, value, format_spec: str) -> str:
        how, _, default = format_spec.partition("=")
        value = None if value is MISSING else value
        if how == "person":
            return self.names.person(value, default or "someone")
        if how == "role":
            return self.names.role(value)
        if how == "date":
            return long_date(value)
        if how == "plain":
            return plain_dates(value or "")
        if how == "fields":
            fields = [FIELD_NAMES.get(name, name) for name in sorted(value or {})]
            return _join(fields) if fields else "details"
        if how == "count":
            n = len(value) if isinstance(value, list | tuple) else int(value or 0)
            return f"{n} {default}{'s' if n != 1 else ''}"
        return str(value)


def lines(records: Iterable, names: Names | dict[int, str]) -> list[dict]:
    return [{"seq": r.seq, "at": r.at, "text": describe(r, names)} for r in records]
