"""Reads by a helper from another team: the one visit lent to them, and only what it
needs of the client. Every read of it writes an access-log row the client can see."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from care.access import live_visit_grant
from care.models import AccessLogEntry, Client, PlanIntervention, Visit, VisitGrant
from teams import access as team_access
from teams.models import Person, Team


@dataclass
class GrantedVisit:
    """What a helper sees: the visit, who and where the client is, what to do there."""

    grant: VisitGrant
    visit: Visit
    team: Team
    client_name: str
    address: str
    postcode: str
    phone: str
    interventions: list[PlanIntervention] = field(default_factory=list)

    @property
    def client_id(self) -> int:
        return self.visit.client_id


def why(team: Team) -> str:
    """The reason in the client's access log, in words the client reads."""
    return f"helping team {team.name} with a visit"[:200]


def granted_visit(person: Person, visit_id: int, *, channel: str = "page") -> GrantedVisit | None:
    """The visit if the person holds a live grant for it (the read logged), else None.

    Three queries however much the visit needs: the grant with its visit, client and
    team; the visit's active interventions; the access-log row.
    """
    if not team_access.is_active(person):
        return None
    grant = (
        VisitGrant.objects.live()
        .filter(person=person, visit_id=visit_id)
        .select_related("visit__client__team")
        .first()
    )
    if grant is None:
        return None
    visit = grant.visit
    client: Client = visit.client
    interventions = list(
        PlanIntervention.objects.filter(visits=visit, active=True)
        .select_related("category", "target")
        .order_by("category__number", "target__number", "id")
    )
    AccessLogEntry.objects.create(
        client=client,
        person=person,
        what=f"visit of {timezone.localtime(visit.window_start):%-d %b %H:%M} (what it needs)",
        why=why(client.team),
        channel=channel,
    )
    return GrantedVisit(
        grant=grant,
        visit=visit,
        team=client.team,
        client_name=client.display_name,
        address=client.address,
        postcode=client.postcode,
        phone=client.phone,
        interventions=interventions,
    )


def lent_visit(person: Person, visit_id: int) -> Visit | None:
    """The visit lent to this helper from another team, to start or finish it (with its
    client's team, for the words); None without a live grant."""
    if live_visit_grant(person, visit_id) is None:
        return None
    return Visit.objects.select_related("client__team").filter(pk=visit_id).first()


def visits_helped_by(person: Person) -> list[VisitGrant]:
    """The person's live grants, soonest visit first, each with its visit and the team
    it helps (one query). Times and teams only: no client's name, nothing logged."""
    if not team_access.is_active(person):
        return []
    return list(
        VisitGrant.objects.live()
        .filter(person=person)
        .select_related("visit__client__team")
        .order_by("visit__window_start", "visit_id")
    )
