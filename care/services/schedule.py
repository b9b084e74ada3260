"""Keeping repeating visits ahead of the team: every active series has its visits
generated for the coming weeks, so the board always shows what is due.

``series_generate_due`` runs from the ``tick`` command once a day (and on its first
pass); each series is generated in its own transaction through ``series_generate``,
which is idempotent, so a second run, a second tick process or a crash half-way
never doubles a visit.
"""

from __future__ import annotations

import datetime
import logging

from django.utils import timezone

from care.models import Client, VisitSeries
from care.services.visits import SERIES_HORIZON, series_generate

# Series are kept generated this far ahead.
HORIZON = SERIES_HORIZON  # how far ahead a series' visits exist

log = logging.getLogger(__name__)


def series_generate_due(*, today: datetime.date | None = None) -> int:
    """Generate the visits of every active series through ``today`` + 28 days.
    Returns how many visits were created. A series that fails is logged and skipped:
    one bad row never stops the others."""
    today = today or timezone.localdate()
    until = today + HORIZON
    due = (
        VisitSeries.objects.filter(active=True, starts__lte=until)
        .exclude(ends__lt=today)
        .exclude(client__status=Client.Status.DISCHARGED)
        .values_list("pk", flat=True)
    )
    created = 0
    for pk in list(due):
        try:
            created += len(series_generate(series=VisitSeries(pk=pk), until=until))
        except Exception:
            log.exception("Could not generate the visits of series %s", pk)
    return created
