"""Which live streams a person may read. Consumers and the stream API ask here."""

from __future__ import annotations

from care import access as care_access
from teams import access as team_access
from teams.models import Person


def person_stream(person_id: int) -> str:
    """A person's own stream: their notifications. Nobody else may read it."""
    return f"person.{person_id}"


HELP_STREAM = "help"


def is_network_member(person: Person) -> bool:
    """A current member of any team: they see the network's requests for help, offer
    help, and ask for it for their own team. Coaches, inspectors, clients and their
    families do not."""
    return bool(team_access.member_team_ids(person))


def can_ask_for_help(person: Person, team_id: int) -> bool:
    """Raise, withdraw, and accept or decline offers on a team's requests for help:
    any current member of that team (no role and no one else decides)."""
    return team_access.is_member(person, team_id)


def can_offer_help(person: Person, team_id: int) -> bool:
    """Offer help on a team's request: a current member of another team."""
    teams = team_access.member_team_ids(person)
    return bool(teams) and team_id not in teams


def readable_streams(person: Person) -> list[str]:
    """Every stream the person may follow now, sorted."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return []
    teams = team_access.team_streams(person)
    return sorted(
        teams
        # Members of any team follow the network's requests for help.
        + ([HELP_STREAM] if teams else [])
        + team_access.shared_streams(person)
        + care_access.client_streams(person)
        + [person_stream(person.pk)]
    )


def can_read_stream(person: Person, stream: str) -> bool:
    return stream in readable_streams(person)
