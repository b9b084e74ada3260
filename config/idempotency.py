"""Idempotency-Key for every write, under /api/ and on the pages: a retry gets the
first answer and changes nothing.

A phone on a bad connection cannot tell a lost request from a lost answer, so it
sends the same ``Idempotency-Key`` on every retry of one write (the offline queue
does). This middleware keeps the first answer per (person, key) for 24 hours:

- the same request again (same method, path, query string, If-Match and body) gets
  the stored status, body and content type back, with ``Idempotent-Replayed: true``,
  and the view does not run;
- a different request under a used key is refused with 422;
- the view and the stored answer commit in one transaction: an answer of 5xx, or a
  crash, rolls both back and stores nothing, so the retry runs afresh. On
  PostgreSQL a second request with the same key waits on the unique index until the
  first commits, then replays it.

Callers are identified as DRF would (the REST_FRAMEWORK authentication classes);
an unauthenticated request, and any request to an endpoint open to anonymous
callers (signing in), passes through untouched.

The pages take the key too: the phone's outbox (``frontend/assets/outbox.js``)
sends a form it saved offline with the key it made when the nurse tapped, so a form
that reached Kith before the signal went is not applied twice. There the caller is
the session's person, the form's CSRF token is left out of the fingerprint (a new
sign-in changes it, not the request), and only a success is kept: a refusal (a
failed CSRF check, a stale version) frees the key, so the retry is judged afresh.

Services that guard money keep their own keys as well (visit recording, ledger
entries): those hold "exactly once" even across different keys.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from urllib.parse import parse_qsl, urlencode

from django.core.exceptions import RequestDataTooBig
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.settings import api_settings

from config import bad_input
from config.models import IdempotentRequest

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/"
MAX_KEY_LENGTH = 255
KEY_LIFETIME = datetime.timedelta(hours=24)
# Headers of the first answer a retry needs too (the version to send next, a new row).
# A page's answer to htmx says where to go next in its HX- headers.
KEPT_HEADERS = ("ETag", "Location", "HX-Redirect", "HX-Location", "HX-Refresh", "HX-Trigger")
CSRF_FIELD = "csrfmiddlewaretoken"

KEY_RULE = f"Send 1 to {MAX_KEY_LENGTH} printable ASCII characters, the same on every retry."
REUSED_MESSAGE = "This Idempotency-Key was already used for a different request."
REUSED_HINT = (
    "A key stands for one request: retry with the same method, address, If-Match and"
    " body, or send a new key for a new request."
)


def open_to_anonymous(view_class) -> bool:
    """Whether the view lets anonymous callers in (signing in): such writes have no
    person to keep a key for, so they are not keyed."""
    classes = getattr(view_class, "permission_classes", None) or ()
    return any(isinstance(p, type) and issubclass(p, AllowAny) for p in classes)


def valid_key(key: str) -> bool:
    return 1 <= len(key) <= MAX_KEY_LENGTH and all(" " <= ch <= "~" for ch in key)


def _form_without_token(request, body: bytes) -> bytes:
    """A page form's body without its CSRF token, which is the session's, not the
    request's."""
    if request.content_type != "application/x-www-form-urlencoded":
        return body
    pairs = [
        (name, value)
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        if name != CSRF_FIELD
    ]
    return urlencode(pairs).encode()


