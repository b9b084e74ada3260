"""Reads of a client's visits. Like ``care.selectors.budgets`` it checks nobody's
permission and logs nothing: the caller reads the client through
``care.selectors.clients.client_for`` (scope ``visits``, logged) first."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from care.models import Client, Visit

UPCOMING_DAYS = 14


def upcoming_visits(client: Client, *, days: int = UPCOMING_DAYS, now=None) -> QuerySet[Visit]:
    """The visits whose window has not ended yet and begins within ``days`` days, in
    order, with who is coming, in one query. Cancelled ones are kept: the family wants
    to know nobody is coming as much as who is."""
    now = now or timezone.now()
    return Visit.objects.filter(
        client=client,
        window_end__gt=now,
        window_start__lt=now + datetime.timedelta(days=days),
    ).select_related("assignee")
