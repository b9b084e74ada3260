"""Omaha care plans: add problems, interventions and outcome ratings.

Every change bumps the plan's version; an edit made against an older version gets
409 with the current plan, never last-write-wins.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from care import access
from care.models import (
    CarePlan,
    Client,
    OmahaCategory,
    OmahaProblem,
    OmahaScope,
    OmahaSeverity,
    OmahaSign,
    OmahaTarget,
    OutcomeRating,
    PlanIntervention,
    PlanProblem,
)
from care.services.common import client_streams
from coordination.events import Event, publish
from teams.cleaning import Errors, add_error, clean_text, cleaned, limit_of, raise_errors, refused
from teams.models import Person
from teams.services.common import audit
from teams.versioning import check_version, lock, save_new_version


def plan_state(plan: CarePlan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "version": plan.version,
        "problems": [
            {"id": p.pk, "problem": p.problem.number, "status": p.status}
            for p in plan.problems.select_related("problem")
        ],
    }


def _locked_plan(actor: Person, client: Client, version: int | None) -> CarePlan:
    if not access.can_keep_record(actor, client):
        raise PermissionDenied("Only the client's team keeps the care plan.")
    plan = lock(CarePlan.objects.get_or_create(client=client)[0], "client__team")
    check_version(plan, version, plan_state, required=False)
    return plan


def _touch(plan: CarePlan, actor: Person, kind: str, data: dict[str, Any]) -> None:
    save_new_version(plan, updated=timezone.now())
    client = plan.client
    publish(
        Event(kind, {"client": client.pk, "plan_version": plan.version, **data}, actor=actor.pk),
        streams=client_streams(client, "plan"),
    )


def _choice(value: object, choices: Any, field: str, errors: Errors) -> None:
    if value not in choices:
        errors[field] = [f"One of: {', '.join(choices)}."]


def plan_add_problem(
    *,
    actor: Person,
    client: Client,
    version: int,
    problem: int,
    scope: str,
    severity: str,
    signs: list[int] | None = None,
) -> PlanProblem:
    errors: dict[str, list[str]] = {}
    found = (
        OmahaProblem.objects.filter(number=problem).first() if isinstance(problem, int) else None
    )
    if found is None:
        errors["problem"] = ["Not an Omaha System problem number (1 to 42)."]
    _choice(scope, OmahaScope.values, "scope", errors)
    _choice(severity, OmahaSeverity.values, "severity", errors)
    sign_rows = []
    if signs:
        if found is None or not all(isinstance(s, int) for s in signs):
            errors.setdefault("signs", ["Signs of the chosen problem, by id."])
        else:
            sign_rows = list(OmahaSign.objects.filter(problem=found, pk__in=signs))
            if len(sign_rows) != len(set(signs)):
                errors["signs"] = ["Some of these are not signs of the chosen problem."]
    if severity == OmahaSeverity.ACTUAL and not signs and "severity" not in errors:
        errors["signs"] = ["An actual problem needs at least one sign or symptom."]
    raise_errors(errors)
    with transaction.atomic():
        plan = _locked_plan(actor, client, version)
        if plan.problems.filter(problem=found, status=PlanProblem.Status.ACTIVE).exists():
            raise refused("problem", "This problem is already in the plan.")
        entry = PlanProblem.objects.create(
            plan=plan, problem=cleaned(found), scope=scope, severity=severity, added_by=actor
        )
        entry.signs.set(sign_rows)
        audit(actor=actor, action="plan.problem_added", target=entry, data={"problem": problem})
        _touch(plan, actor, "plan.problem_added", {"plan_problem": entry.pk, "problem": problem})
    return entry


def plan_add_intervention(
    *,
    actor: Person,
    plan_problem: PlanProblem,
    version: int,
    category: int,
    target: int,
    description: str,
    frequency: str,
) -> PlanIntervention:
    errors: dict[str, list[str]] = {}
    cat = (
        OmahaCategory.objects.filter(number=category).first() if isinstance(category, int) else None
    )
    tgt = OmahaTarget.objects.filter(number=target).first() if isinstance(target, int) else None
    if cat is None:
        errors["category"] = ["Not an Omaha System intervention category (1 to 4)."]
    if tgt is None:
        errors["target"] = ["Not an Omaha System intervention target (1 to 76)."]
    description = clean_text(
        errors,
        "description",
        description,
        limit=limit_of(PlanIntervention, "description"),
        required=True,
    )
    frequency = clean_text(
        errors, "frequency", frequency, limit=limit_of(PlanIntervention, "frequency"), required=True
    )
    raise_errors(errors)
    client = plan_problem.plan.client
    with transaction.atomic():
        plan = _locked_plan(actor, client, version)
        intervention = PlanIntervention.objects.create(
            plan_problem=plan_problem,
            category=cleaned(cat),
            target=cleaned(tgt),
            description=description,
            frequency=frequency,
        )
        audit(actor=actor, action="plan.intervention_added", target=intervention)
        _touch(plan, actor, "plan.intervention_added", {"intervention": intervention.pk})
    return intervention


SCALES = ("knowledge", "behavior", "status")
RATE_ALL = "Rate all three, or none."


def clean_scales(errors: Errors, values: Mapping[str, object], prefix: str = "") -> None:
    """Knowledge, Behavior and Status, each a whole number 1 to 5; refused at
    ``prefix`` + the scale's name. A scale left out (None) of a rating that rates
    another asks for all three."""
    for name in SCALES:
        value = values.get(name)
        if value is None:
            add_error(errors, f"{prefix}{name}", RATE_ALL)
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            add_error(errors, f"{prefix}{name}", "A rating from 1 to 5.")


def add_rating(
    *,
    actor: Person,
    plan: CarePlan,
    plan_problem: PlanProblem,
    scales: dict[str, int],
    rated_on: datetime.date,
    note: str = "",
) -> OutcomeRating:
    """One more rating of a plan problem, cleaned already, in the caller's transaction
    under the plan's lock (``plan_rate``, or a visit recorded with its re-ratings)."""
    rating = OutcomeRating.objects.create(
        plan_problem=plan_problem,
        knowledge=scales["knowledge"],
        behavior=scales["behavior"],
        status=scales["status"],
        rated_on=rated_on,
        rated_by=actor,
        note=note,
    )
    audit(actor=actor, action="plan.rated", target=rating)
    _touch(plan, actor, "plan.rated", {"plan_problem": plan_problem.pk, "rating": rating.pk})
    return rating


