"""Visits: the repeating pattern a client agreed (a series) and each visit on the day."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from care.models.clients import Client
from care.models.omaha import OmahaCategory, OmahaTarget
from care.models.plans import PlanIntervention
from teams.models import Person

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ALL_WEEKDAYS = 0b1111111


class VisitSeries(models.Model):
    """A repeating visit: on these weekdays, arriving in this window, from a date.

    The window is local time (the team's clock); visits generated from a series get
    timezone-aware datetimes for each day, so a clock change keeps "08:00" at 08:00.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="visit_series")
    weekdays = models.PositiveSmallIntegerField(
        help_text="Bitmask of weekdays: 1 Monday, 2 Tuesday, 4 Wednesday ... 64 Sunday."
    )
    window_start = models.TimeField()
    window_end = models.TimeField()
    expected_minutes = models.PositiveIntegerField()
    tasks = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"tasks": 5000}
    preferred_carers = models.ManyToManyField(Person, blank=True, related_name="+")
    # What each of its visits is for: the plan's lines its generated visits carry.
    interventions = models.ManyToManyField(PlanIntervention, blank=True, related_name="series")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    # Not columns: on the visits section (frontend.views.client_sections), its weekdays
    # in words and the form to except a day from it.
    day_names: str
    exception_form: dict[str, Any]

    class Meta:
        ordering = ["client", "window_start", "id"]
        verbose_name_plural = "visit series"
        constraints = [
            models.CheckConstraint(
                condition=Q(weekdays__gte=1, weekdays__lte=ALL_WEEKDAYS),
                name="series_has_weekdays",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="series_window_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(expected_minutes__gt=0), name="series_expected_minutes_positive"
            ),
            models.CheckConstraint(
                condition=Q(ends__isnull=True) | Q(ends__gte=F("starts")),
                name="series_ends_after_starts",
            ),
        ]

    def __str__(self) -> str:
        days = ", ".join(WEEKDAY_NAMES[d][:3] for d in self.days)
        return f"{days} {self.window_start:%H:%M}-{self.window_end:%H:%M} for {self.client}"

    @property
    def days(self) -> list[int]:
        """The weekdays as ``date.weekday()`` numbers, Monday 0 to Sunday 6."""
        return [day for day in range(7) if self.weekdays & (1 << day)]


class VisitSeriesException(models.Model):
    """One date of a series that differs: no visit that day, or a moved window."""

    series = models.ForeignKey(VisitSeries, on_delete=models.PROTECT, related_name="exceptions")
    date = models.DateField()
    cancelled = models.BooleanField(default=False)
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["series", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "date"], name="one_exception_per_series_date"
            ),
            # Either the day is cancelled (and has no window) or it has a whole, moved window.
            models.CheckConstraint(
                condition=Q(cancelled=True, window_start__isnull=True, window_end__isnull=True)
                | Q(
                    cancelled=False,
                    window_start__isnull=False,
                    window_end__isnull=False,
                    window_end__gt=F("window_start"),
                ),
                name="exception_cancels_or_moves",
            ),
        ]

    def __str__(self) -> str:
        if self.cancelled:
            return f"no visit on {self.date}"
        return f"moved to {self.window_start:%H:%M}-{self.window_end:%H:%M} on {self.date}"


