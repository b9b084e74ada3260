"""The API's endpoints, listed from the URL configuration, so that a test about "every
endpoint" also covers the next one somebody adds."""

from __future__ import annotations

import re

from django.urls import URLPattern, URLResolver

WRITE_METHODS = ("post", "put", "patch", "delete")


def view_methods(view_class) -> list[str]:
    return [m for m in ("get", *WRITE_METHODS) if hasattr(view_class, m)]


def view_class_of(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def api_views(patterns=None, prefix: str = "") -> list[tuple[str, str, str, type | None]]:
    """(url name, route, method, view class) of every endpoint under /api/v1/."""
    if patterns is None:
        from config.urls import api_v1 as patterns
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            found += api_views(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            view_class = view_class_of(entry.callback)
            methods = view_methods(view_class) if view_class else ["get", "post"]
            found += [(entry.name, prefix + str(entry.pattern), m, view_class) for m in methods]
    return found


def api_endpoints(patterns=None, prefix: str = "") -> list[tuple[str, str, str]]:
    """(url name, route, method) of every endpoint under /api/v1/."""
    return [(name, route, method) for name, route, method, _view in api_views(patterns, prefix)]


def openapi_path(route: str) -> str:
    """The schema's path of a route: "teams/<id:pk>" -> "/api/v1/teams/{id}"."""

    def name(match: re.Match) -> str:
        return "{id}" if match.group(1) == "pk" else "{" + match.group(1) + "}"

    return "/api/v1/" + re.sub(r"<(?:\w+:)?(\w+)>", name, route)
