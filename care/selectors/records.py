"""Reads of care records for pages and the API, each in a fixed number of queries.

Access is decided by ``care.access``; a read of a record is logged by
``care.selectors.clients.client_for`` before any of these run (they log nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch

from care import access
from care.models import (
    CarePlan,
    Client,
    OmahaAnchor,
    OmahaCategory,
    OmahaDomain,
    OmahaProblem,
    OmahaScale,
    OmahaSign,
    OmahaTarget,
    OutcomeRating,
    PlanIntervention,
    PlanProblem,
)
from teams.models import Person

SCALES = [OmahaScale.KNOWLEDGE, OmahaScale.BEHAVIOR, OmahaScale.STATUS]


# --- a client before the logged read ---------------------------------------------------


def client_kept_by(person: Person, pk: int) -> bool:
    """Is the person in the team that keeps this client's record? Asked before the
    logged read of a team-side page, so a refused visit (the client herself, a family
    member granted "notes") is neither shown the page nor written in the log as a read.
    """
    client = Client.objects.only("id", "team_id").filter(pk=pk).first()
    return client is not None and access.can_keep_record(person, client)


def readable_scopes(person: Person, pk: int) -> tuple[Client | None, frozenset[str]]:
    """The client and the scopes of their record the person may read now (unlogged:
    the caller logs the read through ``client_for`` before showing anything)."""
    client = Client.objects.select_related("team").filter(pk=pk).first()
    if client is None:
        return None, frozenset()
    return client, access.scopes(person, client)


# --- the care plan ---------------------------------------------------------------------


@dataclass
class Plan:
    """A care plan as the page shows it; ``version`` 1 when none exists yet (the first
    write creates it at version 1, so the form carries 1)."""

    version: int = 1
    problems: list[PlanProblem] = field(default_factory=list)


def plan_of(client: Client) -> Plan:
    """The plan with its problems, signs, interventions and ratings in a fixed number
    of queries, however many there are. Read-only: no plan is created by reading."""
    problems = PlanProblem.objects.select_related("problem__domain").prefetch_related(
        "signs",
        Prefetch("ratings", queryset=OutcomeRating.objects.select_related("rated_by")),
        Prefetch(
            "interventions",
            queryset=PlanIntervention.objects.select_related("category", "target"),
        ),
    )
    plan = (
        CarePlan.objects.filter(client=client)
        .prefetch_related(Prefetch("problems", queryset=problems))
        .first()
    )
    if plan is None:
        return Plan()
    return Plan(version=plan.version, problems=list(plan.problems.all()))


def plan_problem_of(client: Client, pk: int) -> PlanProblem | None:
    """One problem of this client's plan (for its chart and its forms)."""
    return (
        PlanProblem.objects.select_related("problem", "plan")
        .prefetch_related("ratings")
        .filter(pk=pk, plan__client=client)
        .first()
    )


# --- the Omaha System reference set, for the plan's forms -------------------------------


def problem_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The 42 problems grouped by domain, for a select with optgroups."""
    domains = OmahaDomain.objects.prefetch_related(
        Prefetch("problems", queryset=OmahaProblem.objects.order_by("number"))
    )
    return [
        (d.name, [(str(p.number), f"{p.number:02d} {p.name}") for p in d.problems.all()])
        for d in domains
    ]


def signs_of(number: object) -> list[OmahaSign]:
    """The signs and symptoms of one problem, by its number (none for anything else)."""
    if not str(number).isdecimal():
        return []
    return list(OmahaSign.objects.filter(problem__number=int(str(number))).order_by("position"))


def category_choices() -> list[tuple[str, str]]:
    return [(str(c.number), c.name) for c in OmahaCategory.objects.order_by("number")]


def target_choices() -> list[tuple[str, str]]:
    return [(str(t.number), f"{t.number:02d} {t.name}") for t in OmahaTarget.objects.all()]


def anchors() -> dict[str, list[tuple[int, str]]]:
    """The wording of each rating on each scale: {"knowledge": [(1, "No knowledge"), ...]}."""
    found: dict[str, list[tuple[int, str]]] = {scale.value: [] for scale in SCALES}
    for anchor in OmahaAnchor.objects.order_by("scale", "rating"):
        found.setdefault(anchor.scale, []).append((anchor.rating, anchor.wording))
    return found


# --- the records a portal user may open ----------------------------------------------


@dataclass
class Record:
    client: Client
    relation: str  # "own", "representative" or "shared"
    scopes: list[str]


def records_of(person: Person) -> list[Record]:
    """The clients whose record the person may open in the portal: their own, the one
    they represent, and those shared with them, from the streams ``care.access`` lets
    them follow (names only: not a read of the record).
    """
    scopes_by_client: dict[int, set[str]] = {}
    for stream in access.client_streams(person):
        _, client_id, scope = stream.split(".", 2)
        scopes_by_client.setdefault(int(client_id), set()).add(scope)
    clients = Client.objects.filter(pk__in=scopes_by_client).order_by("last_name", "first_name")
    records = []
    for client in clients:
        if client.account_id == person.pk:
            relation = "own"
        elif client.representative_id == person.pk:
            relation = "representative"
        else:
            relation = "shared"
        records.append(Record(client, relation, sorted(scopes_by_client[client.pk])))
    return records
