"""Who may do what with teams. Pages, the API and consumers ask here; nobody else decides."""

from __future__ import annotations

from teams.models import Membership, Person, Team

TEAM_STREAM_PREFIX = "team."


def is_member(person: Person, team: Team | int) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    team_id = team if isinstance(team, int) else team.pk
    return Membership.objects.current().filter(person=person, team_id=team_id).exists()


def member_team_ids(person: Person) -> set[int]:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return set()
    return set(Membership.objects.current().filter(person=person).values_list("team_id", flat=True))


def can_view_team(person: Person, team: Team) -> bool:
    # Coaches' view of inviting teams arrives with team decisions (teams issue).
    return is_member(person, team)


def can_edit_team_details(person: Person, team: Team) -> bool:
    return is_member(person, team)


def team_streams(person: Person) -> list[str]:
    return [f"{TEAM_STREAM_PREFIX}{team_id}" for team_id in sorted(member_team_ids(person))]
