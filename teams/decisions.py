"""The kinds of decision a team can take, and what adopting each one does.

A kind validates its proposal's payload when the proposal is raised or amended, and
again when it is adopted (the team may have changed meanwhile), then applies it
through the service that owns the change. Kinds owned by other apps (a quality
publication, say) register here from their own AppConfig.ready(), so ``teams``
never imports them.

A kind names the free texts of its payload (``texts``): the team's coaches read them
with the proposal, so they pass the team's text checks (``teams.texts``) when the
proposal is raised or amended, as its title, purpose and details do.

A kind also says what it asks for and how it reads, without knowing any page: its
``fields`` (name, label, type, help, where the choices come from, whether it is
required), in the order a form shows them, and its ``summary``, the lines a reader
sees for a payload. The pages render any kind from these (``frontend/forms.py``), so
a new kind needs no page of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from teams.models import Proposal, Team


@dataclass(frozen=True)
class Text:
    """A free-text field of a kind's payload, read by the team's coaches."""

    label: str  # how a message names it: "handover notes"
    # An address made of words ("gerrit-bosch", a role's key, a team's slug): checked
    # as the words it joins, the way a reader reads it.
    slug: bool = False

    def readable(self, value: str) -> str:
        return value.replace("-", " ").replace("_", " ") if self.slug else value


# The types a field may have. A form shows each its own way; the value a form holds:
TEXT = "text"  # one line of text
LONG_TEXT = "long_text"  # text of several lines (``lines`` of them shown)
EMAIL = "email"
DATE = "date"  # YYYY-MM-DD
NUMBER = "number"
CHOICE = "choice"  # one of ``choices(team)``, as (value, words) pairs
PERSON = "person"  # one person of ``choices(team)``
ROLE = "role"  # one of the team's roles, of ``choices(team)``
PEOPLE = "people"  # several people of ``choices(team)``: a list of ids
ROLE_FATES = "role_fates"  # for each of the team's roles, one of ``choices(team)``
SPLIT_CLIENTS = "split_clients"  # the team's clients who follow ``depends_on``'s people
FIELD_TYPES = frozenset(
    {TEXT, LONG_TEXT, EMAIL, DATE, NUMBER, CHOICE, PERSON, ROLE, PEOPLE, ROLE_FATES, SPLIT_CLIENTS}
)
# The types of one choice: a link to a form may name the value to start from.
ONE_OF = frozenset({CHOICE, PERSON, ROLE})

Choices = Callable[[Team], Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Field:
    """One field of a kind's payload, as a form asks for it."""

    name: str
    label: str
    type: str = TEXT
    help: str = ""  # "{team}" is the team's name
    choices: Choices | None = None  # where the choices come from (for the types above)
    required: bool = True  # False: the label says so, or another field stands in for it
    max_length: int | None = None
    lines: int = 3  # a long text's height
    initial: Callable[[Team], Any] | None = None  # what a fresh form starts from
    depends_on: str = ""  # the field whose value this one's choices follow

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"field {self.name!r} has no such type: {self.type!r}")


@dataclass(frozen=True)
class Line:
    """One line of a payload's summary: a label and its value, with names, not ids.
    ``long`` values keep their line breaks."""

    label: str
    value: str
    long: bool = False


class Names(Protocol):
    """What a summary needs to say names instead of ids (the page supplies it)."""

    def person(self, pk: Any) -> str: ...

    def coach(self, pk: Any) -> str: ...

    def role(self, key: str) -> str: ...

    def date(self, value: Any) -> str: ...


def summary_of_items(payload: Mapping[str, Any], names: Names) -> list[Line]:
    """The summary of a kind that has none of its own: each payload field as it is."""
    return [Line(key.replace("_", " ").capitalize(), str(value)) for key, value in payload.items()]


@dataclass(frozen=True)
class DecisionKind:
    key: str
    label: str
    help: str
    # (team, payload) -> the cleaned payload; raises ValidationError naming fields.
    validate: Callable[[Team, dict[str, Any]], dict[str, Any]]
    # (proposal) -> the outcome: what changed, with ids to link to.
    apply: Callable[[Proposal], dict[str, Any]]
    # The payload's free texts, by field: checked as sent (``teams.texts``).
    texts: Mapping[str, Text] = field(default_factory=dict)
    # What a form asks for, in order; a function when other apps add fields (a split's
    # participants), so they are read when asked, after every app registered.
    fields: Sequence[Field] | Callable[[], Sequence[Field]] = ()
    # (payload, names) -> the lines a reader sees.
    summary: Callable[[Mapping[str, Any], Names], list[Line]] = summary_of_items

    def form_fields(self) -> list[Field]:
        return list(self.fields() if callable(self.fields) else self.fields)


_KINDS: dict[str, DecisionKind] = {}


def register(kind: DecisionKind) -> DecisionKind:
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"decision kind {kind.key!r} is registered twice")
    _KINDS[kind.key] = kind
    return kind


def get(key: str) -> DecisionKind | None:
    return _KINDS.get(key)


def of(proposal: Proposal) -> DecisionKind:
    """The kind of a stored proposal: checked when it was raised, so an unknown one
    means a kind was removed from the code with proposals of it still stored."""
    kind = _KINDS.get(proposal.kind)
    if kind is None:
        raise LookupError(f"Proposal {proposal.pk} is of unknown kind {proposal.kind!r}.")
    return kind


def all_kinds() -> list[DecisionKind]:
    return list(_KINDS.values())


# --- what follows a team split ----------------------------------------------------------

# The split's own payload fields: a participant's key may not take one of them.
SPLIT_FIELDS = frozenset({"new_name", "new_slug", "stays_name", "moving", "roles"})


@dataclass(frozen=True)
class SplitParticipant:
    """Another app's share of a team split (care: the clients and their records).

    Its part of the proposal is ``payload[key]``. When a proposal leaves it out, the
    split uses ``suggest`` at validation time, so the payload the team adopts always
    states it explicitly. ``validate`` runs when the proposal is raised or amended and
    again at adoption (the team may have changed); ``apply`` runs inside the
    adoption's transaction, after the members have moved.
    """

    key: str
    label: str
    # (team, ids of the people moving, value) -> the cleaned value; raises
    # ValidationError naming ``key``.
    validate: Callable[[Team, list[int], Any], Any]
    # (team, ids of the people moving) -> the value to propose.
    suggest: Callable[[Team, list[int]], Any]
    # (old team, new team, ids of the people moving, cleaned value, decision) -> outcome.
    apply: Callable[[Team, Team, list[int], Any, Proposal], dict[str, Any]]
    # How the split's form asks for it (named ``key``), if a person chooses it.
    field: Field | None = None


_SPLIT_PARTICIPANTS: dict[str, SplitParticipant] = {}


def register_split_participant(participant: SplitParticipant) -> SplitParticipant:
    if participant.key in SPLIT_FIELDS:
        raise ValueError(f"{participant.key!r} is a field of the split itself")
    known = _SPLIT_PARTICIPANTS.get(participant.key)
    if known is not None and known is not participant:
        raise ValueError(f"split participant {participant.key!r} is registered twice")
    _SPLIT_PARTICIPANTS[participant.key] = participant
    return participant


def split_participants() -> list[SplitParticipant]:
    return list(_SPLIT_PARTICIPANTS.values())


def split_participant_fields() -> list[Field]:
    return [p.field for p in _SPLIT_PARTICIPANTS.values() if p.field is not None]
