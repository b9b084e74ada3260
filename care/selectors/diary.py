"""Reads of the shared diary. Like ``care.selectors.budgets`` it checks nobody's
permission and logs nothing: the caller reads the client through
``care.selectors.clients.client_for`` (scope ``diary``, logged) first."""

from __future__ import annotations

from django.db.models import QuerySet

from care.models import Client, DiaryNote


def diary_of(client: Client, *, limit: int = 100) -> QuerySet[DiaryNote]:
    """The latest notes, newest first, with their authors, in one query."""
    return DiaryNote.objects.filter(client=client).select_related("author")[:limit]
