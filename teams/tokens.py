"""API tokens: how one is made, and who a token sent with a request stands for.

A token is ``kith_`` and 43 URL-safe characters (256 random bits). Kith keeps only
its SHA-256 digest (``teams.models.ApiToken``) and its first characters, the prefix a
person tells their tokens apart by. Writes (make, revoke) are services
(``teams.services.credentials``); this module reads, and notes when a token was last
used.

``token_person(raw)`` is the one way a request, a socket or anything else turns a
token into a person; ``active_token(token)`` re-checks a token found earlier (a socket
asks it when told that the person's access changed).
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.utils import timezone

from teams.models import ApiToken, Person

SCHEME = "kith_"
PREFIX_LENGTH = len(SCHEME) + 6
# last_used is written when it is older than this, not on every request: a token
# sending a request a second would otherwise write a row a second.
LAST_USED_EVERY = datetime.timedelta(minutes=5)


def new_raw_token() -> str:
    return SCHEME + secrets.token_urlsafe(32)


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def prefix(raw: str) -> str:
    return raw[:PREFIX_LENGTH]


def token_person(raw: str) -> tuple[Person, ApiToken] | None:
    """The active person and the token ``raw`` stands for, or None when it stands for
    nothing (unknown, revoked, expired, or its person deactivated)."""
    if not raw or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("person")
        .filter(digest=digest(raw), revoked__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or token.expires <= now or not token.person.is_active:
        return None
    if token.last_used is None or token.last_used <= now - LAST_USED_EVERY:
        # Bookkeeping, not a change of the token: no audit row, no event.
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now
    return token.person, token


def active_token(token: ApiToken | int) -> ApiToken | None:
    """A token found earlier, read afresh with its person, if it still lets them in
    (a live socket asks this when it checks its access again)."""
    token_id = token if isinstance(token, int) else token.pk
    return (
        ApiToken.objects.select_related("person")
        .filter(pk=token_id, revoked__isnull=True, expires__gt=timezone.now())
        .filter(person__is_active=True)
        .first()
    )
