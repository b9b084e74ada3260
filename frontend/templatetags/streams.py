"""``{{ client.pk|client_stream:"plan" }}``: a client's stream name for a page's
``data-stream``, built by ``coordination.events.streams`` so a page never spells it."""

from __future__ import annotations

from django import template

from coordination.events import streams

register = template.Library()


@register.filter
def client_stream(client_id: int, scope: str) -> str:
    return streams.client_stream(client_id, scope)
