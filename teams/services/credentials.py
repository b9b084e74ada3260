"""Every write to a person's credentials: API tokens made and revoked, every session
ended at once, and what a password change or a deactivation ends.

Whenever a credential of a person ends, their open sockets are told
(``notify_access_changed``): each re-checks its own session or token then.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from coordination.events import notify_access_changed
from teams import access, tokens
from teams.cleaning import limit_of, raise_errors, too_long
from teams.models import ApiToken, Person
from teams.services.common import audit

DEFAULT_NAME = "API token"

REVOKED = "revoked"
PASSWORD_CHANGED = "password changed"
DEACTIVATED = "deactivated"
SIGNED_OUT_EVERYWHERE = "signed out everywhere"


def token_lifetime_days() -> int:
    return settings.API_TOKEN_DAYS


def token_create(
    *, actor: Person, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for ``actor`` (who has just proven who they are): the row, and the
    token itself, which is never readable again."""
    if not actor.is_active:
        raise PermissionDenied("This account is deactivated.")
    name = " ".join((name or "").split()) or DEFAULT_NAME
    errors: dict[str, list[str]] = {}
    if len(name) > limit_of(ApiToken, "name"):
        errors["name"] = [too_long(limit_of(ApiToken, "name"), len(name))]
    most = token_lifetime_days()
    days = most if expires_in_days is None else expires_in_days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= most:
        errors["expires_in_days"] = [f"A whole number of days from 1 to {most}."]
    raise_errors(errors)
    raw = tokens.new_raw_token()
    now = timezone.now()
    with transaction.atomic():
        token = ApiToken.objects.create(
            person=actor,
            name=name,
            prefix=tokens.prefix(raw),
            digest=tokens.digest(raw),
            created=now,
            expires=now + datetime.timedelta(days=days),
        )
        audit(
            actor=actor,
            action="token.created",
            target=token,
            data={"name": name, "prefix": token.prefix, "expires": token.expires.isoformat()},
        )
    return token, raw


def token_revoke(*, actor: Person, token: ApiToken) -> ApiToken:
    """Revoke one of the actor's own tokens (revoking a revoked token changes nothing)."""
    if not access.may_manage_token(actor, token):
        raise PermissionDenied("You may revoke only your own tokens.")
    with transaction.atomic():
        changed = ApiToken.objects.filter(pk=token.pk, revoked__isnull=True).update(
            revoked=timezone.now(), revoked_reason=REVOKED
        )
        token.refresh_from_db(fields=["revoked", "revoked_reason"])
        if changed:
            audit(actor=actor, action="token.revoked", target=token, data={"name": token.name})
            notify_access_changed(token.person_id)
    return token


def _revoke_all(person: Person, reason: str) -> int:
    return ApiToken.objects.filter(person=person, revoked__isnull=True).update(
        revoked=timezone.now(), revoked_reason=reason
    )


def _next_session_generation(person: Person) -> None:
    Person.objects.filter(pk=person.pk).update(session_generation=F("session_generation") + 1)
    person.session_generation = (
        Person.objects.filter(pk=person.pk).values_list("session_generation", flat=True).get()
    )


def person_sign_out_everywhere(*, actor: Person) -> int:
    """End every session of the actor (this one too) and revoke every token of theirs;
    returns how many tokens were revoked. The session generation is part of every
    session's auth hash, so Django's own check refuses them all from now on."""
    with transaction.atomic():
        _next_session_generation(actor)
        revoked = _revoke_all(actor, SIGNED_OUT_EVERYWHERE)
        audit(
            actor=actor,
            action="person.signed_out_everywhere",
            target=actor,
            data={"tokens": revoked},
        )
        notify_access_changed(actor.pk)
    return revoked


def credentials_ended(*, person: Person, reason: str) -> int:
    """Called by ``Person.save`` when the password changed or the person was
    deactivated, in the same transaction: revoke every token, and end the other
    sessions (Django's session hash does on a password change; the next session
    generation on a deactivation). Returns how many tokens were revoked."""
    if reason == DEACTIVATED:
        # Every session of theirs ends for good, even if they are reactivated later
        # (while deactivated, Django refuses them anyway).
        _next_session_generation(person)
    revoked = _revoke_all(person, reason)
    action = "person.deactivated" if reason == DEACTIVATED else "person.password_changed"
    audit(actor=None, action=action, target=person, data={"tokens_revoked": revoked})
    notify_access_changed(person.pk)
    return revoked


def signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_out`` receiver: the page's session ended (sign out, or a session
    past its deadline); the person's open sockets re-check theirs.

    Django sends the signal before it deletes the session, and a socket rung at once
    (in another process, in a millisecond) would find the session still there and
    stay open: so the session is ended here first (Django's own flush after this
    finds nothing left to delete), then the sockets are rung."""
    if user is None or getattr(user, "pk", None) is None:
        return
    session = getattr(request, "session", None)
    if session is not None:
        session.flush()
    notify_access_changed(user.pk)
