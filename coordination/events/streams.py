"""Stream names, each kind built here once.

A stream's name says whose it is, and so who may read it (``coordination.access``
decides): ``team.<id>`` (the team's members: its care and its decisions),
``shared.<id>`` (what a team shares with its invited coaches: decisions, not care),
``client.<id>.<scope>`` (one scope of a client's record: the client, their
representative and whom they granted that scope), ``person.<id>`` (one person's
notifications), ``help`` (every team member: requests for help across teams) and
``network`` (team members and coaches: practice notes and shared figures).

The names are part of the API (clients follow streams by name and resume from
``since=team.3:41``): they never change shape. Event types declare which kinds they
go to (``coordination.events.types``), by the kind names below.
"""

from __future__ import annotations

TEAM = "team"
SHARED = "shared"
CLIENT = "client"
PERSON = "person"
HELP_STREAM = "help"
NETWORK_STREAM = "network"


def team_stream(team_id: int) -> str:
    return f"{TEAM}.{team_id}"


def shared_stream(team_id: int) -> str:
    return f"{SHARED}.{team_id}"


def client_stream(client_id: int, scope: str) -> str:
    return f"{CLIENT}.{client_id}.{scope}"


def person_stream(person_id: int) -> str:
    return f"{PERSON}.{person_id}"


def team_stream_sql(team_id_column: str) -> str:
    """The team's stream name computed in SQL from a column of team ids."""
    return f"'{TEAM}.' || CAST({team_id_column} AS TEXT)"


def stream_of(kind: str, pk: int, scope: str = "") -> str:
    """The stream of a kind and an id (and a scope, for a client's record)."""
    if kind == CLIENT:
        return client_stream(pk, scope)
    return {TEAM: team_stream, SHARED: shared_stream, PERSON: person_stream}[kind](pk)


def stream_kind(stream: str) -> str:
    """What kind of stream a name is, as event types declare it: ``team.3`` is
    "team", ``client.7.visits`` is "client.visits", ``help`` is "help"."""
    kind, _, rest = stream.partition(".")
    if kind == CLIENT:
        return f"{CLIENT}.{rest.partition('.')[2]}"
    return kind


def is_team_stream(stream: str) -> bool:
    return stream.startswith(f"{TEAM}.")
