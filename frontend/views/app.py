"""Kith as an app on the phone: the web app manifest, the service worker and the page
it shows for anything not kept offline, and signing out, which empties what this
browser kept.

The service worker (``frontend/assets/sw.js``, bundled with Workbox by ``make
assets``) is served from ``/sw.js`` so that its scope is the whole site. This view
writes the few lines that tell it what to keep (the shell's static files under their
served names, each with a revision, and the offline page) and then loads the bundle:
a new release changes these lines, so phones fetch the new worker.

What it keeps of a person's own is her day alone (``/day/`` and the record sheets of
her visits), in a cache the page empties when someone else signs in, and signing out
(``SignOut``) clears with ``Clear-Site-Data``, the outbox's waiting writes included,
after the page has warned her of those (``outbox.js``).
"""

from __future__ import annotations

import hashlib
import json
import re

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import engines
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

THEME = "#1f6f5c"
BACKGROUND = "#ffffff"
WORKER = "frontend/build/sw.js"
# The shell: what every page loads (base.html), and the icons.
SHELL = (
    "frontend/kith.css",
    "frontend/live.js",
    "frontend/partials.js",
    "frontend/taps.js",
    "frontend/nav.js",
    "frontend/build/outbox.js",
    "frontend/icon.svg",
    "frontend/icon-192.png",
)


def _revision(path: str) -> str:
    found = finders.find(path)
    if not found:
        raise Http404(f"{path} is not built: run make assets.")
    with open(found, "rb") as f:  # noqa: PTH123 (finders answer str paths)
        return hashlib.sha256(f.read()).hexdigest()[:16]


def _htmx_files() -> list[str]:
    """The htmx scripts base.html loads (``{% htmx_script %}``), by their served names."""
    tag = engines["django"].from_string("{% load django_htmx %}{% htmx_script %}").render({})
    return re.findall(r'src="([^"]+)"', tag)


def _precache() -> tuple[dict[str, str], ...]:
    """Workbox's precache list: each file's served address, and a revision (its
    content's hash) so a changed file is fetched again whatever its address. Read on
    each request (a few small files): a file changed in development is seen at once."""
    prefix = settings.STATIC_URL
    files = [*SHELL]
    files += [url.removeprefix(prefix) for url in _htmx_files() if url.startswith(prefix)]
    return tuple({"url": static(path), "revision": _revision(path)} for path in files)


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    precache = list(_precache())
    offline_page = _offline_html()
    offline = {
        "url": reverse("offline"),
        "revision": hashlib.sha256(offline_page.encode()).hexdigest()[:16],
    }
    config = {"precache": [*precache, offline], "offline": offline["url"]}
    body = (
        "// Kith's service worker: what to keep (written per release), then the worker.\n"
        f"self.KITH = {json.dumps(config)};\n"
        f"importScripts({json.dumps(static(WORKER))});\n"
    )
    _revision(WORKER)  # 404 until built
    return HttpResponse(body, content_type="text/javascript; charset=utf-8")


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    def icon(path: str, sizes: str, kind: str, purpose: str = "any") -> dict[str, str]:
        return {"src": static(path), "sizes": sizes, "type": kind, "purpose": purpose}

    body = {
        "name": "Kith",
        "short_name": "Kith",
        "description": "Your neighbourhood care team: your day, your clients, your team.",
        "lang": "en-GB",
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": BACKGROUND,
        "icons": [
            icon("frontend/icon.svg", "any", "image/svg+xml"),
            icon("frontend/icon-192.png", "192x192", "image/png"),
            icon("frontend/icon-512.png", "512x512", "image/png"),
            icon("frontend/icon-maskable-512.png", "512x512", "image/png", "maskable"),
        ],
    }
    return JsonResponse(body, content_type="application/manifest+json")


def _offline_html() -> str:
    # Rendered without the person: this page is kept for whoever uses the phone next.
    return render_to_string("frontend/offline.html", {})


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What a page not kept on the phone shows while there is no signal."""
    return HttpResponse(_offline_html())


class SignOut(auth_views.LogoutView):
    """Signing out also empties what this browser kept of Kith: the day kept offline,
    the outbox, the service worker (``Clear-Site-Data``; the page warned first of any
    write still waiting to be sent)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # "storage" holds what the worker kept (Cache Storage), the outbox (IndexedDB)
        # and the worker itself. Not "cache" (the HTTP cache): Chromium takes seconds
        # over it, during which signing out seems to hang (crbug.com/40233601).
        response["Clear-Site-Data"] = '"storage"'
        return response
