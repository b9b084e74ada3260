"""The answer to a sign-in refused for too many failures (django-axes calls it).

Every door answers in its own way with the same words: the API (the token endpoint)
with 429 in the API's error shape, saying when to try again; a page (the sign-in page,
the admin's) with the sign-in page and the message, also 429. Both carry Retry-After.
A locked-out sign-in is refused before the password is checked, so a correct password
waits too.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

API_PREFIX = "/api/"
TEMPLATE = "registration/login.html"


def message(retry_at: datetime.datetime) -> str:
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    return (
        f"Too many failed sign-ins for this username or from this address: signing in"
        f" is paused for {minutes} minutes. Try again after"
        f" {timezone.localtime(retry_at):%H:%M}. If you have forgotten your password,"
        f" ask your service's operator."
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
