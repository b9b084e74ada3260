"""Visits: plan one, repeat a series, assign, claim, swap, run late, start, finish,
cancel, mark missed.

Every write is the care team's (``care.access.can_keep_record``), runs in one
transaction under the visit's row lock (a swap locks both visits, in id order),
checks the version the caller saw (a stale one is a ``Conflict`` carrying the current
state), writes an audit row and publishes one event per visit changed,
``visit.<verb>``, on the team's stream and the client's visits stream. Events carry
ids and changed fields, never names or notes.

Finishing a visit records it done and debits the client's active budget for the time
delivered, exactly once: a retry with the same idempotency key returns the first
result and changes nothing; any other second recording is refused, and the ledger's
one-debit-per-visit constraint backs that even if two recordings race.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from care import access
from care.models import (
    Client,
    PlanIntervention,
    PlanProblem,
    Visit,
    VisitGrant,
    VisitIntervention,
    VisitSeries,
    VisitSeriesException,
)
from care.selectors import visits as visit_selectors
from care.services import budgets, plans
from care.services.budgets import debit_visit
from care.services.common import (
    CLOCK_SKEW,
    Errors,
    clean_date,
    clean_int,
    clean_moment,
    client_streams,
    record,
    require_care_team,
)
from coordination.events import Event, publish
from teams import access as team_access
from teams.cleaning import add_error, clean_text, cleaned, limit_of, raise_errors, refused, too_long
from teams.errors import Conflict, KeyReused
from teams.models import Membership, Person
from teams.numbers import is_id
from teams.services.common import audit
from teams.versioning import check_version, lock, require_version, save_new_version

MAX_EXPECTED_MINUTES = 12 * 60
# A recording longer than this is a typo in the times, not a visit.
MAX_VISIT = datetime.timedelta(hours=24)
# How far ahead a series may be turned into visits in one go.
MAX_AHEAD = datetime.timedelta(days=366)
ALREADY_RECORDED = "This visit is already recorded as done."
KEY_REUSED = (
    "This key was already used to record this visit with other details, so nothing changed."
)
FREE_TEXT = {"cancel_reason", "done_note", "late_note", "start_note", "tasks"}
# What recording a visit done writes.
FINISHED = ("status", "actual_start", "actual_end", "done_note", "finish_key", "finished_by")
# Running late by more than this is a visit to move or hand over, not a late one.
MAX_LATE = datetime.timedelta(hours=12)
# Starting a visit further than this outside its window asks why.
OFF_WINDOW = datetime.timedelta(hours=2)
# Who went, when someone records a visit a colleague holds.
WENT_ME, WENT_HOLDER = "me", "holder"


def visit_state(visit: Visit) -> dict[str, Any]:
    """What a client of the API needs to redraw a visit (also the 409 body)."""

    def iso(moment: datetime.datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": visit.pk,
        "client": visit.client_id,
        "series": visit.series_id,
        "status": visit.status,
        "version": visit.version,
        "assignee": visit.assignee_id,
        "window_start": iso(visit.window_start),
        "window_end": iso(visit.window_end),
        "expected_minutes": visit.expected_minutes,
        "actual_start": iso(visit.actual_start),
        "actual_end": iso(visit.actual_end),
        "done_note": visit.done_note,
        "cancel_reason": visit.cancel_reason,
        "late_until": iso(visit.late_until),
        "late_note": visit.late_note,
    }


# --- cleaning ---------------------------------------------------------------------------


def _ids(values: Iterable[Any] | None) -> list[Any]:
    return [getattr(v, "pk", v) for v in values or ()]


def _clean_carers(errors: Errors, client: Client, carers: Iterable[Any] | None) -> list[int]:
    ids = _ids(carers)
    members = set(
        Membership.objects.current()
        .filter(team_id=client.team_id, person_id__in=[i for i in ids if is_id(i)])
        .values_list("person_id", flat=True)
    )
    if set(ids) - members:
        errors.setdefault("preferred_carers", []).append(
            "Preferred carers must be current members of the client's team."
        )
    return sorted(members)


def _clean_interventions(
    errors: Errors, client: Client, interventions: Iterable[Any] | None
) -> list[int]:
    ids = _ids(interventions)
    found = set(
        PlanIntervention.objects.filter(
            pk__in=[i for i in ids if is_id(i)], plan_problem__plan__client=client, active=True
        ).values_list("pk", flat=True)
    )
    if set(ids) - found:
        add_error(errors, "interventions", "Only active interventions of this client's care plan.")
    return sorted(found)


def _clean_done(
    errors: Errors, visit: Visit, done: object, *, helper: bool
) -> list[tuple[PlanIntervention, bool]]:
    """What a recording says of the plan's interventions: {intervention id: done}, for
    interventions of this client's plan (one no longer active may still be recorded);
    a ``helper`` from another team records only those planned for the visit."""
    if done is None:
        return []
    if not isinstance(done, dict) or not all(
        is_id(k) and isinstance(v, bool) for k, v in done.items()
    ):
        add_error(errors, "interventions", "Each intervention of the plan, done or not done.")
        return []
    rows = PlanIntervention.objects.filter(pk__in=done, plan_problem__plan__client=visit.client)
    if helper:
        rows = rows.filter(visits=visit)
    found = {row.pk: row for row in rows}
    if set(done) - set(found):
        words = "this visit's planned interventions" if helper else "this client's care plan"
        add_error(errors, "interventions", f"Only interventions of {words}.")
        return []
    return [(found[pk], done[pk]) for pk in sorted(found)]


def _clean_ratings(
    errors: Errors, visit: Visit, ratings: object
) -> list[tuple[PlanProblem, dict[str, int]]]:
    """Re-ratings recorded with a visit: a list of {"problem": plan problem id,
    "knowledge", "behavior", "status"}, each problem of the client's plan once, all
    three scales 1 to 5 (``plans.clean_scales``). A scale is refused at
    ``rating-<problem>-<scale>``, a problem at ``rating-<problem>``."""
    if not ratings:
        return []
    if not isinstance(ratings, list | tuple) or not all(
        isinstance(r, dict) and is_id(r.get("problem")) for r in ratings
    ):
        add_error(errors, "ratings", "Each rating names a problem of the plan and its scales.")
        return []
    ids = [r["problem"] for r in ratings]
    if len(set(ids)) != len(ids):
        add_error(errors, "ratings", "Each problem once.")
        return []
    found = PlanProblem.objects.filter(
        pk__in=ids, plan__client=visit.client, status=PlanProblem.Status.ACTIVE
    ).in_bulk()
    rerated = []
    for rating in ratings:
        problem = found.get(rating["problem"])
        if problem is None:
            add_error(
                errors, f"rating-{rating['problem']}", "Not a problem of this client's care plan."
            )
            continue
        plans.clean_scales(errors, rating, prefix=f"rating-{problem.pk}-")
        rerated.append((problem, {scale: rating.get(scale) for scale in plans.SCALES}))
    return rerated


def _clean_assignee(errors: Errors, client: Client, person: Person | None) -> None:
    if person is not None and not team_access.is_member(person, client.team_id):
        add_error(
            errors, "assignee", "Only a current member of the client's team can take this visit."
        )


def _clean_minutes(errors: Errors, minutes: object) -> int | None:
    return clean_int(
        errors, "expected_minutes", minutes, low=1, high=MAX_EXPECTED_MINUTES, unit="minutes"
    )


def _clean_key(errors: Errors, key: object) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not key.strip():
        add_error(errors, "idempotency_key", "Must be non-empty text.")
        return None
    if len(key) > limit_of(Visit, "finish_key"):
        add_error(errors, "idempotency_key", too_long(limit_of(Visit, "finish_key"), len(key)))
    return key


def _not_in_future(
    errors: Errors, name: str, moment: datetime.datetime | None, now: datetime.datetime
) -> None:
    if moment is not None and moment > now + CLOCK_SKEW:
        add_error(errors, name, "Cannot be in the future.")


def _require_open_client(errors: Errors, client: Client) -> None:
    if client.status == Client.Status.DISCHARGED:
        add_error(errors, "client", "This client was discharged: no new visits.")


def _local(day: datetime.date, at: datetime.time) -> datetime.datetime:
    """A day and a wall-clock time in the team's time zone."""
    return datetime.datetime.combine(day, at, tzinfo=timezone.get_default_timezone())


