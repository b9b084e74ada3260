"""Token authentication, once per request.

The idempotency middleware (``config.idempotency``) identifies the caller before the
view does, with the view's own authentication classes; without this, the token and
its person were read twice for every keyed write.
"""

from __future__ import annotations

from rest_framework import authentication

_MISSING = object()


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's ``TokenAuthentication``, whose answer is kept on the Django request: a
    second ``authenticate`` of the same request (the view's, after the middleware's)
    reads no token again. A refused token is not kept: it raises each time."""

    def authenticate(self, request):
        django_request = request._request
        found = django_request.__dict__.get("_token_authenticated", _MISSING)
        if found is _MISSING:
            found = super().authenticate(request)
            django_request._token_authenticated = found
        return found
