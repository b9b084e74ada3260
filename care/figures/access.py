"""Who may see a team's figures and who may share them with the network.

- A team's own indicators (shared or not): its current members. Coaches do not see
  them: a team shares decisions with the coaches it invites, not care, and figures
  reach anyone outside the team only when the team shares them.
- Sharing a period's figures with the network: the team's current informer (the
  rotating role "informer" with a running term), who is also a current member.
- The network's shared figures: anyone in the network, that is every current
  member of any team, and coaches. Inspectors read published snapshots only, never
  shared figures; clients and their network read none of it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef
from django.utils import timezone

from teams import access as team_access
from teams.models import Membership, Person, Role, RoleTerm, Team


def informer_terms(team_ids: Iterable[int]) -> dict[int, RoleTerm]:
    """The running informer term of each of these teams that has one, by team id, in
    one query. Someone holds it while their term has begun and has not been ended,
    and while they are still a member (leaving ends one's roles; checked anyway)."""
    still_member = Membership.objects.current().filter(
        team_id=OuterRef("role__team_id"), person_id=OuterRef("person_id")
    )
    terms = RoleTerm.objects.filter(
        Exists(still_member),
        role__team_id__in=list(team_ids),
        role__key=Role.INFORMER,
        ended__isnull=True,
        starts__lte=timezone.localdate(),
    ).select_related("person", "role")
    return {term.role.team_id: term for term in terms}


def current_informer_term(team: Team | int) -> RoleTerm | None:
    team_id = team if isinstance(team, int) else team.pk
    return informer_terms([team_id]).get(team_id)


def informer_refusal(team: Team, doing: str) -> str:
    """Why someone who is not the informer cannot do what only the informer ``doing``,
    naming who can."""
    term = current_informer_term(team)
    if term is None:
        return (
            f"Only the team's informer {doing}, and nobody holds the informer role now: the"
            " team hands it to someone by decision first."
        )
    return f"Only the team's informer {doing}: that is {term.person.display_name} now."


def can_share_figures(person: Person, team: Team | int) -> bool:
    if not team_access.is_active(person):
        return False
    term = current_informer_term(team)
    return term is not None and term.person_id == person.pk


def can_read_network_figures(person: Person) -> bool:
    if not team_access.is_active(person) or person.kind == Person.Kind.INSPECTOR:
        return False
    if person.kind == Person.Kind.COACH:
        return True
    return Membership.objects.current().filter(person=person).exists()
