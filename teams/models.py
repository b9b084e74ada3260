from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class Person(AbstractUser):
    """Everyone who logs in to Kith.

    ``kind`` says which part of Kith a person uses; it grants no authority over any
    team. What a team member may do comes from their memberships and the decisions
    their team took; ``is_staff`` / ``is_superuser`` are for operators in the admin.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", "Team member"
        COACH = "coach", "Coach"
        INSPECTOR = "inspector", "Inspector"
        PORTAL = "portal", "Client or network member"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MEMBER)
    preferred_name = models.CharField(max_length=80, blank=True)

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.get_full_name() or self.username


class Team(models.Model):
    """A self-managing neighbourhood team."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    town = models.CharField(max_length=80, blank=True)
    patch = models.TextField(blank=True, help_text="Neighbourhoods the team looks after.")
    postcodes = models.CharField(max_length=200, blank=True, help_text="Postcode areas.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def stream(self) -> str:
        return f"team.{self.pk}"


class MembershipQuerySet(models.QuerySet):
    def current(self):
        return self.filter(left__isnull=True)


class Membership(models.Model):
    """A person's time in a team. Leaving closes the row; history is never deleted."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    joined = models.DateField(default=timezone.localdate)
    left = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                condition=Q(left__isnull=True),
                name="one_current_membership_per_team",
            ),
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(left__gte=F("joined")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team}"


class AuditEntry(models.Model):
    """Who did what, written by every service in the same transaction as the change."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=64, help_text="model label and id, e.g. teams.team:3")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.target}"
