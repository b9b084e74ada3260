"""A carer of another team let into one visit: the visit, and only what it needs."""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from care.models.visits import Visit
from teams.models import Person


class VisitGrantQuerySet(models.QuerySet["VisitGrant"]):
    def live(self, now: datetime.datetime | None = None) -> VisitGrantQuerySet:
        """Grants in force now: not ended, not expired, the visit not yet over, and the
        visit still with the person it was granted to."""
        now = now or timezone.now()
        return self.filter(
            ended_at__isnull=True,
            expires_at__gt=now,
            visit__status__in=Visit.UNDONE_STATUSES,
            visit__assignee=F("person"),
        )


class VisitGrant(models.Model):
    """A helper from another team may see and do one visit until it is done or the
    grant expires: the visit's time and tasks, its linked plan interventions, and the
    client's name, address and phone. Nothing else of the record.

    Never edited except to end it (``ended_at``): finishing the visit ends it, and so
    do cancelling it, marking it missed or giving it to someone else. Every read
    through the grant is in the client's access log.
    """

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="grants")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="visit_grants")
    granted_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, help_text='Why, e.g. "help request 12".')

    objects = VisitGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_at", "-id"]
        indexes = [models.Index(fields=["person", "ended_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(ended_at__isnull=True),
                name="one_open_grant_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("granted_at")), name="visit_grant_expires_after"
            ),
            models.CheckConstraint(
                condition=~Q(person=F("granted_by")), name="visit_grant_to_someone_else"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} may do visit {self.visit_id} until {self.expires_at:%Y-%m-%d %H:%M}"
