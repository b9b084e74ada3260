"""Figures a team shared with the network for a month.

The informer shares the team's figures for a month that has ended; other teams see
them side by side with the network median. A share is never changed: sharing the
same month again (late-recorded visits, a corrected rating) adds a new version that
points to the one it replaces, which stays readable and is no longer ``current``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from teams.models import Person, Team

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


class SharedFiguresQuerySet(models.QuerySet):
    """Only the ``current`` flag ever changes (when a new version replaces a share)."""

    def update(self, **kwargs):
        if set(kwargs) != {"current"}:
            raise ValueError("Shared figures are never changed: share the month again instead.")
        return super().update(**kwargs)

    def delete(self):
        raise ValueError("Shared figures are never deleted.")


class SharedFigures(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="shared_figures")
    period = models.CharField(max_length=7, help_text='The month, "YYYY-MM".')
    version = models.PositiveIntegerField(default=1)
    # {indicator key: {"value", "numerator", "denominator", "clients"}}, as computed by
    # care.figures.compute under ``method_version`` when shared.
    figures = models.JSONField()
    method_version = models.CharField(max_length=10)
    shared_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(default=timezone.now)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    current = models.BooleanField(default=True)

    objects = SharedFiguresQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "team", "-version"]
        verbose_name_plural = "shared figures"
        indexes = [models.Index(fields=["period", "current"])]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "period"],
                condition=Q(current=True),
                name="one_current_share_per_team_and_month",
            ),
            models.UniqueConstraint(
                fields=["team", "period", "version"], name="shared_figures_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=MONTH_PATTERN), name="shared_figures_period_is_a_month"
            ),
            # The first share replaces nothing; every later version replaces one.
            models.CheckConstraint(
                condition=Q(version=1, supersedes__isnull=True)
                | Q(version__gt=1, supersedes__isnull=False),
                name="shared_figures_version_chain",
            ),
        ]

    def __str__(self) -> str:
        return f"Figures of {self.team} for {self.period} (version {self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and set(kwargs.get("update_fields") or ()) != {"current"}:
            raise ValueError("Shared figures are never changed: share the month again instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Shared figures are never deleted.")
