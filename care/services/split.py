"""Clients follow an adopted team split to the new team, with their whole record.

Plans, visits, series, budgets, the diary and the network all hang off the client,
so moving the client moves them. What cannot come along is a carer who is no
longer in the client's team: open visits assigned to one become unassigned again,
and such carers are dropped from the preferred carers of open visits and active
series. The same goes for the clients who stay: their open visits lose the members
who moved away.

Runs only inside the adoption of the team's split decision (the team decided; no
single member can move a client), with an audit row and one event per client.
"""

from __future__ import annotations

from collections import defaultdict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q

from care.models import Client, Visit, VisitSeries
from care.services.common import client_streams, record
from coordination.events import notify_access_changed
from teams.cleaning import refused
from teams.models import Membership, Person, Proposal, Team

SPLIT_KIND = "team_split"


def _require_split(decision: Proposal, old_team: Team, new_team: Team) -> None:
    if (
        decision.kind != SPLIT_KIND
        or decision.team_id != old_team.pk
        or new_team.split_from_id != old_team.pk
    ):
        raise PermissionDenied("Only the team's split decision moves its clients to a new team.")


def clients_follow_split(
    *,
    actor: Person | None,
    decision: Proposal,
    old_team: Team,
    new_team: Team,
    moving: list[int],
    clients: list[int],
) -> list[int]:
    """Move ``clients`` (ids, checked by the split) from ``old_team`` to ``new_team``,
    whose members are ``moving``; returns the ids moved."""
    _require_split(decision, old_team, new_team)
    movers = set(moving)
    with transaction.atomic():
        chosen = list(
            Client.objects.select_for_update().filter(team=old_team, pk__in=clients).order_by("pk")
        )
        if len(chosen) != len(set(clients)):
            raise refused("clients", "Only clients of this team can move with it.")
        chosen_ids = [client.pk for client in chosen]

        def leaving(on: str, person: str) -> Q:
            """Rows (reaching the client through ``on``) whose ``person`` is not in the
            client's team after the split: a stayer on a client who moves, a mover on one
            who stays."""
            moves = Q(**{f"{on}client_id__in": chosen_ids})
            mover = Q(**{f"{person}__in": movers})
            return (moves & ~mover) | (Q(**{f"{on}client__team": old_team}) & ~moves & mover)

        # Open visits whose assignee is not in the client's team after the split.
        released = list(
            Visit.objects.filter(status__in=Visit.OPEN_STATUSES)
            .filter(assignee__isnull=False)
            .filter(leaving("", "assignee_id"))
            .values_list("pk", "client_id")
        )
        # Preferred carers likewise, on open visits and active series.
        visit_carers = Visit.preferred_carers.through.objects.filter(
            visit__status__in=Visit.OPEN_STATUSES
        ).filter(leaving("visit__", "person_id"))
        series_carers = VisitSeries.preferred_carers.through.objects.filter(
            visitseries__active=True
        ).filter(leaving("visitseries__", "person_id"))
        dropped_visit = list(visit_carers.values_list("pk", "visit_id", "visit__client_id"))
        dropped_series = list(
            series_carers.values_list("pk", "visitseries_id", "visitseries__client_id")
        )

        unassigned: dict[int, list[int]] = defaultdict(list)
        for visit_id, client_id in released:
            unassigned[client_id].append(visit_id)
        carers_dropped: dict[int, int] = defaultdict(int)
        for _, _, client_id in [*dropped_visit, *dropped_series]:
            carers_dropped[client_id] += 1

        Visit.objects.filter(pk__in=[pk for pk, _ in released]).update(
            assignee=None, status=Visit.Status.PLANNED, version=F("version") + 1
        )
        Visit.preferred_carers.through.objects.filter(pk__in=[r[0] for r in dropped_visit]).delete()
        VisitSeries.preferred_carers.through.objects.filter(
            pk__in=[r[0] for r in dropped_series]
        ).delete()
        # A visit or series whose carers changed is a new version of it (once, however
        # much changed), so an edit made from the old state is refused as stale.
        Visit.objects.filter(
            pk__in={r[1] for r in dropped_visit} - {pk for pk, _ in released}
        ).update(version=F("version") + 1)
        VisitSeries.objects.filter(pk__in={r[1] for r in dropped_series}).update(
            version=F("version") + 1
        )
        Client.objects.filter(pk__in=chosen_ids).update(team=new_team, version=F("version") + 1)

        for client in chosen:
            client.team, client.version = new_team, client.version + 1
            data = {
                "client": client.pk,
                "from_team": old_team.pk,
                "to_team": new_team.pk,
                "version": client.version,
                "decision": decision.pk,
                "visits_unassigned": sorted(unassigned.get(client.pk, [])),
                "carers_dropped": carers_dropped.get(client.pk, 0),
            }
            streams = [old_team.stream, *client_streams(client, "visits")]
            record(actor, "client.moved", client, data, streams)

        touched = (set(unassigned) | set(carers_dropped)) - set(chosen_ids)
        for client in Client.objects.filter(pk__in=touched).select_related("team").order_by("pk"):
            data = {
                "client": client.pk,
                "to_team": new_team.pk,
                "decision": decision.pk,
                "visits_unassigned": sorted(unassigned.get(client.pk, [])),
                "carers_dropped": carers_dropped.get(client.pk, 0),
            }
            record(actor, "client.carers_moved", client, data, client_streams(client, "visits"))

        if chosen_ids:
            # The members who stay no longer keep these records: their open pages and
            # sockets check again what they may see.
            staying = (
                Membership.objects.current().filter(team=old_team).exclude(person_id__in=movers)
            )
            for person_id in staying.values_list("person_id", flat=True):
                notify_access_changed(person_id)
    return chosen_ids
