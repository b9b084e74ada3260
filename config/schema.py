"""The OpenAPI schema's house additions, made once for every operation.

Every write an authenticated caller makes honours an ``Idempotency-Key``
(config.idempotency), so every such operation documents the header and the 422 a
reused key earns, in the API's one error shape. A view may still declare the header
itself to say more about it; its own wording then wins.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from config.idempotency import HEADER, MAX_KEY_LENGTH, REPLAYED, WRITE_METHODS, open_to_anonymous

IDEMPOTENCY_KEY = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"Optional, 1 to {MAX_KEY_LENGTH} printable ASCII characters, the same on every"
        " retry of one write. For 24 hours a retry with the same key gets the first"
        f" answer back (with `{REPLAYED}: true`) and changes nothing; the same key with"
        " a different request is refused with 422."
    ),
)


class ErrorOut(serializers.Serializer):
    """The API's one error shape."""

    message = serializers.CharField()
    extra = serializers.DictField(
        help_text='Details, e.g. {"fields": {"name": ["What is wrong with it."]}}.'
    )


class AutoSchema(openapi.AutoSchema):
    def _keyed(self) -> bool:
        return self.method in WRITE_METHODS and not open_to_anonymous(type(self.view))

    def get_override_parameters(self):
        declared = super().get_override_parameters()
        if not self._keyed():
            return declared
        # First, so a view's own declaration of the header (same name and place) wins.
        return [IDEMPOTENCY_KEY, *declared]

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is not None and self._keyed():
            error = self.resolve_serializer(ErrorOut, "response")
            operation["responses"].setdefault(
                "422",
                {
                    "content": {"application/json": {"schema": error.ref}},
                    "description": "The Idempotency-Key was already used for a different request.",
                },
            )
        return operation
