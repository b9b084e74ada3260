"""Kith's ASGI application with its answers gzipped as the production proxy sends them
(deploy/nginx.conf: ``gzip on``, level 1, HTML, CSS, JavaScript, JSON and SVG), for
``bench/phone.py``: a page's first paint over a slow network depends on the bytes sent.

A module of its own, outside any package: ``bench/phone.py`` serves another checkout
(``--root``) with this folder on ``PYTHONPATH``, and the app is ``phone_gzip:application``.
"""

from __future__ import annotations

import gzip

from config.asgi import application as kith

TYPES = (
    b"text/html",
    b"text/css",
    b"application/javascript",
    b"text/javascript",
    b"application/json",
    b"image/svg+xml",
)


async def application(scope, receive, send):
    if scope["type"] != "http" or b"gzip" not in dict(scope["headers"]).get(
        b"accept-encoding", b""
    ):
        return await kith(scope, receive, send)
    start: dict = {}
    body: list[bytes] = []

    async def buffered(message):
        if message["type"] == "http.response.start":
            start.update(message)
            return None
        if message["type"] != "http.response.body":
            return await send(message)
        body.append(message.get("body", b""))
        if message.get("more_body"):
            return None
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        kind = {k.lower(): v for k, v in headers}.get(b"content-type", b"")
        whole = b"".join(body)
        encoded = any(k.lower() == b"content-encoding" for k, _ in headers)
        if kind.startswith(TYPES) and not encoded and len(whole) >= 20:
            whole = gzip.compress(whole, compresslevel=1)
            headers += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding")]
        headers.append((b"content-length", str(len(whole)).encode()))
        await send({**start, "headers": headers})
        return await send({"type": "http.response.body", "body": whole})

    return await kith(scope, receive, buffered)
