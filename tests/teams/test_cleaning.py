"""The one text cleaner: what it keeps, what it drops, and how it words a problem."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from care.models import DiaryNote
from teams.cleaning import clean_text, limit_of, text
from teams.models import Team


def test_text_is_trimmed_and_loses_its_control_characters():
    # Only practice notes dropped control characters; every field does now.
    errors: dict = {}
    assert clean_text(errors, "x", "  a\x00b\x07c\td\ne  ", limit=20) == "a" + "bc\td\ne"
    assert errors == {}


def test_a_name_is_one_line():
    assert text("name", " Team \n  Noord ", limit=20, one_line=True) == "Team Noord"


def test_none_is_empty_and_what_is_not_text_is_named():
    errors: dict = {}
    assert clean_text(errors, "a", None, limit=5) == ""
    assert clean_text(errors, "b", 12, limit=5) == ""
    assert clean_text(errors, "c", " ", limit=5, required=True) == ""
    assert errors == {"b": ["Must be text."], "c": ["Required."]}


def test_one_wording_says_by_how_much_a_text_is_too_long():
    # "At most 1000 characters." in most services before; practice's wording won.
    with pytest.raises(ValidationError) as err:
        text("body", "x" * 1001, limit=1000)
    assert err.value.message_dict == {"body": ["At most 1,000 characters (this has 1,001)."]}


def test_limits_are_the_model_fields():
    assert limit_of(Team, "phone") == 40
    assert limit_of(Team, "patch") == 2000  # a TextField limited on the model
    assert limit_of(DiaryNote, "body") == 1000
    with pytest.raises(ValueError):
        limit_of(Team, "version")
