"""The wiring's tables: the first answer to each Idempotency-Key (config.idempotency) and
when the periodic tick last finished a pass (config.health reads it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """A write made under an ``Idempotency-Key``, and the answer it got.

    The row is written in the same transaction as the work it guards, so a committed
    row always holds its answer (``completed`` set); a request that failed with a 5xx
    or crashed leaves no row, and its retry runs afresh. ``fingerprint`` is a sha256
    of the method, path, query string, If-Match header and body: the same key with a
    different fingerprint is a different request, refused with 422.
    """

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    body = models.BinaryField(default=b"", blank=True)
    content_type = models.CharField(max_length=255, blank=True)
    # The few headers a retry needs to carry on as if it had the first answer.
    headers = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    completed = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "key"], name="idempotent_request_person_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code or 'in progress'})"


class TickRun(models.Model):
    """When ``manage.py tick`` last finished a pass. One row (id 1), rewritten by every
    pass of whichever process runs the tick, so every web process can tell whether
    decisions, reminders and digests are still happening (readiness, ``/readyz``)."""

    ONE = 1

    finished = models.DateTimeField()

    def __str__(self) -> str:
        return f"tick finished {self.finished:%Y-%m-%d %H:%M:%S}"
