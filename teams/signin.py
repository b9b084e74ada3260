"""Checking a username and password outside Django's sign-in pages (the API's token
endpoint), with the same lockout as the pages.

Django's ``authenticate`` runs the lockout backend (django-axes) first: a locked-out
account or address is refused before any password is hashed, and a failure is
counted. The pages sign in through ``login()``, whose success resets the counts; a
door that makes no session resets them here.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from axes.utils import reset as reset_failures
from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest

from teams.models import Person


def check_password(request: HttpRequest, username: str, password: str) -> Person | None:
    """The active person with this username and password, or None (wrong, unknown,
    deactivated, or locked out: then ``request.axes_locked_out`` is set, and the
    lockout middleware answers instead of the view)."""
    person = authenticate(request, username=username, password=password)
    if person is not None:
        reset_failures(ip=get_client_ip_address(request), username=username)
    return person


def lockout_allows(request: HttpRequest, username: str) -> bool:
    """Whether the lockout lets ``username`` try the second step of signing in (a code)
    from this request's address. When it does not, the lockout middleware answers
    instead of the view, as for a password."""
    credentials = {"username": username}
    if AxesProxyHandler.is_allowed(request, credentials):
        return True
    request.axes_locked_out = True  # type: ignore[attr-defined]
    request.axes_credentials = credentials  # type: ignore[attr-defined]
    return False


def count_failure(request: HttpRequest, username: str) -> None:
    """A wrong second step counts towards the lockout as a wrong password does (the
    lockout, the failed sign-in metric: every receiver of the signal)."""
    user_login_failed.send(sender=__name__, credentials={"username": username}, request=request)


def forget_failures(request: HttpRequest, username: str) -> None:
    """The username's count starts afresh (a password reset: the way back in)."""
    reset_failures(username=username)
