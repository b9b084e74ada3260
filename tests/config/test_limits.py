"""Every text's limit is its model field's: services, serializers and pages read it
with ``teams.cleaning.limit_of``, so the doors agree (the rule that no number is
written twice is in tests/test_house_rules.py)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ValidationError

from care.models import ExperienceSurvey, LedgerEntry, Visit
from teams.api.core import TextIn
from teams.cleaning import limit_of


def test_a_limit_kept_in_code_sits_next_to_its_text_field():
    kept = {}
    for model in apps.get_models():
        for name, limit in model.__dict__.get("LIMITS", {}).items():
            field = model._meta.get_field(name)
            # A CharField's (or a limited TextField's) max_length is the one truth.
            assert isinstance(field, models.TextField) and field.max_length is None, field
            assert limit_of(model, name) == limit_of(model._meta.label, name) == limit
            kept[f"{model._meta.label}.{name}"] = limit
    assert kept["care.Visit.done_note"] == 5000 and len(kept) >= 12


def _schema_limit(component: str, field: str) -> int:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return schema["components"]["schemas"][component + "Request"]["properties"][field]["maxLength"]


@pytest.mark.parametrize(
    ("component", "field", "limit", "model", "name"),
    [
        # The API's copy said 2,000; services and series said 5,000.
        ("VisitIn", "tasks", 5000, Visit, "tasks"),
        # The API's copy said 500; the service behind the page said 2,000.
        ("EntryIn", "reason", 2000, LedgerEntry, "reason"),
        # The API's copy said 10,000; the service refused past 2,000.
        ("SurveyIn", "comment", 2000, ExperienceSurvey, "comment"),
    ],
)
def test_where_two_copies_disagreed_the_api_says_the_models_limit(
    component, field, limit, model, name
):
    assert _schema_limit(component, field) == limit_of(model, name) == limit


def test_a_text_past_its_limit_is_refused_at_the_api_in_the_one_wording():
    field = TextIn(Visit, "late_note")
    assert field.max_length == 200
    field.run_validation("x" * 200)
    with pytest.raises(ValidationError) as refused:
        field.run_validation("x" * 201)
    assert refused.value.detail == ["At most 200 characters (this has 201)."]
