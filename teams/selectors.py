"""Every read of teams, scoped to the person asking."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from teams import access
from teams.models import ApiToken, Invitation, Membership, Network, Person, Team
from teams.numbers import is_id

if TYPE_CHECKING:
    from collections.abc import Iterable

    from teams.models import Agreement, CoachAccess, CoachTerm, Proposal, Role


def teams_of(person: Person) -> QuerySet[Team]:
    return Team.objects.filter(
        Q(memberships__person=person) & Membership.current_lookup("memberships__")
    ).order_by("name")


class Name(TypedDict):
    first_name: str
    preferred_name: str
    last_name: str


def teammate_names(person: Person | None, *, team: Team | None = None) -> list[Name]:
    """First, preferred and last names of everyone in the person's current teams, the
    person included, and in ``team`` when given (one query): the privacy check tells
    a colleague from a client."""
    among = Q()
    if person is not None:
        among |= Q(
            memberships__team_id__in=Membership.objects.current()
            .filter(person=person)
            .values("team_id")
        )
    if team is not None:
        among |= Q(memberships__team_id=team.pk)
    if not among:
        return []
    return list(
        Person.objects.filter(among, memberships__left__isnull=True)
        .values("first_name", "preferred_name", "last_name")
        .distinct()
    )


def team_for(person: Person, *, slug: str | None = None, pk: int | None = None) -> Team | None:
    """The team if the person may see it, else None (the caller answers 404)."""
    lookup = {"slug": slug} if slug is not None else {"pk": pk}
    # One query: the team, only if the person may view it.
    return access.teams_visible_to(person).filter(**lookup).first()


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


# --- decisions, roles, coaches -------------------------------------------------------


COACH_READ_MERGE = datetime.timedelta(minutes=10)


def log_coach_access(person: Person, team: Team, what: str) -> None:
    """Coaches' reads of a team's shared material are recorded; the team sees them."""
    from teams.models import CoachAccess

    if access.is_current_coach(person, team) and not access.is_member(person, team):
        # A page refreshing itself live is one read, not one per refresh.
        recent = timezone.now() - COACH_READ_MERGE
        what = what[:200]
        if not CoachAccess.objects.filter(
            coach=person, team=team, what=what, at__gte=recent
        ).exists():
            CoachAccess.objects.create(coach=person, team=team, what=what)


def shared_team_for(
    person: Person, *, pk: int | None = None, slug: str | None = None, what: str = ""
) -> Team | None:
    """A team whose shared material the person may read (member or invited coach).
    ``what`` names the read for the coach access log; empty when nothing is read."""
    lookup = {"pk": pk} if pk is not None else {"slug": slug}
    team = Team.objects.filter(**lookup).first()
    if team is None or not access.can_view_shared(person, team):
        return None
    if what:
        log_coach_access(person, team, what)
    return team


def _proposal_queryset() -> QuerySet[Proposal]:
    from teams.models import Proposal, Response

    return Proposal.objects.select_related("author", "team").prefetch_related(
        Prefetch("responses", queryset=Response.objects.select_related("person"))
    )


def with_member_ids(proposals: list[Proposal], team_id: int) -> list[Proposal]:
    """Give each proposal the team's current member ids (one query for the list)."""
    from teams.services.proposals import current_member_ids

    member_ids = current_member_ids(team_id)
    for proposal in proposals:
        proposal.member_ids = member_ids
    return proposals


def proposals_of(
    team: Team, *, status: str | None = None, limit: int | None = None
) -> list[Proposal]:
    proposals = _proposal_queryset().filter(team=team)
    if status:
        proposals = proposals.filter(status=status)
    proposals = proposals.order_by("closes_at" if status == "open" else "-created")
    return with_member_ids(list(proposals[:limit] if limit else proposals), team.pk)


def proposal_for(person: Person, pk: int, *, log: bool = True) -> Proposal | None:
    """The proposal with its responses and comments, if the person may see it.
    ``log=False`` re-reads what the same request already logged."""
    from teams.models import Comment

    proposal = (
        _proposal_queryset()
        .prefetch_related(Prefetch("comments", queryset=Comment.objects.select_related("author")))
        .filter(pk=pk)
        .first()
    )
    if proposal is None or not access.can_view_shared(person, proposal.team):
        return None
    if log:
        log_coach_access(person, proposal.team, f"proposal {proposal.pk}")
    return with_member_ids([proposal], proposal.team_id)[0]


def decisions_of(team: Team, *, search: str = "") -> QuerySet[Proposal]:
    """The decision log: adopted proposals, newest first, searchable."""
    from teams.models import Proposal

    decisions = (
        _proposal_queryset()
        .filter(team=team, status=Proposal.Status.ADOPTED)
        .order_by("-decided_at", "-id")
    )
    for word in search.split()[:8]:
        decisions = decisions.filter(
            Q(title__icontains=word)
            | Q(purpose__icontains=word)
            | Q(details__icontains=word)
            | Q(kind__icontains=word)
        )
    return decisions


