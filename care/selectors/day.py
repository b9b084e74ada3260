"""A nurse's day: her visits of the day with the next one first, and what nobody in
her teams has taken yet. The landing page of a team member (``frontend/views/day``).

Her visits are those she holds in the teams she is a member of now, and those lent to
her by another team for a help request (a live ``VisitGrant``). For the next visit the
page shows what she needs at the door: the client's address and phone, what the plan
says to do on this visit (its interventions) and what changed since the last visit
(who went, the diary since, whether the plan changed). That is a read of the client's
record, so it is written in the client's access log (``log_read``), once a day per
reader and client however often the page refreshes itself; the rest of the day is
scheduling (names and windows), as on the board, and is not.

A fixed number of queries, however many visits the day holds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Q, When
from django.utils import timezone

from care import access as care_access
from care.models import (
    AccessLogEntry,
    CarePlan,
    Client,
    DiaryNote,
    PlanIntervention,
    PlanProblem,
    Visit,
    VisitGrant,
)
from care.selectors import grants as care_grants
from care.selectors.clients import log_read
from care.selectors.visits import Planned, plan_for_recording
from teams import access as team_access
from teams.models import Person, Team

# How many diary notes since the last visit the next visit shows (the rest are counted).
DIARY_SHOWN = 3
AHEAD = datetime.timedelta(days=8)  # how far the next visit is looked for
READ = "My day: the next visit (address, plan for the visit, diary)"
LENT_READ = "My day: the visit lent to them (address, what it needs)"
SHEET_READ = "Recording a visit: the plan for it"
# Visits that still ask something of the day (done ones are listed, not "next").
WAITING = (Visit.Status.IN_PROGRESS, Visit.Status.ASSIGNED)


@dataclass
class NextVisit:
    """The next visit and what she needs at the door."""

    visit: Visit
    lent: bool  # lent to her by another team: its page is the help visit, not the client
    interventions: list[PlanIntervention]
    last: Visit | None  # the last visit done before this one: who went, when
    diary: list[DiaryNote]  # since the last visit, newest first, at most DIARY_SHOWN
    more_diary: int  # how many more notes since then
    plan_changed: bool  # the plan changed since the last visit


@dataclass
class Day:
    date: datetime.date
    teams: list[Team]
    next: NextVisit | None = None
    visits: list[Visit] = field(default_factory=list)  # all of hers today, in time order
    unassigned: list[Visit] = field(default_factory=list)  # nobody's yet in her teams


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def my_day(person: Person, day: datetime.date) -> Day:
    """The person's day (see the module)."""
    teams = list(team_access.teams_visible_to(person).order_by("name"))
    start, end = _midnight(day), _midnight(day + datetime.timedelta(days=1))
    lent = VisitGrant.objects.live().filter(person=person).values("visit_id")
    hers = Visit.objects.filter(
        Q(assignee=person, client__team__in=teams) | Q(pk__in=lent)
    ).select_related("client__team", "assignee")
    today = Q(window_start__gte=start, window_start__lt=end)
    found = Day(
        date=day,
        teams=teams,
        visits=list(hers.filter(today).exclude(status=Visit.Status.CANCELLED)),
        unassigned=list(
            Visit.objects.filter(
                today, client__team__in=teams, assignee__isnull=True, status=Visit.Status.PLANNED
            ).select_related("client")
        ),
    )
    # The visit she is in first; then the earliest she has not started, from this
    # morning (one she has not recorded yet) to a week ahead (her next day's first).
    first = (
        # One she started and has not recorded stays first, whatever day it began.
        hers.filter(
            Q(status=Visit.Status.IN_PROGRESS)
            | Q(status__in=WAITING, window_start__gte=start, window_start__lt=start + AHEAD)
        )
        .order_by(
            Case(When(status=Visit.Status.IN_PROGRESS, then=0), default=1),
            "window_start",
            "id",
        )
        .first()
    )
    if first is not None:
        found.next = _next(person, first, {t.pk for t in teams})
    return found