# --- locking, versions, events ----------------------------------------------------------


def _changed(
    visit: Visit, kind: str, actor: Person, *, said: dict[str, Any] | None = None, **changed: Any
) -> None:
    """Save a visit's state change, audit it and publish its one event (with what the
    event ``said`` besides the fields changed)."""
    save_new_version(visit, *changed)
    data = {
        "visit": visit.pk,
        "client": visit.client_id,
        "version": visit.version,
        **{k: v.isoformat() if isinstance(v, datetime.datetime) else v for k, v in changed.items()},
        **(said or {}),
    }
    audit(actor=actor, action=kind, target=visit, data=data)
    # Free text may name people: the event says it changed, the record says what to.
    publish(
        Event(kind, {k: v for k, v in data.items() if k not in FREE_TEXT}, actor=actor.pk),
        streams=client_streams(visit.client, "visits"),
    )


def _require_worker(actor: Person, visit: Visit, doing: str) -> None:
    """The care team, or the helper from another team the visit was lent to."""
    if not access.can_work_visit(actor, visit):
        raise PermissionDenied(f"Only the client's care team can {doing}.")


def _end_grants(visit: Visit, *, keep: int | None = None) -> list[int]:
    """End the visit's open grants (all but ``keep``'s): the helper's access goes with
    the visit. Inside the caller's transaction; returns the ids ended."""
    grants = VisitGrant.objects.filter(visit=visit, ended_at__isnull=True)
    if keep is not None:
        grants = grants.exclude(person_id=keep)
    ended = list(grants.values_list("pk", flat=True))
    if ended:
        VisitGrant.objects.filter(pk__in=ended).update(ended_at=timezone.now())
    return ended


def _refuse_closed(visit: Visit, doing: str) -> None:
    """Planned and assigned visits can change; say plainly why any other cannot."""
    if visit.status in Visit.OPEN_STATUSES:
        return
    if visit.status == Visit.Status.DONE:
        raise ValidationError(f"{ALREADY_RECORDED} It cannot {doing}.")
    if visit.status == Visit.Status.IN_PROGRESS:
        raise ValidationError(f"This visit has started. It cannot {doing}.")
    status = visit.get_status_display().lower()
    raise ValidationError(f"This visit was {status}. It cannot {doing}.")


def clash_words(
    person: Person, visit: Visit, *more: Visit, actor: Person, ignoring: Iterable[int] = ()
) -> list[str]:
    """``person`` would hold ``visit`` (and ``more``): the first visit they hold that
    clashes with one (``care.selectors.visits.clashes``, the one rule), in words, or
    nothing. "Your visit" when the person is the actor, else theirs by name."""
    found = visit_selectors.clashes(person, visit, *more, ignoring=ignoring)
    if not found:
        return []
    holder = None if person.pk == actor.pk else person.display_name
    return [visit_selectors.clash_words(found[0], holder=holder)]


