"""Which live streams a person may read. Consumers and the stream API ask here."""

from __future__ import annotations

from care import access as care_access
from teams import access as team_access
from teams.models import Person


def readable_streams(person: Person) -> list[str]:
    """Every stream the person may follow now, sorted."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return []
    return sorted(
        team_access.team_streams(person)
        + team_access.shared_streams(person)
        + care_access.client_streams(person)
    )


def can_read_stream(person: Person, stream: str) -> bool:
    return stream in readable_streams(person)
