"""The kinds of decision a team can take, and what adopting each one does.

A kind validates its proposal's payload when the proposal is raised or amended, and
again when it is adopted (the team may have changed meanwhile), then applies it
through the service that owns the change. Kinds owned by other apps (a quality
publication, say) register here from their own AppConfig.ready(), so ``teams``
never imports them.

A kind names the free texts of its payload (``texts``): the team's coaches read them
with the proposal, so they pass the team's text checks (``teams.texts``) when the
proposal is raised or amended, as its title, purpose and details do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

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


_KINDS: dict[str, DecisionKind] = {}


def register(kind: DecisionKind) -> DecisionKind:
    if kind.key in _KINDS and _KINDS[kind.key] is not kind:
        raise ValueError(f"decision kind {kind.key!r} is registered twice")
    _KINDS[kind.key] = kind
    return kind


def get(key: str) -> DecisionKind | None:
    return _KINDS.get(key)


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