def refuse_clash(
    person: Person,
    visit: Visit,
    *more: Visit,
    actor: Person,
    confirmed: bool,
    ignoring: Iterable[int] = (),
) -> None:
    """Refuse giving ``person`` a visit (or visits) that clashes with one they hold, at
    ``overlap``, in one query; unless the caller confirmed it (``confirm_overlap``)."""
    if confirmed is True:
        return
    found = clash_words(person, visit, *more, actor=actor, ignoring=ignoring)
    if found:
        raise ValidationError({"overlap": found})


# --- one visit --------------------------------------------------------------------------


def visit_plan(
    *,
    actor: Person,
    client: Client,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    expected_minutes: int,
    tasks: str = "",
    interventions: Iterable[Any] = (),
    preferred_carers: Iterable[Any] = (),
    assignee: Person | None = None,
) -> Visit:
    """Plan one visit (outside any series). With an assignee it is planned as assigned."""
    require_care_team(actor, client, "plan visits")
    errors: Errors = {}
    start = clean_moment(errors, "window_start", window_start)
    end = clean_moment(errors, "window_end", window_end)
    if start and end and end <= start:
        add_error(errors, "window_end", "The window must end after it starts.")
    minutes = _clean_minutes(errors, expected_minutes)
    tasks = clean_text(errors, "tasks", tasks, limit=limit_of(Visit, "tasks"))
    intervention_ids = _clean_interventions(errors, client, interventions)
    carer_ids = _clean_carers(errors, client, preferred_carers)
    _clean_assignee(errors, client, assignee)
    _require_open_client(errors, client)
    raise_errors(errors)
    start, end = cleaned(start), cleaned(end)
    with transaction.atomic():
        visit = Visit.objects.create(
            client=client,
            window_start=start,
            window_end=end,
            expected_minutes=cleaned(minutes),
            tasks=tasks,
            assignee=assignee,
            status=Visit.Status.ASSIGNED if assignee else Visit.Status.PLANNED,
        )
        visit.interventions.set(intervention_ids)
        visit.preferred_carers.set(carer_ids)
        data = {
            "visit": visit.pk,
            "client": client.pk,
            "version": visit.version,
            "status": visit.status,
            "assignee": visit.assignee_id,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
        }
        record(actor, "visit.planned", visit, data, client_streams(client, "visits"))
    return visit


def visit_assign(
    *,
    actor: Person,
    visit: Visit,
    person: Person | None,
    version: int,
    confirm_overlap: bool = False,
) -> Visit:
    """Give a planned visit to a member of the client's team (None: nobody yet). Refused
    when it clashes with a visit they hold, unless ``confirm_overlap``."""
    require_care_team(actor, visit.client, "assign visits")
    version = require_version(version)
    with transaction.atomic():
        visit = lock(visit, "client__team")
        check_version(visit, version, visit_state)
        _refuse_closed(visit, "be reassigned")
        errors: Errors = {}
        _clean_assignee(errors, visit.client, person)
        raise_errors(errors)
        if person is not None:
            refuse_clash(person, visit, actor=actor, confirmed=confirm_overlap)
        visit.assignee = person
        visit.status = Visit.Status.ASSIGNED if person else Visit.Status.PLANNED
        _end_grants(visit, keep=person.pk if person else None)
        _changed(
            visit,
            "visit.assigned" if person else "visit.unassigned",
            actor,
            assignee=visit.assignee_id,
            status=visit.status,
        )
    return visit


def _holder_name(visit: Visit) -> str:
    if visit.assignee_id is None:
        raise ValueError(f"Visit {visit.pk} is held by nobody.")
    return Person.objects.get(pk=visit.assignee_id).display_name


def _taken(visit: Visit) -> Conflict:
    """Someone else holds the visit: who, with the visit as it is now."""
    return Conflict(
        f"{_holder_name(visit)} has already taken this visit.", current=visit_state(visit)
    )


def visit_claim(
    *, actor: Person, visit: Visit, version: int, confirm_overlap: bool = False
) -> Visit:
    """A member of the client's team takes an unassigned visit for themself.

    Two members claiming at once: the row lock queues the second behind the first, who
    wins; the second is told who has the visit (a ``Conflict`` naming them, with the
    visit's current state), whatever version it sent. Claiming a visit one already
    holds changes nothing and answers with it, so a retried claim is harmless. A visit
    that clashes with one the actor holds is refused, unless ``confirm_overlap``.
    """
    require_care_team(actor, visit.client, "take visits")
    version = require_version(version)
    with transaction.atomic():
        visit = lock(visit, "client__team")
        if visit.assignee_id == actor.pk and visit.status == Visit.Status.ASSIGNED:
            return visit
        if visit.assignee_id not in (None, actor.pk) and visit.status in Visit.UNDONE_STATUSES:
            raise _taken(visit)
        _refuse_closed(visit, "be taken")
        check_version(visit, version, visit_state)
        refuse_clash(actor, visit, actor=actor, confirmed=confirm_overlap)
        visit.assignee = actor
        visit.status = Visit.Status.ASSIGNED
        _changed(visit, "visit.claimed", actor, assignee=visit.assignee_id, status=visit.status)
    return visit


