"""The kinds of decision a team can take, and what adopting each one does.

A kind validates its proposal's payload when the proposal is raised or amended, and
again when it is adopted (the team may have changed meanwhile), then applies it
through the service that owns the change. Kinds owned by other apps (a quality
publication, say) register here from their own AppConfig.ready(), so ``teams``
never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from teams.models import Proposal, Team


@dataclass(frozen=True)
class DecisionKind:
    key: str
    label: str
    help: str
    # (team, payload) -> the cleaned payload; raises ValidationError naming fields.
    validate: Callable[[Team, dict[str, Any]], dict[str, Any]]
    # (proposal) -> the outcome: what changed, with ids to link to.
    apply: Callable[[Proposal], dict[str, Any]]


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


# Other apps that must follow a team split (clients with their records, in care)
# register a participant: (old team, new team, ids of the people moving, decision).
SplitParticipant = Callable[[Team, Team, list[int], Proposal], dict[str, Any]]
_SPLIT_PARTICIPANTS: list[SplitParticipant] = []


def register_split_participant(participant: SplitParticipant) -> None:
    if participant not in _SPLIT_PARTICIPANTS:
        _SPLIT_PARTICIPANTS.append(participant)


def split_participants() -> list[SplitParticipant]:
    return list(_SPLIT_PARTICIPANTS)
