"""Continuity of carer: how many different people visit a client, and how much of the
care comes from the two who come most.

Over the last four weeks of done visits (by the moment the visit started):
``distinct_carers`` is the number of different people who did them, and
``top_two_share`` the share of those visits done by the client's two most frequent
carers (``None`` without visits). Few carers and a high share mean the client sees
familiar faces: the figure teams watch when they plan, and the one the network and
inspectors compare.

Like the other care selectors it checks nobody's permission and logs nothing: a page
reading it for one client has already read the client through
``care.selectors.clients.client_for``; a team-wide figure names nobody.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count
from django.utils import timezone

from care.models import Client, Visit
from teams.models import Team

WINDOW = datetime.timedelta(days=28)
PERCENT = Decimal("0.1")


def _share(top_two: int, visits: int) -> Decimal | None:
    if not visits:
        return None
    return (Decimal(100 * top_two) / visits).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Continuity:
    visits: int
    distinct_carers: int
    top_two_visits: int

    @property
    def top_two_share(self) -> Decimal | None:
        """The share as a percentage with one decimal (``Decimal("83.3")``)."""
        return _share(self.top_two_visits, self.visits)


NONE = Continuity(visits=0, distinct_carers=0, top_two_visits=0)


@dataclass(frozen=True)
class TeamContinuity:
    clients: int  # clients with at least one done visit in the window
    visits: int
    mean_distinct_carers: Decimal | None
    top_two_visits: int

    @property
    def top_two_share(self) -> Decimal | None:
        return _share(self.top_two_visits, self.visits)


def _counts(client_filter: dict[str, Any], now: datetime.datetime) -> dict[int, list[int]]:
    """Done visits per carer, grouped by client, in one query."""
    rows = (
        Visit.objects.filter(
            **client_filter,
            status=Visit.Status.DONE,
            assignee__isnull=False,
            actual_start__gte=now - WINDOW,
            actual_start__lt=now,
        )
        .values("client_id", "assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        counts[row["client_id"]].append(row["n"])
    return counts


def _one(numbers: list[int]) -> Continuity:
    top = sorted(numbers, reverse=True)
    return Continuity(visits=sum(top), distinct_carers=len(top), top_two_visits=sum(top[:2]))


def continuity_of(
    clients: Iterable[Client | int], *, now: datetime.datetime | None = None
) -> dict[int, Continuity]:
    """Each client's continuity over the four weeks before ``now``, in one query.
    Clients without done visits get zero visits and no share."""
    ids = [c if isinstance(c, int) else c.pk for c in clients]
    counts = _counts({"client_id__in": ids}, now or timezone.now())
    return {pk: _one(counts[pk]) if pk in counts else NONE for pk in ids}


def team_continuity(team: Team | int, *, now: datetime.datetime | None = None) -> TeamContinuity:
    """The team's figure, in one query: the mean number of distinct carers per client
    visited, and the share of all visits done by each client's two most frequent
    carers (pooled: every visit weighs the same)."""
    counts = _counts({"client__team_id": getattr(team, "pk", team)}, now or timezone.now())
    each = [_one(numbers) for numbers in counts.values()]
    if not each:
        return TeamContinuity(clients=0, visits=0, mean_distinct_carers=None, top_two_visits=0)
    mean = (Decimal(sum(c.distinct_carers for c in each)) / len(each)).quantize(
        PERCENT, rounding=ROUND_HALF_UP
    )
    return TeamContinuity(
        clients=len(each),
        visits=sum(c.visits for c in each),
        mean_distinct_carers=mean,
        top_two_visits=sum(c.top_two_visits for c in each),
    )