def _log_once_a_day(person: Person, client: Client, what: str, lent: bool) -> None:
    """Write the read in the client's access log, once a day per reader and kind of
    read, with why: a helper from another team reads as the help visit says."""
    read = AccessLogEntry.objects.filter(
        client=client, person=person, what=what, at__gte=_midnight(timezone.localdate())
    )
    if read.exists():
        return
    if lent:
        AccessLogEntry.objects.create(
            client=client, person=person, what=what, why=care_grants.why(client.team)
        )
    else:
        log_read(person, client, what)


def _next(person: Person, visit: Visit, team_ids: set[int]) -> NextVisit:
    client = visit.client
    interventions = list(
        visit.interventions.filter(active=True).select_related("category", "target")
    )
    if client.team_id not in team_ids:
        # Lent by another team: what the help visit shows (the visit's own needs), not
        # the record's history (the diary, the last carer's note, the plan's changes).
        _log_once_a_day(person, client, LENT_READ, lent=True)
        return NextVisit(visit, True, interventions, None, [], 0, False)
    last = (
        Visit.objects.filter(
            client=client, status=Visit.Status.DONE, actual_end__lt=visit.window_start
        )
        .select_related("assignee")
        .order_by("-actual_end")
        .first()
    )
    since = last.actual_end if last is not None else None
    notes = DiaryNote.objects.filter(client=client).select_related("author")
    if since is not None:
        notes = notes.filter(at__gt=since)
    diary = list(notes[: DIARY_SHOWN + 1]) if since is not None else []
    plan = CarePlan.objects.filter(client=client).only("updated").first()
    _log_once_a_day(person, client, READ, lent=False)
    return NextVisit(
        visit=visit,
        lent=False,
        interventions=interventions,
        last=last,
        diary=diary[:DIARY_SHOWN],
        more_diary=(notes.count() - DIARY_SHOWN) if len(diary) > DIARY_SHOWN else 0,
        plan_changed=bool(since and plan and plan.updated > since),
    )


# --- recording a visit from my day ------------------------------------------------------------

# The tap is taken as the end of the visit when it falls between the window's start and
# this long after the window and the visit's own length; otherwise the plan's times are.
TAP_GRACE = datetime.timedelta(minutes=30)


def visit_to_record(person: Person, pk: int) -> Visit | None:
    """A visit the person may record (her team's, or lent to her) and that is not
    recorded yet, read for the record sheet: that shows the plan, so it is logged as my
    day logs the next visit (once a day). None for anyone else."""
    visit = Visit.objects.select_related("client__team", "assignee").filter(pk=pk).first()
    if visit is None or not care_access.can_work_visit(person, visit):
        return None
    lent = not care_access.is_care_team(person, visit.client)
    _log_once_a_day(person, visit.client, SHEET_READ, lent=lent)
    return visit


def planned_for(person: Person, visit: Visit) -> Planned:
    """The plan's lines to record this visit with (``plan_for_recording``); a helper
    from another team sees only those planned for the visit, as the help visit shows."""
    planned = plan_for_recording(visit.client, [visit])[visit.pk]
    if care_access.is_care_team(person, visit.client):
        return planned
    return [(line, True) for line, was_planned in planned if was_planned]


def problems_to_rerate(person: Person, visit: Visit, planned: Planned) -> list[PlanProblem]:
    """The plan problems the record sheet offers to re-rate: those the visit's planned
    lines belong to (still in the plan), in the plan's order; none for a helper from
    another team, who records the visit but does not keep the plan."""
    if not care_access.is_care_team(person, visit.client):
        return []
    found: dict[int, PlanProblem] = {}
    for line, was_planned in planned:
        problem = line.plan_problem
        if was_planned and problem.status == PlanProblem.Status.ACTIVE:
            found.setdefault(problem.pk, problem)
    return sorted(found.values(), key=lambda problem: problem.pk)


def suggested_times(
    visit: Visit, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """Where the record sheet's times start: the tap as the end only when it is a time
    the visit could have ended (not the evening's desk for the morning's visit), else
    the plan's; the start as recorded, else the end less the visit's length."""
    length = datetime.timedelta(minutes=visit.expected_minutes)
    if visit.window_start < now <= visit.window_end + length + TAP_GRACE:
        end = now
        start = visit.actual_start or max(visit.window_start, now - length)
    else:
        start = visit.actual_start or visit.window_start
        end = start + length
    return start, end
