"""Input no database can store is bad input, answered 400, never a 500.

Two kinds reach the database unless stopped where they come in:

- A number past a key's range. The checks where numbers arrive (``teams.numbers``)
  name the field first. Whatever slips past fails in the database: SQLite's driver
  refuses to bind an integer past 64 bits (``OverflowError``), PostgreSQL to store
  one past its column (SQLSTATE 22003), and date arithmetic overflows too.
- A NUL character in text. SQLite would keep it and PostgreSQL refuses it, so it is
  refused on both, before any view runs: a form field or query parameter holding one
  is a 400 naming it (the API's JSON fields are refused by DRF's own check). One
  that still reaches PostgreSQL (a JSON value no serializer typed) fails there.

What fails in the database is answered 400, in the API's error shape or as a page,
and logged, so that the check it slipped past can be added; the transaction it was
in is rolled back.

Bodies are bounded where they are first read: a body larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB, Django's default) is answered 413, one with
more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS`` fields 400, here for forms and in
``config.api`` for what the API's parsers read; JSON nested too deeply is refused by
the API's parser (``config.parsers``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DataError
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

logger = logging.getLogger("kith.requests")

OUT_OF_RANGE = "A number in the request is out of range, so nothing was changed."
TOO_LARGE = "The request body is too large (at most {limit:,} bytes): nothing was changed."
TOO_MANY_FIELDS = "The request has too many fields or files: nothing was changed."
UNREADABLE_FORM = "The form in the request could not be read: nothing was changed."
NUL = "Text in the request holds a NUL character, which cannot be stored: nothing was changed."
NUL_FIELD = "Holds a NUL character, which cannot be stored."
NUMERIC_VALUE_OUT_OF_RANGE = "22003"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def unstorable(exc: BaseException) -> str | None:
    """The message for a failure caused by input no database stores; else None."""
    if isinstance(exc, OverflowError):
        return OUT_OF_RANGE
    if not isinstance(exc, DataError):
        return None
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == NUMERIC_VALUE_OUT_OF_RANGE:
        return OUT_OF_RANGE
    if "NUL (0x00)" in str(cause):  # psycopg refuses to send it: no SQLSTATE
        return NUL
    return None


def too_large() -> str:
    return TOO_LARGE.format(limit=settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0)


def log(request, exc: BaseException) -> None:
    logger.warning("unstorable input in %s %s: %s", request.method, request.path, exc)


def _with_nul(request) -> list[str]:
    """The names of the query parameters and form fields holding a NUL character."""
    found = [key for key, values in request.GET.lists() if _has_nul(key, values)]
    if request.method == "POST" and request.content_type in FORMS:
        found += [key for key, values in request.POST.lists() if _has_nul(key, values)]
    return found


def _has_nul(key: str, values: list[str]) -> bool:
    return "\x00" in key or any("\x00" in value for value in values)


def _refuse(request, message: str, fields: dict | None = None, status: int = 400):
    if request.path.startswith("/api/"):
        extra = {"fields": fields} if fields else {}
        return JsonResponse({"message": message, "extra": extra}, status=status)
    return render(request, "400.html", {"message": message}, status=status)


class BadInputMiddleware:
    """Refuses NUL characters in query and form input; answers an unstorable value
    that reached the database with a 400."""

    sync_capable = True
    async_capable = False  # as the idempotency middleware before it

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Reading a form here is its first parse: a body past the upload limits, or
        # one that is not the form it says, is answered in the caller's shape (the
        # API's error shape, or a page), as a view would answer it.
        try:
            fields = _with_nul(request)
        except RequestDataTooBig:
            return _refuse(request, too_large(), status=413)
        except (TooManyFieldsSent, TooManyFilesSent):
            return _refuse(request, TOO_MANY_FIELDS)
        except MultiPartParserError:
            return _refuse(request, UNREADABLE_FORM)
        if fields:
            return _refuse(request, NUL, {name.replace("\x00", ""): [NUL_FIELD] for name in fields})
        return self.get_response(request)

    def process_exception(self, request, exception):
        message = unstorable(exception)
        if message is None:
            return None
        log(request, exception)
        return _refuse(request, message)
