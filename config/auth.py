"""Token authentication for the API, once per request.

``Authorization: Token <token>`` names a person's API token (``teams.tokens``); only
its digest is stored, so the token is hashed and looked up by that. A revoked or
expired token, or one of a deactivated person, is refused with 401.

The idempotency middleware (``config.idempotency``) identifies the caller before the
view does, with the view's own authentication classes; the answer is kept on the
Django request, so the token and its person are read once per request.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from teams import tokens

_MISSING = object()
KEYWORD = "Token"


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's header parsing (``Token <token>``, one word, 401 otherwise), with Kith's
    token store behind it; ``request.auth`` is the ``teams.models.ApiToken``."""

    keyword = KEYWORD

    def authenticate(self, request):
        django_request = request._request
        found = django_request.__dict__.get("_token_authenticated", _MISSING)
        if found is _MISSING:
            found = super().authenticate(request)
            django_request._token_authenticated = found
        return found

    def authenticate_credentials(self, key):
        found = tokens.token_person(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked token.")
        return found
