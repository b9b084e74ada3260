"""``{% limit "care.Visit" "tasks" %}``: the most characters a model's field holds
(``teams.cleaning.limit_of``), for a page's ``maxlength``, so a page never writes the
number again."""

from __future__ import annotations

from django import template

from teams.cleaning import limit_of

register = template.Library()


@register.simple_tag
def limit(model: str, field: str) -> int:
    return limit_of(model, field)
