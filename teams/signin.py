"""Checking a username and password outside Django's sign-in pages (the API's token
endpoint), with the same lockout as the pages.

Django's ``authenticate`` runs the lockout backend (django-axes) first: a locked-out
account or address is refused before any password is hashed, and a failure is
counted. The pages sign in through ``login()``, whose success resets the counts; a
door that makes no session resets them here.
"""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from axes.utils import reset as reset_failures
from django.contrib.auth import authenticate
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
