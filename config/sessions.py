"""Ends signed-in sessions at their deadlines (``teams.sessions``): after
``SESSION_IDLE_HOURS`` without a request, and ``SESSION_MAX_DAYS`` after signing in.

A page request on an ended session is sent to the sign-in page, which says why; an
htmx request is told to go there (HX-Redirect); an API request goes on as anonymous
and gets the API's own 401/403. The sign-out is Django's ``logout()``, so the
person's open sockets hear of it (``user_logged_out``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone

from teams import sessions

API_PREFIX = "/api/"
REFRESH_HEADER = "X-Kith-Refresh"


class SessionDeadlineMiddleware:
    """Place right after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # Only a signed-in session has deadlines; an anonymous one costs no lookup.
        if session is not None and session.get(SESSION_KEY) is not None:
            now = timezone.now()
            ended = sessions.session_ended(session, now)
            if ended is not None:
                auth.logout(request)
                if not request.path_info.startswith(API_PREFIX):
                    return self._to_sign_in(request, ended)
            elif not request.headers.get(REFRESH_HEADER):
                # A live section refreshing itself because an event arrived is not
                # someone using the page (live.js marks those requests): a board left
                # open on a shared screen still ends when idle.
                sessions.note_use(session, now)
        return self.get_response(request)

    @staticmethod
    def _to_sign_in(request, ended: str) -> HttpResponse:
        query = {"ended": "idle" if ended == sessions.IDLE else "age"}
        if request.method == "GET" and not request.headers.get("HX-Request"):
            query["next"] = request.get_full_path()
        url = f"{resolve_url('login')}?{urlencode(query)}"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
