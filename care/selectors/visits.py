"""Reads of a client's visits. Like ``care.selectors.budgets`` it checks nobody's
permission and logs nothing: the caller reads the client through
``care.selectors.clients.client_for`` (scope ``visits``, logged) first."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Protocol

from django.db.models import Q, QuerySet
from django.utils import timezone

from care.models import Client, PlanIntervention, Visit, VisitSeries
from teams.models import Person

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


type Planned = list[tuple[PlanIntervention, bool]]


def plan_lines(client: Client) -> list[PlanIntervention]:
    """The client's active plan interventions, in the plan's order: what a visit can be
    planned for and recorded against. One query."""
    return list(
        PlanIntervention.objects.filter(plan_problem__plan__client=client, active=True)
        .select_related("category", "target", "plan_problem__problem")
        .order_by("category__number", "target__number", "id")
    )


def plan_for_recording(client: Client, visits: Iterable[Visit]) -> dict[int, Planned]:
    """For recording each visit: the client's active plan interventions, each with
    whether it was planned for that visit (ticked to start with), those first. Two
    queries however many visits."""
    lines = plan_lines(client)
    ids = [v.pk for v in visits]
    planned: dict[int, set[int]] = {pk: set() for pk in ids}
    links = Visit.interventions.through.objects.filter(visit_id__in=ids)
    for visit_id, line_id in links.values_list("visit_id", "planintervention_id"):
        planned[visit_id].add(line_id)
    return {
        pk: sorted(((line, line.pk in mine) for line in lines), key=lambda pair: not pair[1])
        for pk, mine in planned.items()
    }


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


# --- overlaps -----------------------------------------------------------------------------
#
# A visit's window is when the carer may arrive, not how long the visit takes, so
# windows that touch or overlap are often fine. Two visits CLASH when one person cannot
# do both inside their windows in either order: doing A first (from A's window start,
# for A's expected minutes), then B (from B's window start or the end of A, whichever
# is later) must end by B's window end; or the same with B first. If neither order
# fits, they clash. Only undone visits (``Visit.UNDONE_STATUSES``) held by the same
# person count. A visit whose minutes are longer than its own window may end as late
# as its minutes take it when done alone (else it would clash with everything).

# Two visits whose window starts are further apart than the longer visit never clash
# (the earlier first, the later from its own start): the query looks no further back.
LONGEST_VISIT = datetime.timedelta(hours=12)


class Windowed(Protocol):
    """What the rule reads of a visit: a ``Visit``, or a row of the board."""

    window_start: datetime.datetime
    window_end: datetime.datetime
    expected_minutes: int


def _latest_end(visit: Windowed) -> datetime.datetime:
    return max(visit.window_end, visit.window_start + _minutes(visit))


def _minutes(visit: Windowed) -> datetime.timedelta:
    return datetime.timedelta(minutes=visit.expected_minutes)


def _one_then_other(first: Windowed, then: Windowed) -> bool:
    """Doing ``first`` from its window's start, then ``then``, both end in time."""
    first_ends = first.window_start + _minutes(first)
    then_ends = max(then.window_start, first_ends) + _minutes(then)
    return then_ends <= _latest_end(then)


def visits_clash(a: Windowed, b: Windowed) -> bool:
    """The rule (above): one person cannot do both inside their windows."""
    return not (_one_then_other(a, b) or _one_then_other(b, a))


def clashes(
    person: Person, visit: Visit, *more: Visit, ignoring: Iterable[int] = ()
) -> list[Visit]:
    """The undone visits ``person`` holds that clash with ``visit`` (or with any of
    ``more``: the visits of a request for help), in order, in one query. Never the
    visits asked about, nor the ids in ``ignoring`` (the visit one gives away in a
    swap)."""
    asked = [visit, *more]
    held = (
        Visit.objects.filter(
            assignee=person,
            status__in=Visit.UNDONE_STATUSES,
            window_start__lt=max(v.window_start + _minutes(v) for v in asked),
            window_start__gt=min(v.window_start for v in asked) - LONGEST_VISIT,
        )
        .exclude(pk__in=[*(v.pk for v in asked), *ignoring])
        .order_by("window_start", "id")
    )
    return [other for other in held if any(visits_clash(v, other) for v in asked)]


def when_words(at: datetime.datetime) -> str:
    """A moment as people say it, on the deployment's clock: "08:00 on Tue 8 Dec"."""
    local = timezone.localtime(at)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"


def clash_words(clash: Visit, *, holder: str | None = None) -> str:
    """The clash in plain words, by its time only (no client: a helper's or a coach's
    page may show it): "It clashes with your visit at 08:00–09:00 on Tue 8 Dec (45
    minutes)"; with ``holder``, that person's visit instead of yours."""
    end = timezone.localtime(clash.window_end)
    whose = "your visit" if holder is None else f"{holder}'s visit"
    start, _, day = when_words(clash.window_start).partition(" on ")
    return (
        f"It clashes with {whose} at {start}–{end:%H:%M} on {day}"
        f" ({clash.expected_minutes} minutes)."
    )