def visit_running_late(
    *,
    actor: Person,
    visit: Visit,
    version: int,
    until: datetime.datetime | None,
    note: str = "",
) -> Visit:
    """The carer will arrive after the window starts: say when, and the family sees it.

    The visit's carer says so; while nobody has the visit yet, any member of the team
    may (someone has to tell the client). Only a visit not yet started. ``until`` is
    after the window starts, in the future and at most 12 hours ahead: later than that
    the visit should be handed over or moved. ``until=None`` takes it back (on time
    after all). Starting the visit clears it.
    """
    require_care_team(actor, visit.client, "say a visit runs late")
    version = require_version(version)
    now = timezone.now()
    with transaction.atomic():
        visit = lock(visit, "client__team")
        if visit.assignee_id not in (None, actor.pk):
            raise PermissionDenied(
                f"{_holder_name(visit)} has this visit: only they can say they are running late."
            )
        check_version(visit, version, visit_state)
        _refuse_closed(visit, "run late")
        errors: Errors = {}
        if until is None:
            if visit.late_until is None:
                add_error(errors, "until", "Required: when you expect to arrive.")
        else:
            until = clean_moment(errors, "until", until)
        if until is not None:
            window = timezone.localtime(visit.window_start)
            if until <= now:
                add_error(errors, "until", "Must be in the future.")
            elif until > now + MAX_LATE:
                errors.setdefault("until", []).append(
                    "At most 12 hours from now: hand the visit over or move it instead."
                )
            elif until <= visit.window_start:
                errors.setdefault("until", []).append(
                    f"The window starts at {window:%H:%M}: arriving by then is not late."
                )
        note = clean_text(errors, "note", note, limit=limit_of(Visit, "late_note"))
        raise_errors(errors)
        visit.late_until = until
        visit.late_note = note if until else ""
        _changed(
            visit,
            "visit.running_late",
            actor,
            late_until=visit.late_until,
            late_note=visit.late_note,
        )
    return visit


def visit_swap(
    *,
    actor: Person,
    first: Visit,
    first_version: int,
    second: Visit,
    second_version: int,
    confirm_overlap: bool = False,
) -> tuple[Visit, Visit]:
    """Two colleagues exchange two assigned visits: each takes the other's.

    The actor holds one of the two. The other holder's agreement is the caller's to
    obtain: the team board's swap offer (``coordination``) calls this only when the
    other holder accepts it, so nobody is given a visit they did not agree to. Both
    visits belong to the same team and are assigned, not started, to two different
    current members. Both rows are locked in id order (two swaps of the same pair never
    deadlock), both versions are checked, and each visit publishes its own
    ``visit.swapped``. Refused when either carer's new visit clashes with one they keep
    (the one they give away aside), unless ``confirm_overlap``.
    """
    require_care_team(actor, first.client, "swap visits")
    require_care_team(actor, second.client, "swap visits")
    first_version = require_version(first_version)
    second_version = require_version(second_version)
    if first.pk == second.pk:
        raise ValidationError("A visit cannot be swapped with itself.")
    with transaction.atomic():
        locked = {
            v.pk: lock(v, "client__team") for v in sorted((first, second), key=lambda v: v.pk)
        }
        first, second = locked[first.pk], locked[second.pk]
        check_version(first, first_version, visit_state)
        check_version(second, second_version, visit_state)
        if first.client.team_id != second.client.team_id:
            raise ValidationError("Only two visits of the same team can be swapped.")
        for visit in (first, second):
            _refuse_closed(visit, "be swapped")
            if visit.assignee_id is None:
                raise ValidationError(
                    "Nobody has one of these visits yet: claim it instead of swapping."
                )
        if actor.pk not in (first.assignee_id, second.assignee_id):
            raise PermissionDenied("Only a carer who has one of the two visits can swap them.")
        if first.assignee_id == second.assignee_id:
            raise ValidationError("Both visits are already with the same carer.")
        errors: Errors = {}
        _clean_assignee(errors, first.client, second.assignee)
        _clean_assignee(errors, second.client, first.assignee)
        raise_errors(errors)
        if confirm_overlap is not True:
            # Each carer takes the other visit and keeps all but the one they give; the
            # actor's clash is named first.
            sides = sorted(
                ((first, second), (second, first)), key=lambda s: s[0].assignee_id != actor.pk
            )
            clashing = [
                words
                for gives, takes in sides
                if gives.assignee is not None
                for words in clash_words(gives.assignee, takes, actor=actor, ignoring=[gives.pk])
            ]
            if clashing:
                raise ValidationError({"overlap": clashing})
        first.assignee_id, second.assignee_id = second.assignee_id, first.assignee_id
        _changed(first, "visit.swapped", actor, assignee=first.assignee_id)
        _changed(second, "visit.swapped", actor, assignee=second.assignee_id)
    return first, second


def _who_went(errors: Errors, actor: Person, visit: Visit, went: str) -> int | None:
    """A visit a colleague holds is recorded by someone else only saying who went:
    ``"me"`` (they take it) or ``"holder"`` (the colleague went; they record it for
    them). Never silently the colleague's. Returns the colleague's id when the visit
    is taken from them (the event says so, and they are told)."""
    if visit.assignee_id in (None, actor.pk):
        return None
    if went == WENT_ME:
        taken_from, visit.assignee_id = visit.assignee_id, actor.pk
        return taken_from
    if went != WENT_HOLDER:
        holder = _holder_name(visit)
        add_error(
            errors,
            "went",
            f"This is {holder}'s visit: say whether you went instead (you take it) or"
            f" {holder} went and you record it for them.",
        )
    return None


def _off_window(errors: Errors, visit: Visit, at: datetime.datetime | None, reason: str) -> str:
    """A start far outside the window needs a reason; the cleaned reason (or "")."""
    reason = clean_text(errors, "reason", reason, limit=limit_of(Visit, "start_note"))
    early, late = visit.window_start - OFF_WINDOW, visit.window_end + OFF_WINDOW
    if visit.late_until is not None:
        late = max(late, visit.late_until + OFF_WINDOW)  # the lateness she announced
    if at is None or early <= at <= late or reason:
        return reason
    window, started = visit_selectors.when_words(visit.window_start), visit_selectors.when_words(at)
    add_error(
        errors,
        "reason",
        f"This visit's window begins at {window}; starting it at {started} needs a reason"
        " (or record the real times).",
    )
    return reason