def roles_of(team: Team) -> list[Role]:
    """The team's roles, each with ``current`` (the term now running, or None) and
    ``history`` (every term, newest first)."""
    from teams.models import Role, RoleTerm

    roles = list(
        Role.objects.filter(team=team).prefetch_related(
            Prefetch("terms", queryset=RoleTerm.objects.select_related("person", "decision"))
        )
    )
    for role in roles:
        terms = list(role.terms.all())
        role.history = terms
        role.current = next((t for t in terms if t.ended is None), None)
    return roles


def coach_terms_of(team: Team) -> QuerySet[CoachTerm]:
    from teams.models import CoachTerm

    return CoachTerm.objects.filter(team=team).select_related("coach").order_by("-starts")


def coach_accesses_of(team: Team, *, limit: int = 100) -> QuerySet[CoachAccess]:
    from teams.models import CoachAccess

    return CoachAccess.objects.filter(team=team).select_related("coach")[:limit]


def coached_teams(person: Person) -> QuerySet[Team]:
    return Team.objects.filter(pk__in=access.coached_team_ids(person)).order_by("name")


def agreement_of(team: Team) -> Agreement | None:
    from teams.models import Agreement

    return Agreement.objects.filter(team=team).select_related("decision").first()


def admission_candidates(team: Team) -> QuerySet[Person]:
    """Nurses and carers who could join: active member accounts not in this team now."""
    return (
        Person.objects.filter(is_active=True, kind=Person.Kind.MEMBER)
        .exclude(pk__in=Membership.objects.current().filter(team=team).values("person_id"))
        .order_by("first_name", "last_name", "username")
    )


def coach_candidates(team: Team) -> QuerySet[Person]:
    """Coaches the team could invite: active coaches without a running term here."""
    return (
        Person.objects.filter(is_active=True, kind=Person.Kind.COACH)
        .exclude(coach_terms__team=team, coach_terms__ended__isnull=True)
        .order_by("first_name", "last_name", "username")
    )


def invitations_of(team: Team, *, limit: int = 200) -> QuerySet[Invitation]:
    """The invitations the team sent (founding, admission, its clients' accounts),
    newest first."""
    from teams import invitations as registry

    return (
        Invitation.objects.filter(team=team, purpose__in=registry.team_purposes())
        .select_related("team", "invited_by", "accepted_by", "decision")
        .order_by("-created", "-id")[:limit]
    )


def tokens_of(person: Person) -> QuerySet[ApiToken]:
    """The person's own tokens that still let them in, newest first."""
    if not getattr(person, "is_authenticated", False):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(
        person=person, revoked__isnull=True, expires__gt=timezone.now()
    ).order_by("-created", "-id")


def token_of(person: Person, pk: int) -> ApiToken | None:
    """One of the person's own tokens (revoked or expired too), else None: someone
    else's token is not found, not forbidden."""
    if not getattr(person, "is_authenticated", False):
        return None
    return ApiToken.objects.filter(person=person, pk=pk).first()


def team_slugs(team_ids: Iterable[int | None]) -> dict[int, str]:
    """The slugs of teams by id (the address of their pages); a missing id (None) has
    none (an ``in`` lookup leaves None out anyway)."""
    ids = [pk for pk in team_ids if pk is not None]
    return dict(Team.objects.filter(pk__in=ids).values_list("pk", "slug"))


def person_by_id(pk: int) -> Person | None:
    """A person named by id in a form or a request (the service decides what they may
    be given)."""
    return Person.objects.filter(pk=pk).first()


def invitation_by_id(pk: int) -> Invitation | None:
    """An invitation named in a form (whoever may manage it is the service's rule)."""
    return Invitation.objects.select_related("team").filter(pk=pk).first()


def active_person(pk: object) -> Person | None:
    """An account that may still sign in (the second step of signing in names it)."""
    return Person.objects.filter(pk=pk, is_active=True).first() if is_id(pk) else None


def network_overview(*, waiting_limit: int = 100) -> dict[str, Any]:
    """What the operator's page shows: the network, each team with its current members
    counted, the founding and operator invitations still waiting, and how many people
    are members of a team now."""
    teams = Team.objects.annotate(
        members=Count("memberships", filter=Membership.current_lookup("memberships__"))
    ).order_by("name")
    waiting = (
        Invitation.objects.filter(
            purpose__in=["founding", "operator"],
            accepted_at__isnull=True,
            withdrawn_at__isnull=True,
        )
        .select_related("team")
        .order_by("-created")[:waiting_limit]
    )
    return {
        "network": Network.current(),
        "teams": teams,
        "waiting": list(waiting),
        "members_total": Membership.objects.current().count(),
    }
