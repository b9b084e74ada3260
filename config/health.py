"""Health for the proxy, the orchestrator and the operator: liveness and readiness.

- ``/healthz`` (liveness): the process answers. It touches neither the database nor
  Redis, so an outage of either never makes every web process look dead at once
  (restarting them would cure nothing, and pages that can still render would not).
- ``/readyz`` (readiness): whether this process can do its work now. It checks the
  database (one query through the same connections requests use), Redis when
  ``REDIS_URL`` is set (a ping within ``REDIS_TIMEOUT``) and that the periodic tick
  finished a pass within ``TICK_MAX_AGE`` seconds (decisions, reminders and digests
  happen there). 200 with what it checked when all is well; 503 naming what is
  degraded otherwise. The answer holds no address, name or error text (those go to
  the log): it is safe to show to whoever can reach it.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import resolve
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.models import TickRun

logger = logging.getLogger("kith.health")


@require_safe
@never_cache
def healthz(request):
    """Liveness: the process answers (nothing else is asked)."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    checks: dict[str, dict] = {"database": _database()}
    checks["redis"] = _redis()
    # The tick's record is in the database: without it, unknown (ok: null), not late.
    checks["tick"] = (
        _tick()
        if checks["database"]["ok"]
        else {"ok": None, "detail": "not checked: the database did not answer"}
    )
    degraded = [name for name, check in checks.items() if check["ok"] is False]
    body = {"status": "degraded" if degraded else "ready", "degraded": degraded, "checks": checks}
    return JsonResponse(body, status=503 if degraded else 200)


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # whatever the driver raises, the answer is "not ready"
        logger.warning("readiness: the database did not answer: %s", exc)
        return {"ok": False, "detail": "unreachable"}
    return {"ok": True, "detail": "answered"}


def redis_problem(url: str, timeout: float) -> str | None:
    """Why Redis at ``url`` does not answer a ping within ``timeout`` seconds, or None.
    (The reason may name the host: for logs and the startup line, not for answers.)"""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    except redis.RedisError as exc:
        return str(exc) or type(exc).__name__
    finally:
        client.close()
    return None


def _redis() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "detail": "not configured: live events stay in this process"}
    problem = redis_problem(settings.REDIS_URL, settings.REDIS_TIMEOUT)
    if problem is not None:
        logger.warning("readiness: Redis did not answer: %s", problem)
        return {"ok": False, "detail": "unreachable"}
    return {"ok": True, "detail": "answered"}


def _tick() -> dict:
    limit = settings.TICK_MAX_AGE
    run = TickRun.objects.filter(pk=TickRun.ONE).first()
    if run is None:
        return {"ok": False, "detail": "never ran", "max_age_seconds": limit}
    age = max(0, int((timezone.now() - run.finished).total_seconds()))
    return {
        "ok": age <= limit,
        "detail": "ran recently" if age <= limit else "late",
        "last_finished": run.finished.isoformat(),
        "age_seconds": age,
        "max_age_seconds": limit,
    }


def tick_finished(at: datetime.datetime | None = None) -> None:
    """Record that a pass of the tick finished (``manage.py tick`` calls it)."""
    TickRun.objects.update_or_create(
        pk=TickRun.ONE, defaults={"finished": timezone.now() if at is None else at}
    )


def health_probes(get_response):
    """Answers ``/healthz`` and ``/readyz`` before Django checks the Host header.

    Probes come from inside: the container's own health check (127.0.0.1:8000), the
    proxy's, an orchestrator's (Kubernetes sends the pod's address as its Host). None
    of them knows the site's name, so each is refused with 400 once ``ALLOWED_HOSTS``
    holds the real hostname, and the proxy, waiting for healthy web processes, never
    starts. Django checks the host in ``request.get_host()``, which ``CommonMiddleware``
    and CSRF call; this middleware stands before them and answers these two paths
    itself. That is safe for any client, not only loopback: ALLOWED_HOSTS guards
    against answers built from a forged Host (absolute links in mail, redirects, a
    poisoned cache), and these answers hold nothing taken from the request, nor
    anything secret (see above). Every other path still goes through the host check.
    It stands after ``SecurityMiddleware``, whose HTTPS redirect exempts both paths
    and whose headers the answers keep.
    """
    views = {"/healthz": healthz, "/readyz": readyz}

    def middleware(request):
        view = views.get(request.path_info)
        if view is None:
            return get_response(request)
        # Metrics and the access log name the route, as for any other view.
        request.resolver_match = resolve(request.path_info)
        return view(request)

    return middleware
