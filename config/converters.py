"""Path converters.

``<id:pk>`` is Django's ``<int:pk>`` bounded to what a database key can hold: at most
18 digits. Django's own accepts any run of digits, and a number past the 64-bit range
reached a query (SQLite refuses to bind it, PostgreSQL to compare some columns with
it) as a server error; now such a path is simply not found.
"""

from __future__ import annotations

from django.urls.converters import IntConverter

from teams.numbers import MAX


class IdConverter(IntConverter):
    regex = f"[0-9]{{1,{len(str(MAX))}}}"
