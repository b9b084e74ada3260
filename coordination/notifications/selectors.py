"""Reads of notifications, always the reader's own, in a constant number of queries."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from coordination import cursors
from coordination.events import Stream
from coordination.events.streams import person_stream
from coordination.notifications import targets
from coordination.notifications.models import Notification, NotificationPreference
from teams.models import Person

PAGE_SIZE = 50
BAD_CURSOR = "Not a cursor this list gave out: start again without one."


def notifications_of(
    person: Person, *, cursor: str | None = None, limit: int = PAGE_SIZE
) -> cursors.Page:
    """The person's notifications, newest first, ``limit`` at a time (keyset pages)."""
    rows = Notification.objects.filter(person=person)
    page = cursors.newest_first(rows, cursor, limit, bad=BAD_CURSOR)
    targets.resolve(page.items)  # their links, in one go
    return page


def notification_of(person: Person, pk: int) -> Notification | None:
    """One of the person's own notifications; someone else's is None, like a missing one."""
    return Notification.objects.filter(person=person, pk=pk).first()


def unread_count(person: Person) -> int:
    return Notification.objects.filter(person=person, read_at__isnull=True).count()


def bell(person: Person) -> dict[str, Any]:
    """The unread count and the person's stream head, in one query (one snapshot): the
    header's bell shows the count and its socket resumes from the head."""
    stream = person_stream(person.pk)
    unread = (
        Notification.objects.filter(person=OuterRef("pk"), read_at__isnull=True)
        .order_by()
        .values("person")
        .annotate(n=Count("id"))
        .values("n")
    )
    head = Stream.objects.filter(name=stream).values("last_seq")
    row = (
        Person.objects.filter(pk=person.pk)
        .annotate(
            unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
            head=Coalesce(Subquery(head), Value(0)),
        )
        .values("unread", "head")
        .first()
    ) or {"unread": 0, "head": 0}
    return {"unread": row["unread"], "stream": stream, "live": {"streams": {stream: row["head"]}}}


def preference_of(person: Person) -> NotificationPreference:
    """The person's preferences; the defaults (unsaved) when they never changed them."""
    found = NotificationPreference.objects.filter(person=person).first()
    return found if found is not None else NotificationPreference(person=person)


def preference_state(preference: NotificationPreference) -> dict[str, Any]:
    """What a client needs to redraw the preferences (also the 409 body)."""

    def clock(value: datetime.time | None) -> str | None:
        return value.strftime("%H:%M") if value is not None else None

    return {
        "muted": list(preference.muted),
        "digest": preference.digest,
        "quiet_start": clock(preference.quiet_start),
        "quiet_end": clock(preference.quiet_end),
        "version": preference.version,
    }