def locked_plan(actor: Person, client: Client) -> CarePlan:
    """The client's plan under its lock, to add ratings to (they never overwrite, so no
    version is asked); only the client's team rates."""
    return _locked_plan(actor, client, None)


def plan_rate(
    *,
    actor: Person,
    plan_problem: PlanProblem,
    knowledge: int,
    behavior: int,
    status: int,
    rated_on: datetime.date | None = None,
    note: str = "",
) -> OutcomeRating:
    """Rate Knowledge, Behavior and Status, 1 to 5. Ratings add up over time; none is edited."""
    errors: dict[str, list[str]] = {}
    scales = {"knowledge": knowledge, "behavior": behavior, "status": status}
    clean_scales(errors, scales)
    rated_on = rated_on or timezone.localdate()
    if rated_on > timezone.localdate():
        errors["rated_on"] = ["A rating cannot be dated in the future."]
    note = clean_text(errors, "note", note, limit=limit_of(OutcomeRating, "note"))
    raise_errors(errors)
    client = plan_problem.plan.client
    with transaction.atomic():
        plan = locked_plan(actor, client)  # ratings add; they never overwrite
        return add_rating(
            actor=actor,
            plan=plan,
            plan_problem=plan_problem,
            scales=scales,
            rated_on=rated_on,
            note=note,
        )
