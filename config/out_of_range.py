"""A number too large for the database is bad input, not a server error.

The checks where numbers come in (``teams.numbers``) catch these first and name the
field. Anything they miss would reach the database and fail there: SQLite's driver
refuses to bind an integer past 64 bits (``OverflowError``), PostgreSQL refuses to
store one past the column (SQLSTATE 22003), and date arithmetic overflows too. Such a
request is answered 400, in the API's error shape or as a page, and logged, so that
the check it slipped past can be added; the transaction it was in is rolled back.
"""

from __future__ import annotations

import logging

from django.db import DataError
from django.shortcuts import render
from django.utils.deprecation import MiddlewareMixin

logger = logging.getLogger("kith.requests")

MESSAGE = "A number in the request is out of range, so nothing was changed."
NUMERIC_VALUE_OUT_OF_RANGE = "22003"


def is_out_of_range(exc: BaseException) -> bool:
    if isinstance(exc, OverflowError):
        return True
    cause = exc.__cause__
    return isinstance(exc, DataError) and (
        getattr(cause, "sqlstate", None) == NUMERIC_VALUE_OUT_OF_RANGE
    )


def log(request, exc: BaseException) -> None:
    logger.warning("out-of-range number in %s %s: %s", request.method, request.path, exc)


class OutOfRangeMiddleware(MiddlewareMixin):
    """Pages: such a request gets the 400 page."""

    def process_exception(self, request, exception):
        if not is_out_of_range(exception):
            return None
        log(request, exception)
        return render(request, "400.html", {"message": MESSAGE}, status=400)
