"""Reads of clients' records. Every read of a record writes an access-log row."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from care import access
from care.models import AccessLogEntry, Client, Grant, NetworkMember, VisitGrant
from teams.models import Membership, Person, Team

IDENTIFIERS = (
    "pk",
    "team__name",
    "first_name",
    "last_name",
    "preferred_name",
    "date_of_birth",
    "address",
    "postcode",
    "phone",
)


def why(person: Person, client: Client) -> str:
    """The reason a read is allowed, in the words the client reads in their log."""
    if access.is_care_team(person, client):
        return "care team"
    if person.pk == client.account_id:
        return "own record"
    if person.pk == client.representative_id:
        return "representative"
    granted = sorted(access.granted_scopes(person, client))
    return f"shared with them: {', '.join(granted)}" if granted else ""


def log_read(person: Person, client: Client, what: str, *, channel: str = "page") -> None:
    AccessLogEntry.objects.create(
        client=client,
        person=person,
        what=what[:200],
        why=why(person, client)[:200],
        channel=channel,
    )


def client_for(
    person: Person, pk: int, *, scope: str, what: str, channel: str = "page"
) -> Client | None:
    """The client if the person may read ``scope`` of their record (logged), else None."""
    client = Client.objects.select_related("team").filter(pk=pk).first()
    if client is None or not access.can_read(person, client, scope):
        return None
    log_read(person, client, what, channel=channel)
    return client


def clients_of(person: Person, team: Team) -> QuerySet[Client]:
    """The team's clients (names and status only: not a read of their records)."""
    from teams import access as team_access

    if not team_access.is_member(person, team):
        return Client.objects.none()
    return Client.objects.filter(team=team).order_by("last_name", "first_name")


def identifiers_known_to(
    person: Person | None, *, team: Team | None = None
) -> list[dict[str, Any]]:
    """What identifies the clients a person knows through their work, in one query:
    every client of the teams they belong to now, and every client whose visit was
    ever lent to them (help across teams). With ``team``, that team's clients as well:
    what a team shares with its coaches (its decisions) must name none of them,
    whoever writes it (a coach knows no client by their work). For the privacy check
    of texts that leave a team, which keeps these details out of them; never shown,
    so not a read of anyone's record (nothing is logged)."""
    parts = []
    if person is not None:
        my_teams = Membership.objects.current().filter(person=person).values("team_id")
        helped = VisitGrant.objects.filter(person=person).values("visit__client_id")
        parts.append(Client.objects.filter(team_id__in=my_teams))
        parts.append(Client.objects.filter(pk__in=helped))
    if team is not None:
        parts.append(Client.objects.filter(team=team))
    if not parts:
        return []
    # A union, not an OR: each part reads its index (clients by team, by id), where an
    # OR of them makes PostgreSQL filter every client of the network.
    first, *rest = (part.order_by().values(*IDENTIFIERS) for part in parts)
    return list(first.union(*rest).order_by("pk"))


def network_of(client: Client) -> QuerySet[NetworkMember]:
    return (
        NetworkMember.objects.filter(client=client)
        .select_related("account")
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=Grant.objects.filter(revoked_at__isnull=True),
                to_attr="open_grants",
            )
        )
    )


def access_log_of(
    person: Person, client: Client, *, limit: int = 200
) -> QuerySet[AccessLogEntry] | None:
    """The client's access log, for the client and their representative only."""
    if not access.can_read_access_log(person, client):
        return None
    return AccessLogEntry.objects.filter(client=client).select_related("person")[:limit]
