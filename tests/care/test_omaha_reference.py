"""The Omaha System reference set in the database matches an independent listing."""

from __future__ import annotations

import pytest

from care.models import (
    OmahaAnchor,
    OmahaCategory,
    OmahaDomain,
    OmahaProblem,
    OmahaScope,
    OmahaSeverity,
    OmahaTarget,
)
from tests.care import omaha_independent as ref

pytestmark = pytest.mark.django_db


def test_four_domains_in_order():
    assert list(OmahaDomain.objects.values_list("code", "name")) == list(ref.DOMAINS)


def test_forty_two_problems_with_numbers_names_and_domains():
    rows = list(OmahaProblem.objects.values_list("number", "name", "domain__code"))
    assert len(rows) == 42
    assert rows == list(ref.PROBLEMS)
    per_domain = {code: sum(1 for *_, d in rows if d == code) for code, _ in ref.DOMAINS}
    assert per_domain == {"env": 4, "psy": 12, "phy": 18, "hrb": 8}


def test_signs_of_every_problem():
    for problem in OmahaProblem.objects.prefetch_related("signs"):
        signs = {s.text for s in problem.signs.all()}
        assert signs == set(ref.SIGNS[problem.number]), problem.name
        assert "other" in signs


def test_modifiers():
    assert tuple(OmahaScope.values) == ref.SCOPE_MODIFIERS
    assert tuple(OmahaSeverity.values) == ref.SEVERITY_MODIFIERS


def test_four_categories():
    assert tuple(OmahaCategory.objects.values_list("name", flat=True)) == ref.CATEGORIES


def test_seventy_five_targets_and_other():
    rows = list(OmahaTarget.objects.values_list("number", "name"))
    named = [row for row in rows if row[1] != "other"]
    assert len(named) == 75
    assert [name for _, name in named] == list(ref.TARGETS)
    assert [number for number, _ in named] == list(range(1, 76))
    assert rows[-1] == ref.TARGET_OTHER


@pytest.mark.parametrize(
    "scale, expected",
    [("knowledge", "KNOWLEDGE"), ("behavior", "BEHAVIOR"), ("status", "STATUS")],
)
def test_rating_scales_one_to_five_with_their_anchors(scale, expected):
    anchors = list(OmahaAnchor.objects.filter(scale=scale).values_list("rating", "wording"))
    assert [r for r, _ in anchors] == [1, 2, 3, 4, 5]
    assert tuple(w for _, w in anchors) == getattr(ref, expected)
