"""Request ids and log lines: what an operator reads when something went wrong.

Every HTTP request and every websocket gets a request id at the outermost layer of the
ASGI stack (``with_request_ids``, wired in ``config.asgi``): asgi-correlation-id keeps
the proxy's ``X-Request-ID`` when it is well formed, makes one otherwise, returns it
in the response's ``X-Request-ID`` header and holds it in a context variable for as
long as the request or the socket lives. A socket's id is its handshake's: the
consumer runs inside that context, and so do the worker threads it hands database
trips to (asgiref copies the context into them). Every log handler carries the id
through asgi-correlation-id's filter.

Log lines are JSON objects, one a line, with ``DEBUG`` off, and plain text with it on;
``KITH_LOG_FORMAT`` chooses (``config.settings``).

This module is read while the settings load: it imports nothing of Django's that needs
them.
"""

from __future__ import annotations

import re

from asgi_correlation_id import CorrelationIdMiddleware
from pythonjsonlogger.core import RESERVED_ATTRS

REQUEST_ID_HEADER = "X-Request-ID"
LOG_FORMATS = ("json", "plain")

# What a proxy may hand us: a UUID (with or without its hyphens; nginx's $request_id
# is 32 hex digits). Anything else, overlong or holding characters a log reader would
# trip over, is replaced by a fresh id rather than written into every line.
_WELL_FORMED = re.compile(
    r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)


def well_formed_request_id(value: str) -> bool:
    return _WELL_FORMED.fullmatch(value) is not None


def with_request_ids(app):
    """``app`` (the ASGI router) with a request id on every HTTP request and socket."""
    return CorrelationIdMiddleware(
        app, header_name=REQUEST_ID_HEADER, validator=well_formed_request_id
    )


def logging_config(*, fmt: str, mail_admins: bool, access_log: bool) -> dict:
    """Django's LOGGING: every line to the console in ``fmt`` ("json" or "plain"),
    with the request id; Django's errors also mailed to ADMINS when ``mail_admins``;
    a line for every answer when ``access_log`` (config.metrics writes it)."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}")
    formatters = {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s] %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(correlation_id)s",
            "timestamp": "time",  # ISO 8601 in UTC, from the record's own clock
            "rename_fields": {
                "levelname": "level",
                "name": "logger",
                "correlation_id": "request_id",
                "exc_info": "exception",
            },
            # Django hands its request loggers the request object: its text (with the
            # query string, where search terms live) is no field for a log line.
            "reserved_attrs": [*RESERVED_ATTRS, "request"],
        },
    }
    django_handlers = ["mail_admins"] if mail_admins else []
    handlers: dict = {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": fmt,
            "filters": ["request_id"],
        },
    }
    if mail_admins:
        # Django's own: an error a request raised, with its traceback, to ADMINS. What
        # the report shows of the request is cut down by config.errors.ReportFilter.
        handlers["mail_admins"] = {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["request_id"],
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {
                "()": "asgi_correlation_id.CorrelationIdFilter",
                # A line written outside any request (the tick, a command) says so.
                "default_value": "-" if fmt == "plain" else None,
            }
        },
        "formatters": {fmt: formatters[fmt]},
        "handlers": handlers,
        "root": {"handlers": ["console"], "level": "WARNING"},
        "loggers": {
            # Replaces Django's default handlers for its loggers (a second console
            # line in development, mail to an empty ADMINS in production): lines go
            # up to the root's console; errors also to ADMINS when configured.
            "django": {"handlers": django_handlers, "level": "INFO", "propagate": True},
            "kith": {"level": "INFO"},
            "kith.access": {"level": "INFO" if access_log else "WARNING"},
        },
    }
