"""``{% hand_field form "note" "Note (optional)" "f" limit="care.Client.note" %}``: one
field of a form a page lays out itself (not from ``frontend.forms.Field``), as
``writes.Outcome.form`` keeps it ({"values", "errors"}): its label, hint, control and
messages, with the ids tying them together."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from teams.cleaning import limit_of

register = template.Library()


def _aria(id_: str, hint: str, errors: list[str]) -> str:
    if hint:
        ids = f"h-{id_} e-{id_}" if errors else f"h-{id_}"
        invalid = ' aria-invalid="true"' if errors else ""
        return format_html(' aria-describedby="{}"' + invalid, ids)
    return format_html(' aria-invalid="true" aria-describedby="e-{}"', id_) if errors else ""


@register.inclusion_tag("frontend/_hand_field.html")
def hand_field(
    form: Any,
    name: str,
    label: str,
    *prefix: Any,
    widget: str = "text",
    hint: str = "",
    limit: str = "",
    auto: str = "",
    placeholder: str = "",
    choices: Any = (),
    blank: str = "",
    rows: int = 2,
    quiet: bool = False,
) -> dict[str, Any]:
    """The id is the ``prefix`` parts run together, a dash and the name ("r12" and
    "rated_on": "r12-rated-on"); ``limit`` names the model field its maxlength reads;
    a ``quiet`` field leaves its messages to the form's summary."""
    form = form or {}
    id_ = "".join(map(str, prefix)) + "-" + name.replace("_", "-")
    errors = [] if quiet else (form.get("errors") or {}).get(name, [])
    model, _, field = limit.rpartition(".")
    return {
        "id": id_,
        "name": name,
        "label": label,
        "value": (form.get("values") or {}).get(name, ""),
        "errors": errors,
        "widget": widget,
        "hint": hint,
        "maxlength": limit_of(model, field) if limit else "",
        "auto": auto,
        "placeholder": placeholder,
        "choices": choices,
        "blank": blank,
        "rows": rows,
        "aria": _aria(id_, hint, errors),
    }
