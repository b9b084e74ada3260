"""What the live intranet's API modules share: the version a write carries (If-Match, or
a ``version`` field), the shape of a conflict, and reading a request body."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from teams.api.core import WholeNumberField

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, description="The same on every retry."
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The version you saw (or send version)."
)


class VersionIn(serializers.Serializer):
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


class ConflictOut(serializers.Serializer):
    message = serializers.CharField(help_text="What happened, e.g. who has the visit now.")
    extra = serializers.DictField(help_text='{"current": the state now}.')


CONFLICT = OpenApiResponse(
    ConflictOut, description="Changed meanwhile (or already taken): extra.current is the state now."
)


def body_of(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data
