"""Error reports: Sentry when ``SENTRY_DSN`` is set, else Django's mail to ``ADMINS``.

Kith holds care records, so a report carries the error, its stack and which request
it was, never what the request or the code was holding: no request bodies, cookies,
query strings (search terms), users' addresses or local variables. Both ways of
reporting are cut down here, once: ``scrub`` for Sentry, ``ReportFilter`` for the mail.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from asgi_correlation_id import correlation_id
from django.views.debug import SafeExceptionReporterFilter

if TYPE_CHECKING:
    from sentry_sdk.types import Event, Hint


def start_error_reporting(
    *, dsn: str, environment: str, release: str, traces_sample_rate: float
) -> bool:
    """Start Sentry when a DSN is set (True); without one, nothing is started."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration()],
        # No personal data: no user, address, cookies or auth headers ...
        send_default_pii=False,
        # ... no request bodies (care records are posted in them) ...
        max_request_body_size="never",
        # ... and no snapshot of the code's variables, which hold records too.
        include_local_variables=False,
        before_send=scrub,
    )
    return True


def scrub(event: Event, hint: Hint) -> Event:
    """What leaves for Sentry: the request's method, route and headers Sentry keeps
    without personal data, tagged with the request id that the log lines carry."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
    event.pop("user", None)
    request_id = correlation_id.get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


class ReportFilter(SafeExceptionReporterFilter):
    """Django's filter (secrets in settings and headers hidden), which also hides every
    posted value, every cookie and every variable of the failing code's frames, by
    name. Active when ``DEBUG`` is off, like Django's: the debug page shows all."""

    # The mail lists every setting: Django's names, and Kith's service URLs, which
    # hold passwords (DATABASE_URL, REDIS_URL, EMAIL_URL, a channel layer's address).
    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|DSN|_URL$|^ADDRESS$", re.I
    )

    def get_post_parameters(self, request):
        if request is None or not self.is_active(request):
            return super().get_post_parameters(request)
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_safe_cookies(self, request):
        if not self.is_active(request):
            return super().get_safe_cookies(request)
        return dict.fromkeys(request.COOKIES, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        if not self.is_active(request):
            return super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]
