"""Published quality data: the client-reported experience survey, and the snapshots a
team publishes of its indicators.

- ``ExperienceSurvey``: one per client per quarter, answered on the portal by the
  client or their representative. Its free text goes to the team and is never
  published; the scores count in the team's experience indicators.
- ``Snapshot``: prepared as a draft by the team's informer, proposed, and published
  (frozen) when the team adopts the proposal by consent. A published snapshot is never
  changed nor deleted: the model refuses it, its queryset refuses it, and on
  PostgreSQL a trigger refuses it too (migration 0009). A correction is a new version
  that points to the one it corrects, which stays readable.
- ``SnapshotRead``: every read of a published snapshot by an inspector.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone

from care.models.clients import AppendOnly
from teams.models import Person, Proposal, Team

QUARTER_PATTERN = r"^[0-9]{4}-Q[1-4]$"
PERIOD_PATTERN = r"^[0-9]{4}-((0[1-9]|1[0-2])|Q[1-4])$"
FROZEN = "A published snapshot is never changed or deleted: publish a correction instead."


# The answers to the three experience items, in words.
ITEM_CHOICES = [(1, "Never"), (2, "Rarely"), (3, "Sometimes"), (4, "Mostly"), (5, "Always")]


class ExperienceSurvey(models.Model):
    """A client's answers for one quarter: "would you recommend" from 0 to 10 and three
    experience items from 1 (not at all) to 5 (always)."""

    client = models.ForeignKey(
        "care.Client", on_delete=models.PROTECT, related_name="experience_surveys"
    )
    period = models.CharField(max_length=7, help_text='The quarter, "YYYY-Qn".')
    recommend = models.PositiveSmallIntegerField(help_text="Would you recommend: 0 to 10.")
    listen = models.PositiveSmallIntegerField(
        choices=ITEM_CHOICES, help_text='"The carers listen to me": 1 to 5.'
    )
    informed = models.PositiveSmallIntegerField(
        choices=ITEM_CHOICES, help_text='"I know who is coming and when": 1 to 5.'
    )
    say = models.PositiveSmallIntegerField(
        choices=ITEM_CHOICES, help_text='"I have a say in my care": 1 to 5.'
    )
    # For the team to read; never published, never counted.
    comment = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"comment": 2000}
    answered_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-period", "-answered_at", "-id"]
        indexes = [models.Index(fields=["period", "client"])]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period"], name="one_experience_survey_per_client_and_quarter"
            ),
            models.CheckConstraint(
                condition=Q(period__regex=QUARTER_PATTERN), name="experience_survey_is_a_quarter"
            ),
            models.CheckConstraint(
                condition=Q(recommend__gte=0, recommend__lte=10),
                name="experience_recommend_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(listen__gte=1, listen__lte=5)
                & Q(informed__gte=1, informed__lte=5)
                & Q(say__gte=1, say__lte=5),
                name="experience_items_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Experience survey of client {self.client_id} for {self.period}"


class SnapshotQuerySet(models.QuerySet["Snapshot"]):
    def published(self) -> SnapshotQuerySet:
        return self.filter(status=Snapshot.Status.PUBLISHED)

    def drafts(self) -> SnapshotQuerySet:
        return self.filter(status=Snapshot.Status.DRAFT)

    def current(self) -> SnapshotQuerySet:
        """Published snapshots no later published version corrects (a draft of a
        correction does not count until the team adopts it)."""
        return self.published().exclude(corrected_by__status=Snapshot.Status.PUBLISHED)

    def update(self, **kwargs):
        if self.published().exists():
            raise ValueError(FROZEN)
        return super().update(**kwargs)

    def delete(self):
        if self.published().exists():
            raise ValueError(FROZEN)
        return super().delete()


class Snapshot(models.Model):
    """A team's indicators for one period as the team publishes them.

    ``content`` is the disclosure-controlled table (``care.figures.quality.disclosure``): no
    names, no ids of clients or people, counts and rates only, each resting on at
    least five clients or shown as "fewer than 5". ``content_hash`` is the SHA-256 of
    the canonical JSON of ``content`` (``care.figures.quality.hashing``). ``source`` holds the
    table before disclosure control while the snapshot is a draft (the team's own
    figures, for re-checking at adoption) and is emptied when it is published.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="snapshots")
    period = models.CharField(max_length=7, help_text='A month "YYYY-MM" or a quarter "YYYY-Qn".')
    last_day = models.DateField(help_text="The period's last day (to order periods by).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    version = models.PositiveIntegerField(
        null=True, blank=True, help_text="1, 2, ... per team and period, once published."
    )
    method_version = models.CharField(max_length=10)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64, blank=True)
    source = models.JSONField(default=dict, blank=True)
    prepared_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    prepared_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    decision = models.OneToOneField(
        Proposal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="published_snapshot",
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )

    objects = SnapshotQuerySet.as_manager()
    # Not columns: on a draft, the open proposal to publish it (selectors.drafts_of); on
    # a published version, the version that corrects it (the team's quality page).
    open_proposal: Proposal | None
    later: Snapshot | None

    class Meta:
        ordering = ["-period", "team", "-version", "-id"]
        indexes = [
            models.Index(fields=["status", "period"]),
            models.Index(fields=["team", "status", "-last_day"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period__regex=PERIOD_PATTERN), name="snapshot_period_month_or_quarter"
            ),
            models.UniqueConstraint(
                fields=["team", "period", "version"],
                condition=Q(status="published"),
                name="snapshot_version_unique",
            ),
            models.UniqueConstraint(
                fields=["team", "period"],
                condition=Q(status="draft"),
                name="one_draft_per_team_and_period",
            ),
            # A draft carries nothing of a publication; a published snapshot all of it.
            models.CheckConstraint(
                condition=Q(
                    status="draft",
                    version__isnull=True,
                    published_at__isnull=True,
                    decision__isnull=True,
                    content_hash="",
                )
                | Q(
                    status="published",
                    version__gte=1,
                    published_at__isnull=False,
                    decision__isnull=False,
                    content_hash__regex=r"^[0-9a-f]{64}$",
                    source={},
                ),
                name="snapshot_draft_or_published_whole",
            ),
            # The first version corrects nothing; every later one corrects one.
            models.CheckConstraint(
                condition=Q(status="draft")
                | Q(version=1, corrects__isnull=True)
                | Q(version__gt=1, corrects__isnull=False),
                name="snapshot_version_chain",
            ),
        ]

    def __str__(self) -> str:
        if self.status == self.Status.PUBLISHED:
            return f"Quality snapshot of {self.team_id} for {self.period}, version {self.version}"
        return f"Draft quality snapshot of {self.team_id} for {self.period}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Asked of the database, not of this object: a stale copy of a published row
        # that still says "draft" must not overwrite it either.
        if (
            self.pk is not None
            and type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise ValueError(FROZEN)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if (
            self.pk is not None
            and type(self).objects.filter(pk=self.pk, status=self.Status.PUBLISHED).exists()
        ):
            raise ValueError(FROZEN)
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class SnapshotRead(AppendOnly):
    """An inspector read a published snapshot: when, which, how. Append-only; the team
    whose snapshot it is can see it."""

    APPEND_ONLY = "The read log is append-only."

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="reads")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, default="api")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["snapshot", "-at"])]

    def __str__(self) -> str:
        return f"{self.person_id} read snapshot {self.snapshot_id} ({self.what})"
