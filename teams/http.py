"""The request types views are written against: what the middleware and the sign-in
check guarantee, stated once so views read ``request.user`` as a Person.

For type checking only: at run time these are the plain Django and REST framework
requests (nothing constructs these classes).
"""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails
from rest_framework.request import Request

from teams.models import Person


class HtmxRequest(HttpRequest):
    """Any page request: django-htmx's middleware sets ``htmx`` on every one."""

    htmx: HtmxDetails


class PageRequest(HtmxRequest):
    """A page request behind the sign-in check (``login_required``): a Person signed in."""

    user: Person


class ApiRequest(Request):
    """An API request behind the default permission (``IsAuthenticated``)."""

    user: Person
