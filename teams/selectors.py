"""Every read of teams, scoped to the person asking."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from teams.models import Membership, Person, Team


def teams_of(person: Person) -> QuerySet[Team]:
    return Team.objects.filter(memberships__person=person, memberships__left__isnull=True).order_by(
        "name"
    )


def team_for(person: Person, *, slug: str | None = None, pk: int | None = None) -> Team | None:
    """The team if the person may see it, else None (the caller answers 404)."""
    from teams import access

    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    team = Team.objects.filter(**lookup).first()
    if team is None or not access.can_view_team(person, team):
        return None
    return team


def current_members(team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.current()
        .filter(team=team)
        .select_related("person")
        .order_by("person__first_name", "person__last_name")
    )


def teams_with_members(person: Person) -> QuerySet[Team]:
    return teams_of(person).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.current().select_related("person"),
            to_attr="current_memberships",
        )
    )
