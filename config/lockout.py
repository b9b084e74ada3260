"""Sign-in lockout: the count of failures (django-axes, with a limit per kind of
count) and the answer to a sign-in refused for too many failures.

A username and an address each have a limit of their own: a username is paused after
``KITH_LOGIN_FAILURE_LIMIT`` failures in a row (5), an address after
``KITH_LOGIN_ADDRESS_FAILURE_LIMIT`` (30). A care office signs in from one address
behind its router: with one limit for both, one colleague mistyping five times would
pause everyone in the office. axes compares every count with one limit, so
``LockoutHandler`` scales each count to that limit before axes compares.

Every door answers in its own way with the same words: the API (the token endpoint)
with 429 in the API's error shape, saying when to try again; a page (the sign-in page,
the admin's) with the sign-in page and the message, also 429. Both carry Retry-After.
A locked-out sign-in is refused before the password is checked, so a correct password
waits too.
"""

from __future__ import annotations

import datetime

from axes.handlers.cache import AxesCacheHandler
from axes.helpers import get_client_cache_keys, get_client_username
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

API_PREFIX = "/api/"
TEMPLATE = "registration/login.html"


def limits() -> list[int]:
    """Each count's own limit, in the order of ``AXES_LOCKOUT_PARAMETERS``."""
    own = {"username": settings.LOGIN_FAILURE_LIMIT, "ip_address": settings.LOGIN_ADDRESS_LIMIT}
    return [own[parameter] for parameter in settings.AXES_LOCKOUT_PARAMETERS]


class LockoutHandler(AxesCacheHandler):
    """axes' cache handler, each count held against its own limit: a count is scaled
    to ``AXES_FAILURE_LIMIT`` (the largest of the limits), so it reaches that limit
    exactly when it reaches its own."""

    def get_failures(self, request, credentials=None) -> int:
        keys = get_client_cache_keys(request, credentials)
        scale = settings.AXES_FAILURE_LIMIT
        return max(
            self.cache.get(key, default=0) * scale // own
            for key, own in zip(keys, limits(), strict=True)
        )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        # axes counts this failure and compares the counts as they are; a username's
        # count reaches its own limit before the largest, so look again, scaled.
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if self.get_failures(request, credentials) >= settings.AXES_FAILURE_LIMIT:
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )


def message(retry_at: datetime.datetime) -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return (
        f"Too many failed sign-ins for this username or from this address: signing in"
        f" is paused for {minutes} minutes. Try again after"
        f" {timezone.localtime(retry_at):%H:%M}. If you have forgotten your password,"
        f" reset it from the sign-in page (“Forgot your password?”)."
    )


def locked_out(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    # Attempts during a lockout do not extend it (AXES_RESET_COOL_OFF_ON_FAILURE_
    # DURING_LOCKOUT is off): it ends at most one lockout period from now.
    wait = datetime.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    retry_at = timezone.now() + wait
    text = message(retry_at)
    retry_after = str(int(wait.total_seconds()))
    if request.path.startswith(API_PREFIX):
        body = {
            "message": text,
            "extra": {"retry_at": retry_at.isoformat(), "retry_after": int(retry_after)},
        }
        response: HttpResponse = JsonResponse(body, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": request.POST.get("username", "")})
        context = {"form": form, "locked": text, "next": request.POST.get("next", "")}
        response = render(request, TEMPLATE, context, status=429)
    response["Retry-After"] = retry_after
    return response
