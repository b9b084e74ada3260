"""Omaha System care plans: problems, interventions and outcome ratings over time."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from care.models.clients import Client
from care.models.omaha import (
    OmahaCategory,
    OmahaProblem,
    OmahaScope,
    OmahaSeverity,
    OmahaSign,
    OmahaTarget,
)
from teams.models import Person


class CarePlan(models.Model):
    """A client's care plan. ``version`` guards concurrent edits of the whole plan."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="plan")
    version = models.PositiveIntegerField(default=1)
    updated = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Care plan of {self.client}"


class PlanProblem(models.Model):
    """An Omaha problem in the plan, with its modifiers and the signs seen."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        RESOLVED = "resolved", "Resolved"

    plan = models.ForeignKey(CarePlan, on_delete=models.PROTECT, related_name="problems")
    problem = models.ForeignKey(OmahaProblem, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=20, choices=OmahaScope.choices)
    severity = models.CharField(max_length=20, choices=OmahaSeverity.choices)
    signs = models.ManyToManyField(OmahaSign, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    added = models.DateField(default=timezone.localdate)
    resolved = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # Not columns: on the plan section (frontend.views.client_sections), its ratings in
    # order, the latest of them, and for the team the forms to add an intervention and
    # to rate it.
    rating_list: list[OutcomeRating]
    latest: OutcomeRating | None
    intervention_form: dict[str, Any]
    rate_form: dict[str, Any]

    class Meta:
        ordering = ["problem__number"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "problem"],
                condition=Q(status="active"),
                name="one_active_entry_per_problem",
            )
        ]

    def __str__(self) -> str:
        return f"{self.problem} ({self.severity})"


class PlanIntervention(models.Model):
    """What the team (or the network) does about a problem, and how often."""

    plan_problem = models.ForeignKey(
        PlanProblem, on_delete=models.PROTECT, related_name="interventions"
    )
    category = models.ForeignKey(OmahaCategory, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(OmahaTarget, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(help_text="What is done.")
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"description": 2000}
    frequency = models.CharField(max_length=80, help_text="How often, e.g. daily, Mon/Wed/Fri.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["category__number", "target__number", "id"]

    def __str__(self) -> str:
        return f"{self.category}: {self.target} ({self.frequency})"


class OutcomeRating(models.Model):
    """Knowledge, Behavior and Status, 1 to 5, rated on a date by a team member."""

    plan_problem = models.ForeignKey(PlanProblem, on_delete=models.PROTECT, related_name="ratings")
    knowledge = models.PositiveSmallIntegerField()
    behavior = models.PositiveSmallIntegerField()
    status = models.PositiveSmallIntegerField()
    rated_on = models.DateField(default=timezone.localdate)
    rated_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rated_on", "at", "id"]
        # A period's ratings, for the outcome indicators of every team at once.
        indexes = [models.Index(fields=["rated_on"], name="rating_rated_on")]
        constraints = [
            models.CheckConstraint(
                condition=Q(knowledge__gte=1, knowledge__lte=5)
                & Q(behavior__gte=1, behavior__lte=5)
                & Q(status__gte=1, status__lte=5),
                name="ratings_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"K{self.knowledge} B{self.behavior} S{self.status} on {self.rated_on}"
