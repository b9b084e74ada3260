"""Every write of notifications: making them (from events), marking them read, and the
person's preferences.

``notify`` is called by the rules (``rules.py``) inside the transaction of the write
that caused the event: it skips the actor, people no longer active and kinds the
recipient muted, never makes a second notification for the same event or the same
news (both are unique per person), and rings the recipient's stream,
``person.<id>``, with ``notification.created`` unless it is their quiet hours (then
the notification waits silently for their next page load). ``settle``, called by the
rules too, marks done (and read) the notifications whose matter is over, and rings
their owners' streams with ``notification.read`` so the count falls on open pages.

The rest are the person's own writes: keyword-only, the actor first, one
transaction, checked through ``access.py``, audited, one event on their stream per
change (``notification.read``), so their other open pages update the count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from coordination.events import Event, EventRecord, publish
from coordination.events.streams import person_stream
from coordination.notifications import access
from coordination.notifications.models import Notification, NotificationPreference
from coordination.notifications.quiet import in_quiet_hours
from coordination.notifications.selectors import preference_state
from teams.cleaning import raise_errors
from teams.models import Person
from teams.services.common import audit
from teams.versioning import check_version, lock, save_new_version

CREATED = "notification.created"
READ = "notification.read"
TEXT_LIMIT = Notification._meta.get_field("text").max_length
UNSET = object()


@dataclass(frozen=True)
class Draft:
    """A notification to make: for whom, what kind, what it says, where it leads, and
    what it is about (the same ``subject`` never notifies one person twice). Where it
    leads is a ``target`` (``targets``), which the pages resolve to an address."""

    person_id: int
    kind: str
    text: str
    target: dict[str, Any]
    subject: str


def _unread(person_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        Notification.objects.filter(person_id__in=person_ids, read_at__isnull=True)
        .values("person_id")
        .annotate(n=Count("id"))
    )
    return {row["person_id"]: row["n"] for row in rows}


def _ring(person_id: int, kind: str, data: dict[str, Any], actor: Person | None = None) -> None:
    publish(
        Event(kind, data, actor=actor.pk if actor else None), streams=[person_stream(person_id)]
    )


def notify(*, actor_id: int | None, drafts: list[Draft], source: EventRecord) -> list[Notification]:
    """Make the drafts' notifications for the event ``source`` (one record of it)."""
    wanted = {d.person_id: d for d in drafts if d.person_id != actor_id}
    if not wanted:
        return []
    with transaction.atomic():
        people = {
            p.pk: p
            for p in Person.objects.filter(pk__in=wanted, is_active=True).select_related(
                "notification_preference"
            )
        }
        preferences = {pk: _preference_or_default(p) for pk, p in people.items()}
        subjects = {d.subject for d in wanted.values()}
        # The same event (replayed) or the same news (published again) notified already.
        already: set[tuple[int, str]] = set()
        replayed: set[int] = set()
        for person_id, subject, stream, seq in Notification.objects.filter(
            Q(subject__in=subjects) | Q(source_stream=source.stream, source_seq=source.seq),
            person_id__in=people,
        ).values_list("person_id", "subject", "source_stream", "source_seq"):
            already.add((person_id, subject))
            if (stream, seq) == (source.stream, source.seq):
                replayed.add(person_id)
        now = timezone.now()
        fresh = [
            Notification(
                person_id=d.person_id,
                kind=d.kind,
                text=d.text[:TEXT_LIMIT],
                target=d.target,
                subject=d.subject,
                created=now,
                source_stream=source.stream,
                source_seq=source.seq,
            )
            for d in wanted.values()
            if d.person_id in people
            and access.may_be_notified(people[d.person_id])
            and d.kind not in preferences[d.person_id].muted
            and (d.person_id, d.subject) not in already
            and d.person_id not in replayed
        ]
        if not fresh:
            return []
        created = Notification.objects.bulk_create(fresh)
        unread = _unread([n.person_id for n in created])
        for notification in created:
            preference = preferences[notification.person_id]
            if in_quiet_hours(preference.quiet_start, preference.quiet_end, now):
                continue  # kept silently: the bell shows it on their next page
            _ring(
                notification.person_id,
                CREATED,
                {"notification": notification.pk, "unread": unread.get(notification.person_id, 0)},
            )
    return created


@dataclass(frozen=True)
class Settled:
    """Notifications that are done: those about ``subject`` (or every subject that
    starts with it, with ``prefix``), of ``person_ids`` or of everyone, and ``why``."""

    subject: str
    why: str
    person_ids: tuple[int, ...] | None = None
    prefix: bool = False


