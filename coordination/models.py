# The event log's tables live beside its code (coordination/events/), which must stay
# a leaf; importing them here registers them with the app.
from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from care.models import Visit
from coordination.events.models import EventRecord, Stream
from teams.models import Person, Team

if TYPE_CHECKING:
    from coordination.selectors import BoardVisit

__all__ = ["EventRecord", "HandoverOffer", "HelpOffer", "HelpRequest", "Stream"]


class HandoverOffer(models.Model):
    """A carer offers their visit to a colleague, who accepts or declines it.

    ``kind`` handover: the colleague takes the visit. ``kind`` swap: the colleague
    takes ``visit`` and gives their own ``swap_visit`` in exchange. The offer remembers
    the versions of the visits it was made on: accepting checks they are unchanged (a
    visit that moved, started or changed hands since makes the offer lapse, status
    ``expired``), so nobody accepts a visit that is not the one they were offered.

    At most one open offer per visit, whichever side of an offer it is on: the
    constraints hold it per column, the services across the two (under both visits'
    row locks).
    """

    class Kind(models.TextChoices):
        HANDOVER = "handover", "Handover"
        SWAP = "swap", "Swap"

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Lapsed"

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="handover_offers")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.HANDOVER)
    swap_visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="swap_offers"
    )
    from_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    to_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    # The versions of the visits the offer was made on.
    visit_version = models.PositiveIntegerField()
    swap_visit_version = models.PositiveIntegerField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was declined.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    answered = models.DateTimeField(null=True, blank=True)
    # Not columns: on the board page, the visits it names as the board read them.
    the_visit: BoardVisit | None
    the_swap: BoardVisit | None

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["visit"],
                condition=Q(status="offered"),
                name="one_open_offer_per_visit",
            ),
            models.UniqueConstraint(
                fields=["swap_visit"],
                condition=Q(status="offered", swap_visit__isnull=False),
                name="one_open_swap_offer_per_visit",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind="handover", swap_visit__isnull=True, swap_visit_version__isnull=True
                )
                | Q(kind="swap", swap_visit__isnull=False, swap_visit_version__isnull=False),
                name="offer_swap_has_swap_visit",
            ),
            models.CheckConstraint(
                condition=~Q(swap_visit=F("visit")), name="offer_swaps_two_visits"
            ),
            models.CheckConstraint(
                condition=~Q(to_person=F("from_person")), name="offer_to_someone_else"
            ),
            models.CheckConstraint(
                condition=Q(status="offered", answered__isnull=True)
                | (~Q(status="offered") & Q(answered__isnull=False)),
                name="offer_answered_once_closed",
            ),
        ]
        indexes = [models.Index(fields=["to_person", "status"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of visit {self.visit_id} to {self.to_person_id}"


class HelpRequest(models.Model):
    """A team asks the network for help with visits nobody in it can cover.

    Other teams' members see when, how long, the area and the skills needed, never
    who the client is; one of them offers (``HelpOffer``), and any current member of
    the asking team accepts an offer: the visits are lent to the helper
    (``care.services.visit_lend``) and the request is filled. ``note`` is for the
    asking team (why it asked); other teams do not see it.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FILLED = "filled", "Filled"
        WITHDRAWN = "withdrawn", "Withdrawn"
        EXPIRED = "expired", "Lapsed"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="help_requests")
    raised_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    visits = models.ManyToManyField(Visit, related_name="help_requests")
    note = models.CharField(max_length=300, blank=True)
    skills = models.CharField(max_length=200, blank=True, help_text="e.g. insulin, hoist.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    closed = models.DateTimeField(null=True, blank=True)
    # Not columns: what coordination.selectors reads into a request for the help board
    # and the team's help section (help_board, team_help), which the API shows.
    visit_list: list[Visit]
    open_offers: list[HelpOffer]
    accepted: HelpOffer | None
    mine: bool
    distance_km: float | None
    area: str
    first_start: datetime.datetime | None
    minutes: int
    visible_offers: list[HelpOffer]
    my_offer: HelpOffer | None
    visible_note: str

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["status", "created"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed__isnull=True)
                | (~Q(status="open") & Q(closed__isnull=False)),
                name="help_request_closed_once_not_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Help request {self.pk} of {self.team_id} ({self.status})"


class HelpOffer(models.Model):
    """A member of another team offers to take a help request's visits."""

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    request = models.ForeignKey(HelpRequest, on_delete=models.PROTECT, related_name="offers")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="help_offers")
    note = models.CharField(max_length=300, blank=True)
    reason = models.CharField(max_length=300, blank=True, help_text="Why it was declined.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "person"],
                condition=Q(status="offered"),
                name="one_open_help_offer_per_person",
            ),
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="accepted"),
                name="one_accepted_help_offer",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", answered_at__isnull=True)
                | (~Q(status="offered") & Q(answered_at__isnull=False)),
                name="help_offer_answered_once_closed",
            ),
        ]

    def __str__(self) -> str:
        return f"Help offer {self.pk} by {self.person_id} on request {self.request_id}"


from coordination.notifications.models import Notification, NotificationPreference  # noqa: E402,F401
from coordination.practice.models import (  # noqa: E402,F401
    Answer,
    Comment,
    FeedItem,
    Follow,
    Note,
    NoteVersion,
    Pointer,
    Tag,
    Useful,
)
