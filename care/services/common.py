"""Pieces the care services share: the care-team check, field cleaning, streams, the
audit row with its event."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied

from care import access
from care.models import Client
from coordination.events import Event, publish
from teams.cleaning import Errors as Errors  # re-exported: the care services import it here
from teams.cleaning import add_error
from teams.models import Person
from teams.services.common import audit

# Phones' clocks drift: a time a little ahead of the server's is not "the future".
CLOCK_SKEW = datetime.timedelta(minutes=5)


def require_care_team(actor: Person, client: Client, doing: str) -> None:
    if not access.can_keep_record(actor, client):
        raise PermissionDenied(f"Only the client's care team can {doing}.")


def client_streams(client: Client, scope: str) -> list[str]:
    """The team's stream and the client's own stream of one scope of their record."""
    return [client.team.stream, client.stream(scope)]  # kinds "team" and "client.<scope>"


def record(
    actor: Person | None, kind: str, target: Any, data: dict[str, Any], streams: list[str]
) -> None:
    """Audit one change and publish its event, both with the same data."""
    audit(actor=actor, action=kind, target=target, data=data)
    publish(Event(kind, data, actor=actor.pk if actor else None), streams=streams)


def clean_moment(
    errors: Errors, name: str, value: object, *, required: bool = True
) -> datetime.datetime | None:
    """A timezone-aware datetime, or None (with the problem noted) when it is not one."""
    if value is None:
        if required:
            add_error(errors, name, "Required.")
        return None
    if not isinstance(value, datetime.datetime):
        add_error(errors, name, "A date and time.")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        add_error(errors, name, "Give the time zone with the time.")
        return None
    return value


def clean_date(
    errors: Errors, name: str, value: object, *, required: bool = True
) -> datetime.date | None:
    if value is None:
        if required:
            add_error(errors, name, "Required.")
        return None
    # A datetime is a date too; a day is meant here, so say so rather than truncate.
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        add_error(errors, name, "A date (a day, without a time).")
        return None
    return value


def clean_int(
    errors: Errors, name: str, value: object, *, low: int, high: int, unit: str
) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        add_error(errors, name, f"A whole number of {unit}.")
        return None
    if not low <= value <= high:
        add_error(errors, name, f"From {low} to {high} {unit}.")
        return None
    return value
