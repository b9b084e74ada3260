"""How long a signed-in session lasts: ``SESSION_IDLE_HOURS`` without a request, and
``SESSION_MAX_DAYS`` after signing in, whichever comes first.

A session carries two stamps (seconds since the epoch): when its person signed in and
when it was last used. ``config.sessions.SessionDeadlineMiddleware`` ends a session
past either deadline (and notes its use); ``session_valid_until(session)`` tells
anyone holding a session (the live socket) until when it stands.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import timezone

SIGNED_IN = "kith_signed_in"
LAST_SEEN = "kith_last_seen"
# The last use is written when it is older than this, so an active page does not
# save its session on every request; idle time is measured to within this.
SEEN_EVERY = datetime.timedelta(minutes=1)

IDLE = "idle"
TOO_OLD = "too old"


def idle_limit() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.SESSION_IDLE_HOURS)


def age_limit() -> datetime.timedelta:
    return datetime.timedelta(days=settings.SESSION_MAX_DAYS)


def _moment(value) -> datetime.datetime | None:
    if not isinstance(value, int | float):
        return None
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)


def _deadlines(session) -> tuple[datetime.datetime, datetime.datetime] | None:
    signed_in = _moment(session.get(SIGNED_IN))
    if signed_in is None or session.get(SESSION_KEY) is None:
        return None
    last_seen = _moment(session.get(LAST_SEEN)) or signed_in
    return last_seen + idle_limit(), signed_in + age_limit()


def session_valid_until(session) -> datetime.datetime | None:
    """The moment ``session`` ends unless it is used again before: the earlier of its
    idle and absolute deadlines. None for a session without a signed-in person, or
    one not stamped yet (the next request stamps it)."""
    deadlines = _deadlines(session)
    return None if deadlines is None else min(deadlines)


def session_ended(session, now: datetime.datetime | None = None) -> str | None:
    """Why ``session`` has ended by ``now`` (``IDLE`` or ``TOO_OLD``), or None."""
    deadlines = _deadlines(session)
    if deadlines is None:
        return None
    now = now or timezone.now()
    idle_until, age_until = deadlines
    if age_until <= now:
        return TOO_OLD
    if idle_until <= now:
        return IDLE
    return None


def stamp_sign_in(session, now: datetime.datetime | None = None) -> None:
    moment = (now or timezone.now()).timestamp()
    session[SIGNED_IN] = moment
    session[LAST_SEEN] = moment


def note_use(session, now: datetime.datetime | None = None) -> None:
    """Record that the session was used now (at most once per ``SEEN_EVERY``). A
    signed-in session without stamps (made before they existed) starts its clocks."""
    now = now or timezone.now()
    if _moment(session.get(SIGNED_IN)) is None:
        stamp_sign_in(session, now)
        return
    last_seen = _moment(session.get(LAST_SEEN))
    if last_seen is None or now - last_seen >= SEEN_EVERY:
        session[LAST_SEEN] = now.timestamp()


def on_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: every door that signs a person in (the sign-in
    page, the admin, a test's force_login) starts the session's clocks afresh."""
    session = getattr(request, "session", None)
    if session is not None:
        stamp_sign_in(session)
