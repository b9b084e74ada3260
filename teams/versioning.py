"""Optimistic concurrency, once: lock the row, compare the version the caller saw, say
what changed (a ``Conflict`` carrying the row's current state), count the next version.

A versioned row has a ``version`` field that every change raises by one. A write
names the version it saw; when that is not the row's any more, nothing is written and
the caller gets the row as it is now (409 in the API, the current state on a page).
``teams`` is the base layer, so every app's services use these.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from django.db import models

from teams.errors import Conflict, PreconditionRequired


class Saved(Protocol):
    def save(self, *, update_fields: list[str]) -> None: ...


class Versioned(Saved, Protocol):
    """A model with a ``version`` column, counted up on each write."""

    version: int

    @property
    def _meta(self) -> Any: ...


class Stated(Versioned, Protocol):
    """A versioned model with a ``status`` of choices."""

    @property
    def status(self) -> str: ...

    def get_status_display(self) -> str: ...


def changed_since(what: str, *, plural: bool = False) -> str:
    """The one wording of a stale write: "The visit changed since you opened it." """
    return f"{what[:1].upper()}{what[1:]} changed since you opened {'them' if plural else 'it'}."


def require_version(version: int | None) -> int:
    """The version a write must name: missing, it is a ``PreconditionRequired`` (428)."""
    if version is None:
        raise PreconditionRequired()
    return version


def lock[Row: models.Model](row: Row, *related: str) -> Row:
    """The row read again and locked until the transaction ends, with ``related``
    joined. Only the row itself is locked: PostgreSQL locks no nullable side of an
    outer join, and the rows it points to are locked by writes to them."""
    rows = type(row)._default_manager.select_for_update(of=("self",))
    return (rows.select_related(*related) if related else rows).get(pk=row.pk)


def check_version(
    row: Versioned,
    version: int | None,
    state: Callable[[Any], dict[str, Any]],
    *,
    what: str = "",
    plural: bool = False,
    required: bool = True,
) -> None:
    """Refuse a write that saw another version of ``row`` than the locked one it has:
    a ``Conflict`` in the one wording (``what`` names the row, "the <model>" unless
    given) with ``state(row)``. A missing version is a ``PreconditionRequired``, or,
    where the write may go without one (``required=False``), not checked."""
    if version is None:
        if required:
            raise PreconditionRequired()
        return
    if version != row.version:
        what = what or f"the {row._meta.verbose_name}"
        raise Conflict(changed_since(what, plural=plural), current=state(row))


def check_status(
    row: Stated, status: str, state: Callable[[Any], dict[str, Any]], *, what: str
) -> None:
    """Refuse a write to a row no longer in ``status`` (an offer already accepted, a
    request already withdrawn): a ``Conflict`` saying what became of it."""
    if row.status != status:
        word = row.get_status_display().lower()
        raise Conflict(f"This {what} was already {word}.", current=state(row))


def save_fields(row: Saved, *fields: str, **changes: Any) -> None:
    """Make the ``changes`` (field names and their new values) to the row and save
    them, with the ``fields`` that changed already, and nothing else."""
    for name, value in changes.items():
        setattr(row, name, value)
    row.save(update_fields=[*fields, *changes])


def save_new_version(row: Versioned, *fields: str, **changes: Any) -> None:
    """``save_fields`` counting the row's next version."""
    row.version += 1
    save_fields(row, *fields, "version", **changes)
