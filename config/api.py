"""The API's one error shape: {"message": ..., "extra": {"fields": {...}}}.

Services raise Django's ValidationError / PermissionDenied / ObjectDoesNotExist and
``teams.errors.Conflict``; DRF raises its own. Every one leaves here in one shape.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from config import bad_input
from teams.errors import Conflict, KeyReused, PreconditionRequired


def _fields_from_drf(detail) -> dict:
    if isinstance(detail, dict):
        return {
            key: [str(m) for m in (v if isinstance(v, list) else [v])] for key, v in detail.items()
        }
    return {}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    headers = {}
    extra: dict = {}
    if isinstance(exc, Conflict):
        set_rollback()
        body = {"message": exc.message, "extra": {"current": exc.current}}
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, PreconditionRequired):
        code, message = 428, exc.message
    elif isinstance(exc, DjangoValidationError):
        # A used idempotency key with a different request: 422, as config.idempotency.
        reused = isinstance(exc, KeyReused)
        code = status.HTTP_422_UNPROCESSABLE_ENTITY if reused else status.HTTP_400_BAD_REQUEST
        if hasattr(exc, "error_dict"):
            fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            general = fields.pop(NON_FIELD_ERRORS, [])
            extra["fields"] = fields
            message = general[0] if general else "Some fields need attention."
        else:
            message = " ".join(exc.messages)
    elif isinstance(exc, (Http404, ObjectDoesNotExist)):
        code, message = status.HTTP_404_NOT_FOUND, "Not found."
    elif isinstance(exc, RequestDataTooBig):
        # Django's own answer is an HTML page; an API client gets its error shape.
        code, message = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, bad_input.too_large()
    elif isinstance(exc, (TooManyFieldsSent, TooManyFilesSent)):
        code, message = status.HTTP_400_BAD_REQUEST, bad_input.TOO_MANY_FIELDS
    elif unstorable := bad_input.unstorable(exc):
        bad_input.log(context["request"], exc)
        code, message = status.HTTP_400_BAD_REQUEST, unstorable
    elif isinstance(exc, PermissionDenied):
        code, message = status.HTTP_403_FORBIDDEN, str(exc) or "You may not do that."
    elif isinstance(exc, exceptions.APIException):
        code = exc.status_code
        if isinstance(exc, exceptions.ValidationError):
            fields = _fields_from_drf(exc.detail)
            general = fields.pop("non_field_errors", []) + fields.pop(NON_FIELD_ERRORS, [])
            extra["fields"] = fields
            if isinstance(exc.detail, list):
                general += [str(m) for m in exc.detail]
            message = general[0] if general else "Some fields need attention."
        else:
            message = str(exc.detail)
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
    else:
        return None
    set_rollback()
    return Response({"message": message, "extra": extra}, status=code, headers=headers)
