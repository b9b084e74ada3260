"""Who may do what with published quality data.

- The experience survey: the client and the representative they named answer it
  (``care.access.speaks_for``); network members do not. The client's care team and
  the client (or representative) read the answers; nobody else does.
- Snapshots: the team's current informer prepares a draft; any current member may
  propose a draft for publication (the team adopts it by consent, never one person).
  Drafts are read by the team's current members only.
- Published snapshots are read by inspectors, by every current member of any team
  and by coaches. Clients and their network read none of it.
"""

from __future__ import annotations

from care import access as care_access
from care.figures import access as figures_access
from care.models import Client, Snapshot
from teams import access as team_access
from teams.models import Membership, Person, Team


def can_answer_survey(person: Person, client: Client) -> bool:
    return care_access.speaks_for(person, client)


def can_read_surveys(person: Person, client: Client) -> bool:
    return care_access.speaks_for(person, client) or care_access.is_care_team(person, client)


def can_prepare_snapshot(person: Person, team: Team | int) -> bool:
    return figures_access.can_share_figures(person, team)


def can_read_drafts(person: Person, team: Team | int) -> bool:
    """The team's drafts, proposing one, and who read its published snapshots: its
    members."""
    return team_access.is_member(person, getattr(team, "pk", team))


can_propose_snapshot = can_read_snapshot_reads = can_read_drafts


def is_inspector(person: Person) -> bool:
    return team_access.is_active(person) and person.kind == Person.Kind.INSPECTOR


def can_read_published(person: Person) -> bool:
    """Inspectors, coaches and every current member of a team."""
    if not team_access.is_active(person):
        return False
    if person.kind in (Person.Kind.INSPECTOR, Person.Kind.COACH):
        return True
    return Membership.objects.current().filter(person=person).exists()


def can_read_snapshot(person: Person, snapshot: Snapshot) -> bool:
    if snapshot.status == Snapshot.Status.PUBLISHED:
        return can_read_published(person)
    return can_read_drafts(person, snapshot.team_id)
