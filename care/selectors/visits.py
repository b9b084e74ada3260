"""Reads of a client's visits. Like ``care.selectors.budgets`` it checks nobody's
permission and logs nothing: the caller reads the client through
``care.selectors.clients.client_for`` (scope ``visits``, logged) first."""

from __future__ import annotations

import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from care.models import Client, Visit, VisitSeries

UPCOMING_DAYS = 14
# The team's view of a client's visits: this far back and ahead.
AROUND = datetime.timedelta(days=14)


def upcoming_visits(
    client: Client, *, days: int = UPCOMING_DAYS, now: datetime.datetime | None = None
) -> QuerySet[Visit]:
    """The visits whose window has not ended yet and begins within ``days`` days, in
    order, with who is coming, in one query. Cancelled ones are kept: the family wants
    to know nobody is coming as much as who is."""
    now = now or timezone.now()
    return Visit.objects.filter(
        client=client,
        window_end__gt=now,
        window_start__lt=now + datetime.timedelta(days=days),
    ).select_related("assignee")


def visits_around(client: Client, now: datetime.datetime) -> QuerySet[Visit]:
    """The team's view: visits of the last and the next 14 days, and any still under
    way however long ago (it waits to be recorded), with who goes, in one query."""
    return (
        Visit.objects.filter(client=client)
        .filter(
            Q(window_start__gte=now - AROUND, window_start__lt=now + AROUND)
            | Q(window_end__gt=now, window_start__lt=now + AROUND)
            | Q(status=Visit.Status.IN_PROGRESS)
        )
        .select_related("assignee")
        .order_by("window_start", "id")
    )


def active_series(client: Client) -> QuerySet[VisitSeries]:
    return VisitSeries.objects.filter(client=client, active=True).order_by("window_start", "id")


def visit_of(client: Client, pk: int) -> Visit | None:
    """One visit of this client (with what its page and words need), or None."""
    return (
        Visit.objects.select_related("client__team", "assignee")
        .filter(pk=pk, client=client)
        .first()
    )


def series_of(client: Client, pk: int) -> VisitSeries | None:
    """One repeating series of this client, or None."""
    return VisitSeries.objects.select_related("client__team").filter(pk=pk, client=client).first()
