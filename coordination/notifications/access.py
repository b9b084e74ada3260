"""Who may see and change which notifications: each person their own, nobody else's."""

from __future__ import annotations

from coordination.notifications.models import Notification
from teams.models import Person


def may_be_notified(person: Person) -> bool:
    return bool(person.is_active)


def owns(person: Person, notification: Notification) -> bool:
    """A notification is its recipient's alone (not even a teammate reads it)."""
    return bool(getattr(person, "is_authenticated", False)) and (
        notification.person_id == person.pk
    )
