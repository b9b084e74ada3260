"""Pieces every teams service uses: the audit row and the team's event streams."""

from __future__ import annotations

from typing import Any

from coordination.events import Event, publish
from teams.models import AuditEntry, Person, Team


def audit(
    *, actor: Person | None, action: str, target: Any, data: dict[str, Any] | None = None
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor,
        action=action,
        target=f"{target._meta.label_lower}:{target.pk}",
        data=data or {},
    )


def publish_team(
    team: Team, kind: str, data: dict[str, Any], *, actor: Person | None, shared: bool
) -> None:
    """One event on the team's stream and, when it is decision business the team
    shares with its coaches, on the shared stream too."""
    streams = [team.stream, team.shared_stream] if shared else [team.stream]
    publish(Event(kind, data, actor=actor.pk if actor else None), streams=streams)
