"""Event types, each declared once: its name, its payload, its streams, its words.

Every app declares the types it publishes, beside its services
(``teams/event_types.py``, ``care/event_types.py``, ``coordination/event_types.py``),
with ``declare``; this module keeps the registry and knows nothing of the apps (the
event log is a leaf). Readers look a type up by name (``declared``) instead of
switching on strings: the activity list reads its words, the notification rules
check the types they follow exist. A house rule (tests/test_house_rules.py) holds
that every type published anywhere is declared and every declared type is published.

``publish`` checks each event against its declaration (``check``): a type not
declared, a payload key missing or not declared, a stream of a kind the type does
not go to. With ``settings.EVENTS_STRICT`` (on with DEBUG, and in the tests) that is
an error before anything is written; otherwise it is logged and the event is
published as it is: a declaration out of date is never worth losing what happened.

A declaration:

- ``keys``: payload keys every event of the type carries; ``optional``: keys some
  carry. Payloads hold ids and changed fields only (no free text).
- ``streams``: the kinds of stream it goes to (``coordination.events.streams``:
  "team", "shared", "client.<scope>", "person", "help", "network"), which say who
  receives it.
- ``words``: its line in a team's activity list, a template whose ``{fields}`` are
  payload keys (``{key:how}`` says how to show one: person, role, date, plain,
  fields, count; ``{key:how=default}`` when it is missing; ``{actor}`` is who acted;
  ``{x!c}`` starts with a capital), or variants: a dict of condition to template,
  the first that holds wins (``"key=value"``, ``"key"`` when the value is truthy,
  ``"actor"`` when someone acted, ``""`` always). No words: the line names the
  actor and the type.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from coordination.events.streams import stream_kind

Words = str | Mapping[str, str] | None


class EventMismatch(ValueError):
    """An event that does not match its type's declaration (or has none)."""


@dataclass(frozen=True, eq=False)
class EventType:
    name: str
    keys: frozenset[str]
    optional: frozenset[str]
    streams: frozenset[str]
    words: Words = None

    def problems(self, data: Mapping[str, Any], streams: Iterable[str]) -> list[str]:
        found: list[str] = []
        missing = sorted(self.keys - set(data))
        if missing:
            found.append(f"{self.name} lacks {', '.join(missing)}")
        unknown = sorted(set(data) - self.keys - self.optional)
        if unknown:
            found.append(f"{self.name} does not declare {', '.join(unknown)}")
        strays = sorted({s for s in streams if stream_kind(s) not in self.streams})
        if strays:
            found.append(f"{self.name} does not go to {', '.join(strays)}")
        return found

    def template(self, data: Mapping[str, Any], *, actor: bool) -> str | None:
        """The words for one event: the first variant whose condition holds."""
        if self.words is None or isinstance(self.words, str):
            return self.words
        for condition, words in self.words.items():
            if _holds(condition, data, actor=actor):
                return words
        return None

    def fields(self) -> set[str]:
        """Every payload key the words name (in a field or a condition)."""
        if self.words is None:
            return set()
        variants = {"": self.words} if isinstance(self.words, str) else dict(self.words)
        named = {condition.partition("=")[0] for condition in variants if condition}
        for words in variants.values():
            named.update(f for _, f, _, _ in string.Formatter().parse(words) if f is not None)
        return named - {"actor"}


def _holds(condition: str, data: Mapping[str, Any], *, actor: bool) -> bool:
    if not condition:
        return True
    if condition == "actor":
        return actor
    key, equals, value = condition.partition("=")
    return str(data.get(key)) == value if equals else bool(data.get(key))


_types: dict[str, EventType] = {}


def declare(
    name: str,
    *,
    keys: Iterable[str] = (),
    optional: Iterable[str] = (),
    streams: Iterable[str],
    words: Words = None,
) -> EventType:
    """Declare an event type (once; declaring the same again changes nothing)."""
    declared_type = EventType(name, frozenset(keys), frozenset(optional), frozenset(streams), words)
    known = _types.get(name)
    if known is not None and vars(known) != vars(declared_type):
        raise ValueError(f"event type {name} is declared twice, differently")
    return _types.setdefault(name, declared_type)


def declared(name: str) -> EventType | None:
    return _types.get(name)


def every() -> dict[str, EventType]:
    """Every declared type by name."""
    return dict(_types)


def check(name: str, data: Mapping[str, Any], streams: Iterable[str]) -> list[str]:
    """What is wrong with publishing an event of type ``name`` (nothing: [])."""
    event_type = _types.get(name)
    if event_type is None:
        return [f"event type {name} is not declared"]
    return event_type.problems(data, streams)
