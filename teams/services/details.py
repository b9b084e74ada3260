"""A team's contact details and patch: any member changes them, no decision needed."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction

from coordination.events import Event, publish
from teams import access
from teams.cleaning import Errors, clean_text, limit_of, raise_errors
from teams.models import Person, Team
from teams.services.common import audit
from teams.versioning import check_version, lock, save_new_version

TEAM_DETAIL_FIELDS = ("phone", "email", "patch", "postcodes")


def team_state(team: Team) -> dict[str, Any]:
    return {"id": team.pk, "version": team.version} | {
        field: getattr(team, field) for field in TEAM_DETAIL_FIELDS
    }


def team_update_details(*, actor: Person, team: Team, version: int, **changes: Any) -> Team:
    """Change a team's contact details and patch. Any member may; no decision needed."""
    unknown = set(changes) - set(TEAM_DETAIL_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be changed here."))
    errors: Errors = {}
    changes = {
        name: clean_text(errors, name, value, limit=limit_of(Team, name))
        for name, value in changes.items()
    }
    if changes.get("email") and "email" not in errors:
        try:
            validate_email(changes["email"])
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    raise_errors(errors)

    with transaction.atomic():
        locked = lock(team)
        if not access.can_edit_team_details(actor, locked):
            raise PermissionDenied("Only members of this team can change its details.")
        check_version(locked, version, team_state, what="the team's details", plural=True)
        changed = {k: v for k, v in changes.items() if getattr(locked, k) != v}
        if not changed:
            return locked
        save_new_version(locked, **changed)
        audit(actor=actor, action="team.details_changed", target=locked, data=changed)
        publish(
            Event(
                "team.details_changed",
                {"team": locked.pk, "version": locked.version, "changed": changed},
                actor=actor.pk,
            ),
            streams=[locked.stream],
        )
    return locked
