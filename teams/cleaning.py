"""Text a person sends, cleaned once: it must be text, control characters go, the ends
are trimmed, and it fits the field it is stored in.

A field's limit is the model's (``limit_of``): services, serializers and pages read it
from there (pages through the ``maxlength`` template filter), so it is written once.
A ``TextField`` limited only here keeps its limit in a constant next to its model.
``teams`` is the base layer, so every app's services use these.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models

Errors = dict[str, list[str]]

# Control characters other than tab, line feed and carriage return: never meant.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REQUIRED = "Required."


def limit_of(model: type[models.Model], name: str) -> int:
    """The most characters the model's field ``name`` holds (its ``max_length``)."""
    limit = model._meta.get_field(name).max_length
    if limit is None:
        raise ValueError(f"{model.__name__}.{name} has no max_length")
    return limit


def too_long(limit: int, length: int) -> str:
    """The one wording of a text over its limit: it says by how much."""
    return f"At most {limit:,} characters (this has {length:,})."


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


def raise_errors(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)