def fingerprint(request, body: bytes) -> str:
    """What makes two requests the same request (the person is part of the row)."""
    if not request.path_info.startswith(API_PREFIX):
        body = _form_without_token(request, body)
    parts = [
        request.method,
        request.path,
        request.META.get("QUERY_STRING", ""),
        request.headers.get("If-Match", ""),
        hashlib.sha256(body).hexdigest(),
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def purge_idempotency_keys(now: datetime.datetime | None = None) -> int:
    """Forget the answers kept longer than 24 hours; returns how many went. Run from
    the periodic tick. (A key older than that is treated as unused even before it is
    purged, so the tick's rhythm only affects the table's size.)"""
    now = timezone.now() if now is None else now
    deleted, _ = IdempotentRequest.objects.filter(created__lte=now - KEY_LIFETIME).delete()
    return deleted


def _error(status: int, message: str, fields: dict | None = None) -> JsonResponse:
    extra = {"fields": fields} if fields is not None else {}
    return JsonResponse({"message": message, "extra": extra}, status=status)


def _route(request) -> tuple[bool, type | None]:
    """(whether writes to this address are keyed, the view class if it has one)."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return False, None  # the 404 needs no key
    view_class = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    return not open_to_anonymous(view_class), view_class


def _caller(request, view_class):
    """The person the view will see, found as DRF finds it (the view's authentication
    classes; session callers must pass the CSRF check, which reads the parsed body),
    or None. Nothing of the request is changed: DRF sets ``request.user`` as it
    authenticates, so the original is put back."""
    authenticators = getattr(
        view_class, "authentication_classes", api_settings.DEFAULT_AUTHENTICATION_CLASSES
    )
    parsers = getattr(view_class, "parser_classes", api_settings.DEFAULT_PARSER_CLASSES)
    drf_request = Request(
        request,
        parsers=[parser() for parser in parsers],
        authenticators=[auth() for auth in authenticators],
    )
    original = request.__dict__.get("user")
    try:
        user = drf_request.user
    except APIException:
        # A bad token, a missing CSRF token, a body that does not parse: the view
        # gives its own 4xx.
        user = None
    finally:
        if original is None:
            request.__dict__.pop("user", None)
        else:
            request.user = original
    return user if user is not None and user.is_authenticated else None


def _replay(row: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(
        bytes(row.body), status=row.status_code, content_type=row.content_type or None
    )
    if not row.content_type:
        # The first answer had none (a 204): nor has its replay.
        del response["Content-Type"]
    for name, value in row.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


def _reserve(row: IdempotentRequest) -> IdempotentRequest | None:
    """Insert ``row`` unless its key is taken (then None), in one statement: every
    keyed write starts here, and a read, a savepoint, the insert and its release were
    four round trips where this is one."""
    meta = IdempotentRequest._meta
    qn = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    sql = (
        # A concrete field (the pk too) always has a column; the stubs say it may not.
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)})"  # type: ignore[arg-type]  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(fields))})"
        f" ON CONFLICT DO NOTHING RETURNING {qn(meta.pk.column)}"  # type: ignore[arg-type]
    )
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        found = cursor.fetchone()
    if found is None:
        return None
    row.pk = found[0]
    row._state.adding, row._state.db = False, connection.alias
    return row


def _claim(person, key: str, fingerprint: str) -> IdempotentRequest | HttpResponse:
    """The new row that reserves the key for this request, or the answer to give
    instead (a replay, or a refusal)."""
    now = timezone.now()
    rows = IdempotentRequest.objects.filter(person=person, key=key)
    for _attempt in range(3):
        reserved = _reserve(
            IdempotentRequest(person=person, key=key, fingerprint=fingerprint, created=now)
        )
        if reserved is not None:
            return reserved
        # Taken. On PostgreSQL the insert waited for a request holding the same key to
        # commit; what it committed is now readable.
        existing = rows.first()
        if existing is None:
            continue  # purged in between: the key is free
        if existing.created <= now - KEY_LIFETIME:
            IdempotentRequest.objects.filter(pk=existing.pk).delete()
            continue  # expired, not yet purged: the key is free again
        if existing.fingerprint != fingerprint:
            return _error(422, REUSED_MESSAGE, {HEADER: [REUSED_HINT]})
        if existing.completed is None or existing.status_code is None:
            break
        return _replay(existing)
    # A row without its answer is never committed by this middleware (the two commit
    # together), nor does a key keep vanishing; kept so neither case runs a request twice.
    return _error(409, "A request with this Idempotency-Key is still in progress: retry shortly.")


def _store(row: IdempotentRequest, response: HttpResponse) -> None:
    row.status_code = response.status_code
    row.body = response.content
    row.content_type = response.get("Content-Type", "")
    row.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
    row.completed = timezone.now()
    row.save(update_fields=["status_code", "body", "content_type", "headers", "completed"])


class IdempotencyMiddleware:
    """Place after AuthenticationMiddleware: session callers are read from it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if key is None or request.method not in WRITE_METHODS:
            return self.get_response(request)
        api = request.path_info.startswith(API_PREFIX)
        keyed, view_class = _route(request)
        if not keyed:
            return self.get_response(request)
        try:
            # Read first: the body is then cached for the view, whatever reads it.
            body = request.body
        except RequestDataTooBig:
            return _error(413, bad_input.too_large())
        if api:
            person = _caller(request, view_class)
        else:
            # A page: the session's person (the CSRF check runs before its view).
            person = request.user if request.user.is_authenticated else None
        if person is None:
            return self.get_response(request)
        if not valid_key(key):
            return _error(400, f"{HEADER}: {KEY_RULE}", {HEADER: [KEY_RULE]})
        with transaction.atomic():
            claim = _claim(person, key, fingerprint(request, body))
            if isinstance(claim, HttpResponse):
                return claim
            response = self.get_response(request)
            if response.status_code >= 500:
                # Nothing of the failed attempt stays, so the retry runs afresh.
                transaction.set_rollback(True)
            elif not api and response.status_code >= 400:
                # A page's refusal is not kept: the retry is judged afresh.
                claim.delete()
            elif response.streaming:
                # A stream cannot be kept to replay: the work stands, the key is freed.
                claim.delete()
            else:
                _store(claim, response)
        return response
