"""Who may do what with teams. Pages, the API and consumers ask here; nobody else decides."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from coordination.events import streams
from teams.models import ApiToken, CoachTerm, Membership, Person, Team


def is_active(person: object) -> bool:
    """Signed in, with an account that is not deactivated: the first question of every
    rule, here and in every app's access module."""
    return bool(getattr(person, "is_authenticated", False) and getattr(person, "is_active", False))


def may_join_teams(person: Person) -> bool:
    """Only nurses and carers join teams (admission refuses every other kind of
    person): for anyone else a membership lookup can be skipped."""
    return getattr(person, "kind", None) == Person.Kind.MEMBER


def is_member(person: Person, team: Team | int) -> bool:
    if not is_active(person):
        return False
    team_id = team if isinstance(team, int) else team.pk
    return Membership.objects.current().filter(person=person, team_id=team_id).exists()


def member_team_ids(person: Person) -> set[int]:
    if not is_active(person):
        return set()
    return set(Membership.objects.current().filter(person=person).values_list("team_id", flat=True))


def teams_visible_to(person: Person) -> QuerySet[Team]:
    """The teams whose own pages and API the person may use (``can_view_team``), as a
    queryset, so a lookup and its permission check are one query.

    A join on the person's current memberships (at most one per team, by constraint),
    not an EXISTS: the board asks this at every change on every phone, and the join
    is the cheaper of the two to build."""
    if not is_active(person):
        return Team.objects.none()
    return Team.objects.filter(
        Q(memberships__person=person) & Membership.current_lookup("memberships__")
    )


def can_view_team(person: Person, team: Team) -> bool:
    # Coaches' view of inviting teams arrives with team decisions (teams issue).
    return is_member(person, team)


def can_edit_team_details(person: Person, team: Team) -> bool:
    return is_member(person, team)


def team_streams(person: Person) -> list[str]:
    return [streams.team_stream(team_id) for team_id in sorted(member_team_ids(person))]


def is_current_coach(person: Person, team: Team | int) -> bool:
    if not is_active(person) or person.kind != Person.Kind.COACH:
        return False
    team_id = team if isinstance(team, int) else team.pk
    today = timezone.localdate()
    return CoachTerm.objects.filter(
        team_id=team_id, coach=person, ended__isnull=True, starts__lte=today, ends__gte=today
    ).exists()


def coached_team_ids(person: Person) -> set[int]:
    if not getattr(person, "is_authenticated", False) or person.kind != Person.Kind.COACH:
        return set()
    today = timezone.localdate()
    return set(
        CoachTerm.objects.filter(
            coach=person, ended__isnull=True, starts__lte=today, ends__gte=today
        ).values_list("team_id", flat=True)
    )


def can_view_shared(person: Person, team: Team) -> bool:
    """Proposals, decisions, roles and figures: members, and the coaches they invited."""
    return is_member(person, team) or is_current_coach(person, team)


def can_take_part(person: Person, team: Team) -> bool:
    """Raise, consent, object, amend, withdraw: members only; never a coach."""
    return is_member(person, team)


def can_comment(person: Person, team: Team) -> bool:
    return can_view_shared(person, team)


def stream_sources(person: Person) -> list[QuerySet[Any, Any]]:
    """What the person's live streams rest on in this app, as queries of rows
    (kind, team id, scope, ends at, last day) that
    ``coordination.access.readable_streams_until`` reads in one statement with the
    other apps': "team" for each current membership (its agreed last day, if any),
    "shared" for each team the person coaches now (the term's last day)
    (``team_streams`` and ``shared_streams``)."""
    if not is_active(person):
        return []

    def kind(name: str) -> Value:
        return Value(name, output_field=CharField())

    # Typed in SQL too: PostgreSQL types a bare NULL in a union's first branch as text.
    no_moment = Cast(Value(None), DateTimeField())
    sources: list[QuerySet[Any, Any]] = [
        Membership.objects.current()
        .filter(person=person)
        .order_by()
        .annotate(
            kind=kind(streams.TEAM),
            scope=kind(""),
            ends_at=no_moment,
            last_day=F("until"),
        )
        .values_list("kind", "team_id", "scope", "ends_at", "last_day")
    ]
    if person.kind == Person.Kind.COACH:
        today = timezone.localdate()
        sources.append(
            CoachTerm.objects.filter(
                coach=person, ended__isnull=True, starts__lte=today, ends__gte=today
            )
            .order_by()
            .annotate(
                kind=kind(streams.SHARED),
                scope=kind(""),
                ends_at=no_moment,
                last_day=F("ends"),
            )
            .values_list("kind", "team_id", "scope", "ends_at", "last_day")
        )
    return sources


def shared_streams(person: Person) -> list[str]:
    """Coaches follow what their inviting teams share with them, not the team stream."""
    return [streams.shared_stream(team_id) for team_id in sorted(coached_team_ids(person))]


def may_manage_token(person: Person, token: ApiToken) -> bool:
    """A token is its person's alone: nobody else lists or revokes it (operators
    included: they end a person's access by deactivating the account)."""
    return is_active(person) and token.person_id == person.pk
