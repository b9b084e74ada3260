"""Plain-language lines for the activity list, from event-log records."""

from __future__ import annotations

from collections.abc import Iterable

FIELD_NAMES = {
    "phone": "phone number",
    "email": "email",
    "patch": "patch",
    "postcodes": "postcodes",
}


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe(record, people: dict[int, str]) -> str:
    who = people.get(record.actor_id, "Someone")
    data = record.data or {}
    if record.type == "team.details_changed":
        fields = [FIELD_NAMES.get(name, name) for name in sorted(data.get("changed", {}))]
        return f"{who} updated the team's {_join(fields) if fields else 'details'}"
    return f"{who}: {record.type.replace('.', ' ').replace('_', ' ')}"


def lines(records: Iterable, people: dict[int, str]) -> list[dict]:
    return [{"seq": r.seq, "at": r.at, "text": describe(r, people)} for r in records]
