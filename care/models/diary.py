"""The shared diary: short notes the client, their network and the care team leave
for one another ("Mum slept badly", "The pharmacy delivers on Thursday now")."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from care.models.clients import AppendOnly, Client
from teams.models import Person

MAX_BODY = 1000


class DiaryNote(AppendOnly):
    """One note in a client's shared diary. Append-only: a note is never edited or
    deleted, so what was said, by whom and when stays as it was said."""

    APPEND_ONLY = "The diary is append-only."

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="diary")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=MAX_BODY)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"])]

    def __str__(self) -> str:
        return f"{self.author} in the diary of {self.client} at {self.at:%Y-%m-%d %H:%M}"