def visit_start(
    *,
    actor: Person,
    visit: Visit,
    version: int,
    at: datetime.datetime | None = None,
    went: str = "",
    reason: str = "",
) -> Visit:
    """The carer arrives. Whoever starts an unassigned visit takes it; a colleague's
    says who went (``_who_went``). A helper from another team starts the visit lent to
    them (``visit_lend``). Starting more than ``OFF_WINDOW`` outside the window asks
    for a ``reason``, kept on the visit."""
    _require_worker(actor, visit, "start visits")
    version = require_version(version)
    now = timezone.now()
    with transaction.atomic():
        visit = lock(visit, "client__team")
        check_version(visit, version, visit_state)
        _refuse_closed(visit, "start again")
        errors: Errors = {}
        at = now if at is None else clean_moment(errors, "actual_start", at)
        _not_in_future(errors, "actual_start", at, now)
        taken_from = _who_went(errors, actor, visit, went)
        visit.start_note = _off_window(errors, visit, at, reason)
        raise_errors(errors)
        visit.actual_start = at
        visit.status = Visit.Status.IN_PROGRESS
        visit.assignee_id = visit.assignee_id or actor.pk
        if taken_from:
            # Taken from the one who held it: a helper lent it keeps no access to it.
            _end_grants(visit, keep=actor.pk)
        # The carer has arrived: whatever lateness was announced is over.
        late = {"late_until": None, "late_note": ""} if visit.late_until else {}
        visit.late_until, visit.late_note = None, ""
        why = {"start_note": visit.start_note} if visit.start_note else {}
        _changed(
            visit,
            "visit.started",
            actor,
            actual_start=at,
            assignee=visit.assignee_id,
            status=visit.status,
            **late,
            **why,
            said={"taken_from": taken_from} if taken_from else None,
        )
    return visit


def visit_finish(
    *,
    actor: Person,
    visit: Visit,
    version: int,
    actual_start: datetime.datetime | None = None,
    actual_end: datetime.datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    interventions: object = None,
    ratings: object = None,
) -> Visit:
    """Record a started visit done and debit the client's active budget, exactly once.

    ``actual_start`` corrects the recorded start (default: when it was started);
    ``actual_end`` defaults to now. The debit is the time delivered, to the nearest
    minute, at the budget's hourly rate, rounded half up to the penny. A helper from
    another team records the visit lent to them; recording it ends their grant.
    ``interventions`` says which of the plan's were done ({intervention id: done}),
    recorded as the Omaha System's interventions (``VisitIntervention``). ``ratings``
    re-rate plan problems with the recording (``_clean_ratings``), in its transaction:
    the client's team's alone, and a retry of the recording adds none.
    """
    _require_worker(actor, visit, "record visits")
    helper = not access.is_care_team(actor, visit.client)
    if ratings and helper:
        raise PermissionDenied("Only the client's team re-rates the problems of the care plan.")
    errors: Errors = {}
    key = _clean_key(errors, idempotency_key)  # reported with the other fields below
    now = timezone.now()
    with transaction.atomic():
        visit = lock(visit, "client__team")
        if visit.status == Visit.Status.DONE:
            # A retry of the same recording answers with the first result.
            return _done_already(
                visit, None if errors else key, actor, actual_start, actual_end, note, interventions
            )
        check_version(visit, version, visit_state)
        if visit.status in Visit.OPEN_STATUSES:
            raise ValidationError("This visit was never started: record its start first.")
        if visit.status != Visit.Status.IN_PROGRESS:
            _refuse_closed(visit, "be recorded as done")
        start = visit.actual_start if actual_start is None else actual_start
        start = clean_moment(errors, "actual_start", start)
        end = now if actual_end is None else clean_moment(errors, "actual_end", actual_end)
        _not_in_future(errors, "actual_start", start, now)
        _not_in_future(errors, "actual_end", end, now)
        if start and end:
            if end <= start:
                add_error(errors, "actual_end", "The visit cannot end before it starts.")
            elif end - start > MAX_VISIT:
                errors.setdefault("actual_end", []).append(
                    "That is more than 24 hours after the start: check the times."
                )
        note = clean_text(errors, "note", note, limit=limit_of(Visit, "done_note"))
        carried_out = _clean_done(errors, visit, interventions, helper=helper)
        rerated = _clean_ratings(errors, visit, ratings)
        raise_errors(errors)
        start, end = cleaned(start), cleaned(end)
        visit.status = Visit.Status.DONE
        visit.actual_start = start
        visit.actual_end = end
        visit.done_note = note
        visit.finish_key = key
        visit.finished_by = actor
        try:
            with transaction.atomic():
                save_new_version(visit, *FINISHED)
                debit = debit_visit(visit=visit, by=actor, idempotency_key=key)
                VisitIntervention.objects.bulk_create(
                    VisitIntervention(
                        visit=visit,
                        intervention=line,
                        category_id=line.category_id,
                        target_id=line.target_id,
                        done=done,
                    )
                    for line, done in carried_out
                )
                # Done: whoever helped from another team sees no more of it.
                _end_grants(visit)
        except IntegrityError:
            # Only a recording that raced past the row lock gets here (SQLite has no
            # row locks): the ledger's constraints held, so answer as if it had waited.
            current = Visit.objects.get(pk=visit.pk)
            if current.status == Visit.Status.DONE:
                return _done_already(
                    current, key, actor, actual_start, actual_end, note, interventions
                )
            # The debit's key is taken by another entry of this person's on the budget.
            raise KeyReused(budgets.KEY_REUSED) from None
        if rerated:
            plan = plans.locked_plan(actor, visit.client)
            for problem, scales in rerated:
                plans.add_rating(
                    actor=actor,
                    plan=plan,
                    plan_problem=problem,
                    scales=scales,
                    rated_on=timezone.localdate(end),
                )
        data = {
            "visit": visit.pk,
            "client": visit.client_id,
            "version": visit.version,
            "status": visit.status,
            "actual_start": start.isoformat(),
            "actual_end": end.isoformat(),
            "debit": debit.pk if debit else None,
            "amount": str(debit.amount) if debit else None,
        }
        record(actor, "visit.finished", visit, data, client_streams(visit.client, "visits"))
    return visit


