"""Who may see and change what of a client's record. Everyone else asks here.

- Members of the client's team: the whole record, and they keep it.
- The client (their own account) and the representative they named: their whole
  record to read, their access log, and they alone decide what the network sees.
- A network member with an account: exactly the scopes the client granted, while
  the grant is open and not expired.
- A carer of another team who helps with one visit (a live ``VisitGrant``): that
  visit and what it needs of the client (name, address, phone, the visit's tasks and
  its plan interventions), and starting and finishing it. Nothing else of the record,
  and nothing once the visit is done or the grant has ended or expired.
- Coaches, inspectors, other teams: nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from care.models import Client, Grant, Visit, VisitGrant
from coordination.events.streams import client_stream
from teams import access as team_access
from teams.models import Person

ALL_SCOPES = frozenset(Grant.Scope.values)


def is_care_team(person: Person, client: Client) -> bool:
    return team_access.is_member(person, client.team_id)


def speaks_for(person: Person, client: Client) -> bool:
    """The client themself, or the representative they named."""
    if not team_access.is_active(person):
        return False
    return person.pk in {client.account_id, client.representative_id}


def _open_grants(person: Person) -> QuerySet[Grant]:
    """The person's grants in force now: not revoked, not expired, their place in the
    network still there."""
    return Grant.objects.filter(
        member__account=person, member__active=True, revoked_at__isnull=True
    ).filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def granted_scopes(person: Person, client: Client) -> frozenset[str]:
    if not team_access.is_active(person):
        return frozenset()
    return frozenset(
        _open_grants(person).filter(member__client=client).values_list("scope", flat=True)
    )


def scopes(person: Person, client: Client) -> frozenset[str]:
    """The scopes of the record the person may read now (empty: none of it)."""
    if is_care_team(person, client) or speaks_for(person, client):
        return ALL_SCOPES
    return granted_scopes(person, client)


def can_read(person: Person, client: Client, scope: str) -> bool:
    return scope in scopes(person, client)


def can_keep_record(person: Person, client: Client) -> bool:
    """Write the care record: plans, visits, notes, status. The care team only."""
    return is_care_team(person, client)


def can_manage_sharing(person: Person, client: Client) -> bool:
    """Grant and revoke what the network sees: the client or their representative."""
    return speaks_for(person, client)


def can_read_access_log(person: Person, client: Client) -> bool:
    return speaks_for(person, client)


def can_write_diary(person: Person, client: Client) -> bool:
    return (
        is_care_team(person, client)
        or speaks_for(person, client)
        or (Grant.Scope.DIARY in granted_scopes(person, client))
    )


def client_streams(person: Person) -> list[str]:
    """Live streams of the clients' records a portal user may follow, per scope (read
    from ``stream_sources``, the one statement of who follows what)."""
    streams: set[str] = set()
    for source in stream_sources(person):
        for _kind, client_id, scope, *_ends in source:
            scopes = ALL_SCOPES if scope == "*" else [scope]
            streams.update(client_stream(client_id, one) for one in scopes)
    return sorted(streams)


def stream_sources(person: Person) -> list[QuerySet[Any, Any]]:
    """What the person's client streams rest on, as queries of rows (kind, client id,
    scope, ends at, last day) that ``coordination.access.readable_streams_until`` reads
    in one statement with the other apps': "client" with scope "*" for a client's own
    account and representative (every scope, no end), and one row per live grant
    (ending at its expiry, if any) (``client_streams``)."""
    from django.db.models import CharField, DateField, DateTimeField, F, Value
    from django.db.models.functions import Cast

    if not team_access.is_active(person):
        return []

    def text(value: str) -> Value:
        return Value(value, output_field=CharField())

    # Typed in SQL too: PostgreSQL types a bare NULL in a union's branch as text.
    no_day = Cast(Value(None), DateField())
    own = (
        Client.objects.filter(Q(account=person) | Q(representative=person))
        .order_by()
        .annotate(
            kind=text("client"),
            every=text("*"),
            ends_at=Cast(Value(None), DateTimeField()),
            last_day=no_day,
        )
        .values_list("kind", "pk", "every", "ends_at", "last_day")
    )
    granted = (
        _open_grants(person)
        .order_by()
        .annotate(kind=text("client"), ends_at=F("expires_at"), last_day=no_day)
        .values_list("kind", "member__client_id", "scope", "ends_at", "last_day")
    )
    return [own, granted]


def live_visit_grant(person: Person, visit: Visit | int) -> VisitGrant | None:
    """The grant that lets a helper from another team into this visit now, if any."""
    if not team_access.is_active(person):
        return None
    return VisitGrant.objects.live().filter(person=person, visit=visit).first()


def can_help_with_visit(person: Person, visit: Visit | int) -> bool:
    """Read the visit's needs, start it and finish it, as a helper from another team."""
    return live_visit_grant(person, visit) is not None


def can_work_visit(person: Person, visit: Visit) -> bool:
    """Start and finish a visit: the client's care team, or the helper it was lent to."""
    return is_care_team(person, visit.client) or can_help_with_visit(person, visit)
