"""Reads of the team board. Permission is the caller's (members of the team only:
``teams.access.can_view_team``); the board shows scheduling, not care records (names,
windows, who goes, status), like the team's client list, so no access-log rows.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from care.models import Visit
from coordination import events
from coordination.models import HandoverOffer
from teams.models import Team

MAX_DAYS = 7


@dataclass
class Board:
    """A snapshot of a team's visits over some days, and where its stream was."""

    team: Team
    start: datetime.date
    days: int
    stream: str
    seq: int
    visits: list[Visit] = field(default_factory=list)

    @property
    def end(self) -> datetime.date:
        """The last day shown."""
        return self.start + datetime.timedelta(days=self.days - 1)


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_default_timezone())


def board(team: Team, start_date: datetime.date, days: int = 1) -> Board:
    """The team's visits whose window starts on ``start_date`` or the ``days - 1`` days
    after (team's clock), each with its client, carer, status, lateness and the open
    handover offers it is part of (``visit.open_offers``). Three queries, however many
    visits: the stream head, the visits, the offers.

    The snapshot-then-subscribe handshake, which loses no event and applies none twice:

    1. ``seq`` is the head of the team's stream, read BEFORE the visits. Every event up
       to ``seq`` was committed before the visits were read (``publish`` appends in the
       writer's transaction and a stream's numbers commit in order), so the rows
       already show its change.
    2. The page subscribes with ``/ws/live/?since=team.<id>:<seq>``. The socket replays
       every event after ``seq`` from the log, then forwards live ones, dropping
       duplicates by sequence number: every change committed after the head was read
       reaches the page, exactly once per event.
    3. A change committed between reading the head and reading the rows is in both the
       rows and the replay. The page applies a ``visit.*`` event only when its
       ``data.version`` is newer than the version of the visit it holds (and a
       ``handover.*`` event only when the offer's ``version`` is newer), so such an
       event is recognised as already applied and skipped.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    stream = team.stream
    seq = events.head(stream)  # first: see the docstring
    visits = list(
        Visit.objects.filter(
            client__team=team,
            window_start__gte=_midnight(start_date),
            window_start__lt=_midnight(start_date + datetime.timedelta(days=days)),
        )
        .select_related("client", "assignee")
        .order_by("window_start", "id")
    )
    by_visit: dict[int, list[HandoverOffer]] = {v.pk: [] for v in visits}
    if visits:
        offers = (
            HandoverOffer.objects.filter(
                Q(visit__in=by_visit) | Q(swap_visit__in=by_visit),
                status=HandoverOffer.Status.OFFERED,
            )
            .select_related("from_person", "to_person")
            .order_by("created", "id")
        )
        for offer in offers:
            for visit_id in (offer.visit_id, offer.swap_visit_id):
                if visit_id in by_visit:
                    by_visit[visit_id].append(offer)
    for visit in visits:
        visit.open_offers = by_visit[visit.pk]
    return Board(team=team, start=start_date, days=days, stream=stream, seq=seq, visits=visits)


def board_visit(pk: int) -> Visit:
    """One visit as the board shows it (after a write), in two queries."""
    visit = Visit.objects.select_related("client", "assignee").get(pk=pk)
    visit.open_offers = list(
        HandoverOffer.objects.filter(
            Q(visit=visit) | Q(swap_visit=visit), status=HandoverOffer.Status.OFFERED
        )
        .select_related("from_person", "to_person")
        .order_by("created", "id")
    )
    return visit