def _done_already(
    visit: Visit,
    key: str | None,
    actor: Person,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    note: str,
    interventions: object = None,
) -> Visit:
    """A visit recorded done already: the same recording sent again by the same person
    under the same key gets the first result; the key with other details is refused, any
    other second recording too. A visit recorded before the recorder was kept counts as
    theirs, as it did then. The same recording has the same note, the same times where
    it names them (left out, they meant "as started" and "now" when first sent) and
    says the same of the plan where it says anything."""
    if key is None or visit.finish_key != key or visit.finished_by_id not in (actor.pk, None):
        raise ValidationError(ALREADY_RECORDED)
    cleaned = clean_text({}, "note", note, limit=limit_of(Visit, "done_note"))
    if (
        cleaned == visit.done_note
        and start in (None, visit.actual_start)
        and end in (None, visit.actual_end)
        and (interventions is None or interventions == _recorded_of(visit))
    ):
        return visit
    raise KeyReused(KEY_REUSED)


def _recorded_of(visit: Visit) -> dict[int, bool]:
    return dict(VisitIntervention.objects.filter(visit=visit).values_list("intervention", "done"))


def _close(actor: Person, visit: Visit, version: int, reason: str, status: str) -> Visit:
    """Cancel a visit or mark it missed, with the reason; whoever helped loses access."""
    missed = status == Visit.Status.MISSED
    require_care_team(actor, visit.client, "mark visits missed" if missed else "cancel visits")
    version = require_version(version)
    with transaction.atomic():
        visit = lock(visit, "client__team")
        check_version(visit, version, visit_state)
        _refuse_closed(visit, "be marked missed" if missed else "be cancelled")
        if missed and timezone.now() < visit.window_start:
            raise ValidationError("A visit can be marked missed only once its window has begun.")
        errors: Errors = {}
        reason = clean_text(errors, "reason", reason, limit=limit_of(Visit, "cancel_reason"))
        raise_errors(errors)
        visit.status = status
        visit.cancel_reason = reason
        _end_grants(visit)
        _changed(
            visit,
            "visit.missed" if missed else "visit.cancelled",
            actor,
            status=visit.status,
            cancel_reason=reason,
        )
    return visit


def visit_cancel(*, actor: Person, visit: Visit, version: int, reason: str = "") -> Visit:
    return _close(actor, visit, version, reason, Visit.Status.CANCELLED)


def visit_mark_missed(*, actor: Person, visit: Visit, version: int, reason: str = "") -> Visit:
    """Nobody came. Only once the visit's window has begun; a missed visit costs nothing."""
    return _close(actor, visit, version, reason, Visit.Status.MISSED)


def visit_lend(
    *,
    actor: Person,
    visit: Visit,
    helper: Person,
    version: int,
    expires_at: datetime.datetime,
    reason: str,
) -> VisitGrant:
    """Lend an open visit to a carer of another team, who then sees it and only what it
    needs (``care.access``) and may start and finish it, until it is done or the grant
    expires at ``expires_at``.

    The team's own member decides (the caller checked the helper offered: the help
    requests of ``coordination``). The visit must be planned and nobody's yet; the
    helper a current member of some team, not of the client's (a member takes the visit
    on the board instead). The visit and its grant change in one transaction, under
    the visit's row lock; the event is ``visit.lent``.
    """
    require_care_team(actor, visit.client, "ask other teams for help")
    version = require_version(version)
    now = timezone.now()
    errors: Errors = {}
    reason = clean_text(
        errors, "reason", reason, limit=limit_of(VisitGrant, "reason"), required=True
    )
    expires = clean_moment(errors, "expires_at", expires_at)
    if expires is not None and expires <= now:
        add_error(errors, "expires_at", "Must be in the future.")
    if not team_access.member_team_ids(helper):
        add_error(errors, "helper", "Only a current member of a team can help.")
    elif team_access.is_member(helper, visit.client.team_id):
        errors.setdefault("helper", []).append(
            f"{helper.display_name} is in the client's team: they take the visit on the board."
        )
    raise_errors(errors)
    expires = cleaned(expires)
    with transaction.atomic():
        visit = lock(visit, "client__team")
        if visit.assignee_id is not None and visit.status in Visit.UNDONE_STATUSES:
            raise _taken(visit)
        _refuse_closed(visit, "be lent to another team")
        check_version(visit, version, visit_state)
        save_new_version(visit, assignee=helper, status=Visit.Status.ASSIGNED)
        grant = VisitGrant.objects.create(
            visit=visit, person=helper, granted_by=actor, expires_at=expires, reason=reason
        )
        data = {
            "visit": visit.pk,
            "client": visit.client_id,
            "version": visit.version,
            "assignee": helper.pk,
            "status": visit.status,
            "grant": grant.pk,
            "expires_at": expires.isoformat(),
        }
        record(actor, "visit.lent", visit, data, client_streams(visit.client, "visits"))
    return grant