class Visit(models.Model):
    """One visit to a client: when the carer is expected, who goes, what happened.

    ``window_start``/``window_end`` is the agreed arrival window; ``expected_minutes``
    how long the visit takes (it is what a planned visit costs the budget).
    ``late_until`` is set while the carer is running late (see ``visit_running_late``).
    ``finish_key`` is the idempotency key the visit was recorded with and
    ``finished_by`` who recorded it, so their retry of the same recording returns the
    first result instead of recording twice.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ASSIGNED = "assigned", "Assigned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"
        MISSED = "missed", "Missed"

    OPEN_STATUSES = (Status.PLANNED, Status.ASSIGNED)
    UNDONE_STATUSES = (Status.PLANNED, Status.ASSIGNED, Status.IN_PROGRESS)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="visits")
    series = models.ForeignKey(
        VisitSeries, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    # The series day this visit was generated for (it stays the key if the window moves).
    series_date = models.DateField(null=True, blank=True)
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    expected_minutes = models.PositiveIntegerField()
    tasks = models.TextField(blank=True)
    interventions = models.ManyToManyField(PlanIntervention, blank=True, related_name="visits")
    preferred_carers = models.ManyToManyField(Person, blank=True, related_name="+")
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_visits"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    actual_start = models.DateTimeField(null=True, blank=True)
    actual_end = models.DateTimeField(null=True, blank=True)
    done_note = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"tasks": 5000, "done_note": 5000}
    cancel_reason = models.CharField(max_length=300, blank=True)
    # Why it started far outside its window (``care.services.visits.OFF_WINDOW``).
    start_note = models.CharField(max_length=300, blank=True)
    # Running late: when the carer now expects to arrive (after the window starts) and
    # why; the family sees it. Cleared when the visit starts.
    late_until = models.DateTimeField(null=True, blank=True)
    late_note = models.CharField(max_length=200, blank=True)
    finish_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    finished_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    # Not columns: the board's open handover offers of it, and on the help board only
    # its client's postcode (coordination.selectors).
    open_offers: list[Any]
    client_postcode: str
    # And on the visits section (frontend.views.client_sections): what may be done with
    # it now, a form of it that came back with a conflict or problem, and its forms.
    is_open: bool
    can_record: bool
    can_miss: bool
    can_start: bool
    notice: dict[str, Any] | None
    overlap_in: str | None
    assign_form: dict[str, Any]
    start_form: dict[str, Any]
    went_choices: list[tuple[str, str]]
    cancel_form: dict[str, Any]
    missed_form: dict[str, Any]
    finish_form: dict[str, Any]

    class Meta:
        ordering = ["window_start", "id"]
        indexes = [
            models.Index(fields=["client", "window_start"]),
            models.Index(fields=["assignee", "window_start"]),
            # A period's visits, for the indicators of every team at once.
            models.Index(fields=["window_start"], name="visit_window_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_end__gt=F("window_start")), name="visit_window_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True)
                | Q(actual_end__isnull=True)
                | Q(actual_end__gt=F("actual_start")),
                name="visit_actual_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="done")
                | Q(actual_start__isnull=False, actual_end__isnull=False),
                name="visit_done_has_actual_times",
            ),
            models.CheckConstraint(
                condition=~Q(status="in_progress") | Q(actual_start__isnull=False),
                name="visit_in_progress_has_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="assigned") | Q(assignee__isnull=False),
                name="visit_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=Q(expected_minutes__gt=0), name="visit_expected_minutes_positive"
            ),
            models.CheckConstraint(
                condition=Q(series__isnull=True, series_date__isnull=True)
                | Q(series__isnull=False, series_date__isnull=False),
                name="visit_series_has_date",
            ),
            # Generating a series twice never makes a second visit for the same day.
            models.UniqueConstraint(
                fields=["series", "series_date"],
                condition=Q(series__isnull=False),
                name="one_visit_per_series_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Visit to {self.client} at {self.window_start:%Y-%m-%d %H:%M} ({self.status})"


class VisitIntervention(models.Model):
    """An intervention of the client's plan as recorded on a visit: done or not done.

    The Omaha System records what was done as an intervention: its category and target
    (kept as they were on the day, should the plan change later) and the plan's line it
    carried out. One row a visit and plan line; recorded with the visit, never edited."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="recorded")
    intervention = models.ForeignKey(
        PlanIntervention, on_delete=models.PROTECT, related_name="recorded"
    )
    category = models.ForeignKey(OmahaCategory, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(OmahaTarget, on_delete=models.PROTECT, related_name="+")
    done = models.BooleanField()

    class Meta:
        ordering = ["category__number", "target__number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "intervention"], name="visit_intervention_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.target} on visit {self.visit_id}: {'done' if self.done else 'not done'}"
