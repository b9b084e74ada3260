"""Text a person sends, cleaned once: it must be text, control characters go, the ends
are trimmed, and it fits the field it is stored in.

A field's limit is the model's (``limit_of``): services, serializers and pages read it
from there (pages through the ``{% limit %}`` template tag, frontend/templatetags), so it
is written once. A ``TextField`` the database does not limit keeps its limit next to its
field, in the model's ``LIMITS`` mapping (no migration for a number only code reads).
``teams`` is the base layer, so every app's services use these.
"""

from __future__ import annotations

import re

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models

Errors = dict[str, list[str]]

# Control characters other than tab, line feed and carriage return: never meant.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REQUIRED = "Required."


def limit_of(model: type[models.Model] | str, name: str) -> int:
    """The most characters the model's field ``name`` holds: its ``max_length``, or for
    a ``TextField`` without one, the model's ``LIMITS[name]``. ``model`` may be named
    by its label ("care.Visit")."""
    if isinstance(model, str):
        model = apps.get_model(model)
    field = model._meta.get_field(name)
    limit = field.max_length if isinstance(field, models.Field) else None
    limit = limit or getattr(model, "LIMITS", {}).get(name)
    if limit is None:
        raise ValueError(f"{model.__name__}.{name} has no limit")
    return limit


def too_long(limit: int, length: int) -> str:
    """The one wording of a text over its limit: it says by how much."""
    return f"At most {limit:,} characters (this has {length:,})."


class TooLong(MaxLengthValidator):
    """A ``max_length`` check (the API's schema reads it as one) in the one wording."""

    def __call__(self, value) -> None:
        if len(value) > self.limit_value:
            raise ValidationError(too_long(self.limit_value, len(value)), code="max_length")


def clean_text(
    errors: Errors,
    name: str,
    value,
    *,
    limit: int,
    required: bool = False,
    required_message: str = REQUIRED,
    one_line: bool = False,
) -> str:
    """``value`` cleaned (None is empty); a problem is noted in ``errors`` under
    ``name``. ``one_line`` also turns runs of white space into one space (a name)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be text.")
        return ""
    value = CONTROL.sub("", value)
    value = " ".join(value.split()) if one_line else value.strip()
    if required and not value:
        errors.setdefault(name, []).append(required_message)
    elif len(value) > limit:
        errors.setdefault(name, []).append(too_long(limit, len(value)))
    return value


def text(name: str, value, *, limit: int, **options) -> str:
    """``clean_text`` for one field on its own: a problem is a ``ValidationError``."""
    errors: Errors = {}
    value = clean_text(errors, name, value, limit=limit, **options)
    raise_errors(errors)
    return value


def refused(field: str, message: str) -> ValidationError:
    """The refusal of one field, to raise."""
    return ValidationError({field: [message]})


def add_error(errors: Errors, field: str, message: str) -> None:
    """Note one more problem with ``field``."""
    errors.setdefault(field, []).append(message)


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def cleaned[T](value: T | None) -> T:
    """A value its cleaner returned once the errors were raised: the cleaners give
    None only with an error recorded, so None here is a bug in the caller."""
    if value is None:
        raise ValueError("A cleaned value is missing, yet no error was recorded.")
    return value