# --- series -----------------------------------------------------------------------------


def _clean_weekdays(errors: Errors, weekdays: object) -> list[int]:
    if (
        not isinstance(weekdays, list | tuple | set | frozenset)
        or not weekdays
        or any(isinstance(d, bool) or not isinstance(d, int) or not 0 <= d <= 6 for d in weekdays)
    ):
        add_error(errors, "weekdays", "One or more weekdays, 0 (Monday) to 6 (Sunday).")
        return []
    return sorted(set(weekdays))


def _clean_times(errors: Errors, start: object, end: object, prefix: str = "window") -> None:
    for name, value in ((f"{prefix}_start", start), (f"{prefix}_end", end)):
        if not isinstance(value, datetime.time):
            add_error(errors, name, "A time of day.")
    if isinstance(start, datetime.time) and isinstance(end, datetime.time) and end <= start:
        add_error(errors, f"{prefix}_end", "The window must end after it starts.")


def series_state(series: VisitSeries) -> dict[str, Any]:
    return {
        "id": series.pk,
        "client": series.client_id,
        "weekdays": series.days,
        "window_start": series.window_start.isoformat(),
        "window_end": series.window_end.isoformat(),
        "expected_minutes": series.expected_minutes,
        "starts": series.starts.isoformat(),
        "ends": series.ends.isoformat() if series.ends else None,
        "active": series.active,
        "interventions": sorted(series.interventions.values_list("pk", flat=True)),
        "version": series.version,
    }


def series_create(
    *,
    actor: Person,
    client: Client,
    weekdays: object,
    window_start: datetime.time,
    window_end: datetime.time,
    expected_minutes: int,
    starts: datetime.date,
    ends: datetime.date | None = None,
    tasks: str = "",
    interventions: Iterable[Any] = (),
    preferred_carers: Iterable[Any] = (),
) -> VisitSeries:
    """A repeating visit. Visits appear when the series is generated (``series_generate``),
    each for the plan's ``interventions`` (active lines of the client's plan), as one
    visit planned with them is."""
    require_care_team(actor, client, "plan visits")
    errors: Errors = {}
    days = _clean_weekdays(errors, weekdays)
    _clean_times(errors, window_start, window_end)
    minutes = _clean_minutes(errors, expected_minutes)
    starts_on = clean_date(errors, "starts", starts)
    ends_on = clean_date(errors, "ends", ends, required=False)
    if starts_on and ends_on and ends_on < starts_on:
        add_error(errors, "ends", "The series cannot end before it starts.")
    tasks = clean_text(errors, "tasks", tasks, limit=limit_of(VisitSeries, "tasks"))
    intervention_ids = _clean_interventions(errors, client, interventions)
    carer_ids = _clean_carers(errors, client, preferred_carers)
    _require_open_client(errors, client)
    raise_errors(errors)
    starts_on = cleaned(starts_on)
    with transaction.atomic():
        series = VisitSeries.objects.create(
            client=client,
            weekdays=sum(1 << d for d in days),
            window_start=window_start,
            window_end=window_end,
            expected_minutes=cleaned(minutes),
            starts=starts_on,
            ends=ends_on,
            tasks=tasks,
        )
        series.preferred_carers.set(carer_ids)
        series.interventions.set(intervention_ids)
        data = {"series": series.pk, "client": client.pk, "version": series.version}
        record(actor, "visit_series.created", series, data, client_streams(client, "visits"))
    return series


def series_exception_add(
    *,
    actor: Person,
    series: VisitSeries,
    date: datetime.date,
    cancelled: bool = False,
    window_start: datetime.time | None = None,
    window_end: datetime.time | None = None,
    note: str = "",
) -> VisitSeriesException:
    """No visit on one date of a series, or a moved window that day.

    A visit already generated for that date and not yet started follows the exception
    (cancelled, or moved) in the same transaction.
    """
    require_care_team(actor, series.client, "change visit series")
    errors: Errors = {}
    day = clean_date(errors, "date", date)
    if cancelled:
        if window_start is not None or window_end is not None:
            add_error(errors, "window_start", "A cancelled day has no window.")
    else:
        _clean_times(errors, window_start, window_end)
    note = clean_text(errors, "note", note, limit=limit_of(VisitSeriesException, "note"))
    if day and (day < series.starts or (series.ends and day > series.ends)):
        add_error(errors, "date", "The date is outside the series.")
    elif day and day.weekday() not in series.days:
        add_error(errors, "date", "The series has no visit on that weekday.")
    raise_errors(errors)
    day = cleaned(day)
    with transaction.atomic():
        series = lock(series, "client__team")
        try:
            with transaction.atomic():
                exception = VisitSeriesException.objects.create(
                    series=series,
                    date=day,
                    cancelled=cancelled,
                    window_start=window_start,
                    window_end=window_end,
                    note=note,
                )
        except IntegrityError:
            raise refused("date", "This date of the series already differs.") from None
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .filter(series=series, series_date=day)
            .first()
        )
        if visit is not None:
            if visit.status not in Visit.OPEN_STATUSES:
                raise refused(
                    "date",
                    f"The visit that day is already {visit.get_status_display().lower()}:"
                    " change that visit instead.",
                )
            if cancelled:
                visit.status = Visit.Status.CANCELLED
                visit.cancel_reason = note or "No visit on this date of the series."
                fields = ["status", "cancel_reason"]
            else:
                visit.window_start = _local(day, cleaned(window_start))
                visit.window_end = _local(day, cleaned(window_end))
                fields = ["window_start", "window_end"]
            save_new_version(visit, *fields)
        data = {
            "series": series.pk,
            "client": series.client_id,
            "exception": exception.pk,
            "date": day.isoformat(),
            "cancelled": cancelled,
            "visit": visit.pk if visit else None,
            "visit_version": visit.version if visit else None,
        }
        streams = client_streams(series.client, "visits")
        record(actor, "visit_series.exception_added", series, data, streams)
    return exception


