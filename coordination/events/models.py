"""Tables of the durable event log. Registered with the coordination app."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone


class Stream(models.Model):
    """One row per stream; ``last_seq`` is its counter, locked by each publish."""

    name = models.CharField(max_length=96, primary_key=True)
    last_seq = models.BigIntegerField(default=0)

    class Meta:
        app_label = "coordination"

    def __str__(self) -> str:
        return f"{self.name}@{self.last_seq}"


class EventRecord(models.Model):
    """One event in one stream, numbered 1, 2, 3 ... with no gaps."""

    stream = models.CharField(max_length=96)
    seq = models.BigIntegerField()
    type = models.CharField(max_length=64)
    data = models.JSONField(default=dict)
    actor_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["stream", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "seq"], name="event_seq_unique_in_stream"),
        ]

    def __str__(self) -> str:
        return f"{self.stream}#{self.seq} {self.type}"

    def as_message(self) -> dict[str, Any]:
        return {
            "type": "event",
            "stream": self.stream,
            "seq": self.seq,
            "event": self.type,
            "data": self.data,
            "actor": self.actor_id,
            "at": self.at.isoformat(),
        }
