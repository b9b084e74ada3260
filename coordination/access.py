"""Which live streams a person may read. Consumers and the stream API ask here."""

from __future__ import annotations

import datetime
from typing import cast

from django.utils import timezone

from care import access as care_access
from coordination.events.streams import (
    CLIENT,
    HELP_STREAM,
    NETWORK_STREAM,
    is_team_stream,
    person_stream,
    stream_of,
)
from coordination.practice import access as practice_access
from teams import access as team_access
from teams.models import Person

__all__ = ["HELP_STREAM", "person_stream"]  # the streams of this app, built in the log


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
    """Every stream the person may follow now, sorted (see ``readable_streams_until``)."""
    return readable_streams_until(person)[0]


def readable_streams_until(person: Person) -> tuple[list[str], datetime.datetime | None]:
    """Every stream the person may follow now, sorted, and the first moment one of
    them stops being theirs by the clock alone (a grant's expiry, the end of a coach's
    term or of a membership's agreed last day), or None when nothing ends by itself.
    Access that ends by a decision or a revoke rings the person's sockets instead.

    One query: each app says what its streams rest on (``stream_sources``: rows of
    kind, id, scope, the moment it ends and the last day it lasts) and they are read
    together in one UNION ALL, since every socket that opens asks this first."""
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return [], None
    first, *rest = team_access.stream_sources(person) + care_access.stream_sources(person)
    streams = {person_stream(person.pk)}
    ends: list[datetime.datetime] = []
    # (ordered by nothing: a union would otherwise take the first model's ordering)
    for kind, pk, scope, ends_at, last_day in first.union(*rest, all=True).order_by():
        scopes = care_access.ALL_SCOPES if kind == CLIENT and scope == "*" else [scope]
        streams.update(stream_of(kind, pk, one) for one in scopes)
        if ends_at is not None:
            ends.append(_aware(ends_at))
        if last_day is not None:
            ends.append(end_of_day(_day(last_day)))
    member = any(is_team_stream(s) for s in streams)
    if member:
        # Members of any team follow the network's requests for help.
        streams.add(HELP_STREAM)
    if member or practice_access.is_coach(person):
        # Team members and coaches follow the network's practice: new notes, answers
        # and shared team figures (inspectors and clients read public notes, not live).
        streams.add(NETWORK_STREAM)
    return sorted(streams), min(ends, default=None)


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The moment a day ends in the deployment's time zone (access that lasts to the
    end of a last day ends here)."""
    following = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(following)


def _day(value: object) -> datetime.date:
    # A union's column keeps the first query's type; SQLite may hand a date back as text.
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(str(value))


def _aware(value: object) -> datetime.datetime:
    moment = cast(
        datetime.datetime,
        datetime.datetime.fromisoformat(value) if isinstance(value, str) else value,
    )
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def can_read_stream(person: Person, stream: str) -> bool:
    return stream in readable_streams(person)
