"""Tables of notifications. Registered with the coordination app (coordination/models.py)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from coordination.notifications import targets
from teams.models import Person


class Notification(models.Model):
    """One thing one person should know about, made from one event of the log.

    ``source_stream`` / ``source_seq`` name that event; ``subject`` names what it is
    about (the offer, the proposal, the visit at its version). Both are unique per
    person, so neither a replayed event nor the same news published twice notifies
    anyone twice. ``text`` names no client: it outlives the reader's access and
    travels by email; the page at ``url`` shows the rest under its own checks.
    ``target`` says what that page is about, without naming a page (``targets``):
    the pages resolve it to ``url``.

    A notification is *done* (``done_at``, and ``done_why`` in a few words) when what it
    asked for has happened or no longer can: the offer was answered or the visit changed
    hands, the person responded or the proposal closed, the late visit started, the
    visits a helper was accepted for are over (``rules.py``). Done is also read, so the
    unread count is what is still waiting for the person.
    """

    class Kind(models.TextChoices):
        HANDOVER_OFFERED = "handover_offered", "A visit offered to you"
        HELP_ACCEPTED = "help_accepted", "Your help offer accepted"
        PROPOSAL_WAITING = "proposal_waiting", "A proposal waiting for your response"
        VISIT_LATE = "visit_late", "A visit in your team running late"
        VISIT_TAKEN = "visit_taken", "A visit of yours that a colleague went to"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    text = models.CharField(max_length=200)
    target = models.JSONField(default=dict)
    created = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_why = models.CharField(max_length=120, blank=True)
    source_stream = models.CharField(max_length=96)
    source_seq = models.BigIntegerField()
    subject = models.CharField(max_length=120)

    class Meta:
        app_label = "coordination"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "source_stream", "source_seq"],
                name="notification_once_per_event",
            ),
            models.UniqueConstraint(
                fields=["person", "subject"], name="notification_once_per_subject"
            ),
        ]
        indexes = [
            # The unread count and the digest's "unread since".
            models.Index(fields=["person", "read_at", "created"], name="notification_unread"),
            # The list, newest first, page by page.
            models.Index(fields=["person", "-created", "-id"], name="notification_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.person_id}"

    _url: str | None = None

    @property
    def url(self) -> str:
        """The page to open (the target resolved by the pages; ``targets.resolve``
        resolves a list's at once)."""
        if self._url is None:
            self._url = targets.url(self.target)
        return self._url

    @url.setter
    def url(self, value: str) -> None:
        self._url = value


class NotificationPreference(models.Model):
    """How a person wants to hear: kinds they muted, the daily digest, quiet hours.

    Quiet hours are local wall-clock times and may wrap midnight (22:00 to 07:00);
    both are set or neither. During them nothing is pushed live and no digest is sent:
    notifications are kept and show on the next page load.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="notification_preference"
    )
    muted = models.JSONField(default=list, blank=True)
    digest = models.BooleanField(default=True)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    last_digest_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        app_label = "coordination"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quiet_start__isnull=True, quiet_end__isnull=True)
                | models.Q(quiet_start__isnull=False, quiet_end__isnull=False),
                name="quiet_hours_both_or_neither",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preferences of {self.person_id}"