def series_generate(
    *, series: VisitSeries, until: datetime.date, actor: Person | None = None
) -> list[Visit]:
    """Create the series' visits from today (or its start) through ``until``.

    Idempotent: a day that already has its visit is skipped (a unique constraint
    backs this), so running it again, or from a nightly tick (``actor=None``), adds
    only what is missing. Cancelled exception days get no visit; moved ones get the
    moved window. Each visit is for the series' interventions still active in the
    plan. Returns the visits created.
    """
    if actor is not None:
        require_care_team(actor, series.client, "plan visits")
    errors: Errors = {}
    last_day = clean_date(errors, "until", until)
    today = timezone.localdate()
    if last_day and last_day > today + MAX_AHEAD:
        add_error(errors, "until", "At most a year ahead.")
    raise_errors(errors)
    last_day = cleaned(last_day)
    with transaction.atomic():
        # The series' row lock serialises generators, so two never race for a day.
        series = lock(series, "client__team")
        if not series.active or series.client.status == Client.Status.DISCHARGED:
            return []
        first = max(series.starts, today)
        last = min(last_day, series.ends) if series.ends else last_day
        if first > last:
            return []
        exceptions = {e.date: e for e in series.exceptions.filter(date__range=(first, last))}
        existing = set(
            series.visits.filter(series_date__range=(first, last)).values_list(
                "series_date", flat=True
            )
        )
        days = set(series.days)
        new = []
        day = first
        while day <= last:
            exception = exceptions.get(day)
            if (
                day.weekday() in days
                and day not in existing
                and not (exception and exception.cancelled)
            ):
                window = (
                    (exception.window_start, exception.window_end)
                    if exception
                    else (series.window_start, series.window_end)
                )
                if window[0] is None or window[1] is None:
                    raise ValueError(f"Series {series.pk}: the moved day {day} has no window.")
                new.append(
                    Visit(
                        client_id=series.client_id,
                        series=series,
                        series_date=day,
                        window_start=_local(day, window[0]),
                        window_end=_local(day, window[1]),
                        expected_minutes=series.expected_minutes,
                        tasks=series.tasks,
                    )
                )
            day += datetime.timedelta(days=1)
        if not new:
            return []
        created = Visit.objects.bulk_create(new)
        carers = list(series.preferred_carers.values_list("pk", flat=True))
        Through = Visit.preferred_carers.through
        Through.objects.bulk_create(
            [Through(visit_id=v.pk, person_id=c) for v in created for c in carers]
        )
        lines = list(series.interventions.filter(active=True).values_list("pk", flat=True))
        For = Visit.interventions.through
        For.objects.bulk_create(
            [For(visit_id=v.pk, planintervention_id=line) for v in created for line in lines]
        )
        made = [v.series_date for v in created if v.series_date is not None]
        data = {
            "series": series.pk,
            "client": series.client_id,
            "visits": [v.pk for v in created],
            "first": made[0].isoformat(),
            "last": made[-1].isoformat(),
        }
        record(actor, "visit.generated", series, data, client_streams(series.client, "visits"))
    return created


# --- compositions the team uses: recording afterwards, starting a series ---------------------

# How far ahead a series' visits exist: planned at once when it starts, and kept so by
# the nightly tick (``care.services.schedule``).
SERIES_HORIZON = datetime.timedelta(weeks=4)


def visit_record(
    *,
    actor: Person,
    visit: Visit,
    version: int,
    actual_start: datetime.datetime | None,
    actual_end: datetime.datetime | None = None,
    note: str = "",
    idempotency_key: str | None = None,
    interventions: object = None,
    ratings: object = None,
    went: str = "",
    reason: str = "",
) -> Visit:
    """Record a visit done with its real times, as the team does afterwards. One never
    started in Kith is started at ``actual_start`` first, in the same transaction, so a
    refused recording leaves it as it was; a colleague's says who went, and a start far
    outside the window why (``visit_start``), and ``ratings`` re-rate the plan's
    problems with it (``visit_finish``). Two sends of one recording at once (the
    same key): the second gets what the first recorded."""
    try:
        with transaction.atomic():
            if visit.status in Visit.OPEN_STATUSES:
                if actual_start is None:
                    raise refused("actual_start", "Required: when the visit began.")
                visit = visit_start(
                    actor=actor,
                    visit=visit,
                    version=version,
                    at=actual_start,
                    went=went,
                    reason=reason,
                )
                version = visit.version
            return visit_finish(
                actor=actor,
                visit=visit,
                version=version,
                actual_start=actual_start,
                actual_end=actual_end,
                note=note,
                idempotency_key=idempotency_key,
                interventions=interventions,
                ratings=ratings,
            )
    except Conflict:
        first = Visit.objects.filter(
            pk=visit.pk, status=Visit.Status.DONE, finish_key=idempotency_key, finished_by=actor
        ).first()
        if idempotency_key and first is not None:
            return first
        raise


def series_start(
    *, actor: Person, client: Client, **fields: Any
) -> tuple[VisitSeries, list[Visit]]:
    """Start a repeating series (``series_create``'s fields) and plan its visits for the
    next four weeks at once: the series and its first visits, or neither."""
    with transaction.atomic():
        series = series_create(actor=actor, client=client, **fields)
        until = timezone.localdate() + SERIES_HORIZON
        return series, series_generate(series=series, until=until, actor=actor)
