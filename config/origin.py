"""Websocket handshakes from Kith's own pages only.

Channels' ``AllowedHostsOriginValidator`` compares the Origin's host with
``ALLOWED_HOSTS`` and ignores its scheme and port, so a page served from another
port or over plain http on an allowed host could open a signed-in socket with the
visitor's cookie. This compares the whole origin, the way Django's CSRF check does
for forms: the Origin must be exactly the scheme, host and port the handshake was
made to (``https`` when the proxy says so through ``SECURE_PROXY_SSL_HEADER``), on an
allowed host, or one of ``CSRF_TRUSTED_ORIGINS``. A handshake without an Origin is
refused too (every browser sends one), unless it carries an API token in its
Authorization header: no browser sends one on a websocket, so no page of another
site can make a visitor's browser open a socket with it.
"""

from __future__ import annotations

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def expected_origin(scope) -> str | None:
    """The origin of Kith's own pages for this handshake, or None when its Host is
    not one this deployment serves."""
    host = _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    secure = scope.get("scheme") == "wss"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, value = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = _header(scope, header)
        if forwarded is not None:
            secure = forwarded.split(",")[0].strip() == value
    return f"{'https' if secure else 'http'}://{host.lower()}"


def origin_allowed(scope) -> bool:
    origin = _header(scope, b"origin")
    if origin is None:
        return _header(scope, b"authorization") is not None
    origin = origin.lower()
    if origin in {trusted.lower() for trusted in settings.CSRF_TRUSTED_ORIGINS}:
        return True
    return origin == expected_origin(scope)


class SameOriginValidator:
    """ASGI middleware: refuses (HTTP 403 at the handshake) a websocket whose Origin is
    not Kith's own; passes everything else on."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            denier = WebsocketDenier()
            return await denier(scope, receive, send)
        return await self.application(scope, receive, send)
