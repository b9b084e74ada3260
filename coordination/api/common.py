"""What the live intranet's API modules share: the version a write carries (If-Match, or
a ``version`` field), the shape of a conflict, reading a request body, and the one
loop of a versioned write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.api.core import TextIn, WholeNumberField, body_of, if_match_version
from teams.http import ApiRequest

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, description="The same on every retry."
)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The version you saw (or send version)."
)


class VersionIn(serializers.Serializer):
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


def overlap_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "True: go ahead although a visit clashes with one the carer holds (a 400 at"
            " extra.fields.overlap names the clash when it is false)."
        ),
    )


class OverlapIn(VersionIn):
    """A write that gives a carer a visit: refused when it clashes, unless confirmed."""

    confirm_overlap = overlap_field()


class OptionalTextIn(TextIn):
    """Text a body may leave out or send blank: it is then ""."""

    def __init__(self, model: Any, name: str, **kwargs: Any) -> None:
        super().__init__(model, name, allow_blank=True, required=False, default="", **kwargs)


class ConflictOut(serializers.Serializer):
    message = serializers.CharField(help_text="What happened, e.g. who has the visit now.")
    extra = serializers.DictField(help_text='{"current": the state now}.')


CONFLICT = OpenApiResponse(
    ConflictOut, description="Changed meanwhile (or already taken): extra.current is the state now."
)


# One versioned write: the row the asker may write (``target``, 404 for anyone else),
# the body, the version it saw, one service call (``act``: by default ``service`` with the
# actor, the row as ``row_name``, the version, the body's fields and, for an idempotent
# write, its Idempotency-Key); the answer is ``answer`` (or what ``shown`` makes of the
# result) with the result's version in an ETag.
# Comments, not docstrings: the schema would take a docstring as every subclass's
# description.
class VersionedWrite(APIView):
    body: type[serializers.Serializer] = VersionIn
    answer: type[serializers.Serializer]
    code = 200
    idempotent = False
    problems: dict = {}  # more answers the schema names, e.g. {400: HELD}
    service: Callable[..., Any]
    row_name: str

    def target(self, request, pk: int):
        raise NotImplementedError

    def act(self, request, row, version: int, data: dict):
        if self.idempotent:
            data = {**data, "idempotency_key": request.headers.get("Idempotency-Key")}
        return self.service(actor=request.user, **{self.row_name: row}, version=version, **data)

    def shown(self, request, result) -> dict:
        return self.answer(result).data

    def post(self, request: ApiRequest, pk: int):
        row = self.target(request, pk)
        data = body_of(self.body, request)
        data.pop("version", None)
        result = self.act(request, row, if_match_version(request), data)
        return Response(
            self.shown(request, result), status=self.code, headers={"ETag": f'"{result.version}"'}
        )


def write_schema(summary: str, *, description: str | None = None):
    """The schema of a ``VersionedWrite``: its body, its answer and problems, a 409 with
    the state now, If-Match, and Idempotency-Key where the write takes one."""

    def decorate(view):
        parameters = [IF_MATCH, IDEMPOTENCY_KEY] if view.idempotent else [IF_MATCH]
        schema = extend_schema(
            summary=summary,
            description=description,
            request=view.body,
            responses={view.code: view.answer, **view.problems, 409: CONFLICT},
            parameters=parameters,
        )
        return extend_schema_view(post=schema)(view)

    return decorate