def settle(*, settled: list[Settled]) -> int:
    """Mark done, and read, the notifications ``settled`` names that are not done yet;
    ring each person whose unread count fell. How many were marked."""
    now = timezone.now()
    marked, fell = 0, dict[int, list[int]]()
    with transaction.atomic():
        for done in settled:
            lookup = "subject__startswith" if done.prefix else "subject"
            rows = Notification.objects.filter(done_at__isnull=True, **{lookup: done.subject})
            if done.person_ids is not None:
                rows = rows.filter(person_id__in=done.person_ids)
            found = list(rows.select_for_update().values_list("pk", "person_id", "read_at"))
            ids = [pk for pk, _, _ in found]
            marked += Notification.objects.filter(pk__in=ids).update(done_at=now, done_why=done.why)
            Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
            for pk, person_id, read_at in found:
                if read_at is None:
                    fell.setdefault(person_id, []).append(pk)
        unread = _unread(fell)
        for person_id, ids in fell.items():
            _ring(person_id, READ, {"notifications": ids, "unread": unread.get(person_id, 0)})
    return marked


def _preference_or_default(person: Person) -> NotificationPreference:
    try:
        return person.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(person=person)


# --- the person's own writes ------------------------------------------------------------


def notification_read(*, actor: Person, notification: Notification) -> Notification:
    """Mark one of my notifications read (already read: nothing changes)."""
    if not access.owns(actor, notification):
        raise PermissionDenied("Only the person it was for can mark it read.")
    with transaction.atomic():
        now = timezone.now()
        # The condition makes a double click (or two tabs) change it once.
        changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=now
        )
        notification.refresh_from_db(fields=["read_at"])
        if changed:
            audit(actor=actor, action=READ, target=notification)
            unread = _unread([actor.pk]).get(actor.pk, 0)
            _ring(actor.pk, READ, {"notifications": [notification.pk], "unread": unread}, actor)
    return notification


def notifications_read_all(*, actor: Person) -> int:
    """Mark all my unread notifications read; how many were."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to read your notifications.")
    with transaction.atomic():
        now = timezone.now()
        ids = list(
            Notification.objects.select_for_update()
            .filter(person=actor, read_at__isnull=True)
            .values_list("pk", flat=True)
        )
        changed = Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(read_at=now)
        if changed:
            audit(actor=actor, action="notification.read_all", target=actor, data={"read": changed})
            _ring(actor.pk, READ, {"notifications": ids, "unread": 0}, actor)
    return changed


# --- preferences ------------------------------------------------------------------------


def _clean_muted(errors: dict[str, list[str]], value: object) -> list[str]:
    known = Notification.Kind.values
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["muted"] = [f"A list of kinds: {', '.join(known)}."]
        return []
    unknown = [v for v in value if v not in known]
    if unknown:
        errors["muted"] = [
            f"Unknown kind{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
            f" Choose from {', '.join(known)}."
        ]
        return []
    return [k for k in known if k in value]  # in a fixed order, once each


def _clean_time(errors: dict[str, list[str]], name: str, value: object) -> datetime.time | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0, tzinfo=None)
    if isinstance(value, str):
        try:
            return datetime.time.fromisoformat(value.strip()).replace(second=0, microsecond=0)
        except ValueError:
            pass
    errors[name] = ["A time of day like 22:00, or empty."]
    return None


def preference_update(
    *,
    actor: Person,
    version: int | None = None,
    muted: object = UNSET,
    digest: object = UNSET,
    quiet_start: object = UNSET,
    quiet_end: object = UNSET,
) -> NotificationPreference:
    """Change my notification preferences; what is not given stays as it is.

    ``muted``: kinds I do not want notifications of. ``digest``: a daily email of what
    is unread. ``quiet_start`` / ``quiet_end``: both or neither ("22:00", "07:00";
    they may wrap midnight). ``version``, when given, must be the one I saw.
    """
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to change your notification preferences.")
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if muted is not UNSET:
        changes["muted"] = _clean_muted(errors, muted)
    if digest is not UNSET:
        if not isinstance(digest, bool):
            errors["digest"] = ["Must be true or false."]
        changes["digest"] = digest
    for name, value in (("quiet_start", quiet_start), ("quiet_end", quiet_end)):
        if value is not UNSET:
            changes[name] = _clean_time(errors, name, value)
    with transaction.atomic():
        preference = lock(NotificationPreference.objects.get_or_create(person=actor)[0])
        check_version(
            preference,
            version,
            preference_state,
            what="your preferences",
            plural=True,
            required=False,
        )
        start = changes.get("quiet_start", preference.quiet_start)
        end = changes.get("quiet_end", preference.quiet_end)
        if "quiet_start" not in errors and "quiet_end" not in errors:
            if (start is None) != (end is None):
                missing = "quiet_end" if end is None else "quiet_start"
                errors[missing] = ["Set both ends of the quiet hours, or leave both empty."]
            elif start is not None and start == end:
                errors["quiet_end"] = ["Must differ from the start of the quiet hours."]
        raise_errors(errors)
        if all(getattr(preference, name) == value for name, value in changes.items()):
            return preference  # nothing changes: no new version, nothing to audit
        save_new_version(preference, **changes)
        audit(
            actor=actor,
            action="notification.preferences_changed",
            target=preference,
            data=preference_state(preference),
        )
    return preference


def digest_sent(*, person: Person, at: datetime.datetime) -> None:
    """Remember when the person's daily digest went (the digest's own bookkeeping)."""
    with transaction.atomic():
        NotificationPreference.objects.update_or_create(
            person=person, defaults={"last_digest_at": at}
        )
