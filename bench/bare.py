"""The bare stack every figure is compared with: Channels and DRF doing only the minimum.

- ``/ws/bare/?stream=team.3``: a consumer that joins one group and forwards whatever
  is ``group_send`` to it. No authentication, no event log, no sequence checks. Its
  ``dispatch`` skips Channels' per-message hop to the sync thread, as Kith's
  LiveConsumer does, so the ratio shows what Kith's own work costs, not what Channels
  costs both (``/ws/bare-stock/`` keeps the stock ``dispatch``, for comparison).
- ``POST /bare/visits/<id>/claim``: one conditional UPDATE and a raw ``group_send``
  to the team's bare group (no access rules, no audit row, no event log).
- ``GET /bare/teams/<id>/visits?date=``: a plain DRF list of the team's visits that
  day, ``select_related``, one query.

Served by daphne as ``bench.bare:application`` with ``DJANGO_SETTINGS_MODULE=
bench.settings`` (which mounts these URLs in front of Kith's own).
"""

from __future__ import annotations

import datetime
import json
import os
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.db.models import F  # noqa: E402
from django.urls import include, path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework import generics, serializers  # noqa: E402
from rest_framework.exceptions import ValidationError  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

from care.models import Visit  # noqa: E402

MESSAGE_TYPE = "bare.event"


def group_for_stream(stream: str) -> str:
    return f"bare.{stream}"


class BareConsumer(AsyncWebsocketConsumer):
    """Join the stream's group; forward every message sent to it as JSON."""

    async def dispatch(self, message):
        if message["type"] == MESSAGE_TYPE:
            await self.bare_event(message)
        else:
            await super().dispatch(message)

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.stream = (query.get("stream") or ["team.0"])[0]
        self.group = group_for_stream(self.stream)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # No log, so no heads: the client starts counting from the first event.
        await self.send(text_data=json.dumps({"type": "ready", "heads": {self.stream: 0}}))

    async def bare_event(self, message):
        message = dict(message)
        message["type"] = "event"
        await self.send(text_data=json.dumps(message))

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)


class StockBareConsumer(BareConsumer):
    """The same consumer with Channels' own ``dispatch`` (one sync hop per message)."""

    dispatch = AsyncWebsocketConsumer.dispatch


# --- HTTP ---------------------------------------------------------------------------------


class BareVisitOut(serializers.ModelSerializer):
    client = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "client",
            "window_start",
            "window_end",
            "expected_minutes",
            "tasks",
            "assignee",
            "status",
            "version",
        ]

    def get_client(self, visit) -> dict:
        return {"id": visit.client_id, "name": visit.client.display_name}

    def get_assignee(self, visit) -> dict | None:
        person = visit.assignee
        return {"id": person.pk, "name": person.display_name} if person else None


class BareTeamVisits(generics.ListAPIView):
    serializer_class = BareVisitOut

    def get_queryset(self):
        try:
            day = datetime.date.fromisoformat(self.request.query_params.get("date", ""))
        except ValueError:
            raise ValidationError({"date": ["YYYY-MM-DD"]}) from None
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
        return (
            Visit.objects.filter(
                client__team_id=self.kwargs["pk"],
                window_start__gte=start,
                window_start__lt=start + datetime.timedelta(days=1),
            )
            .select_related("client", "assignee")
            .order_by("window_start", "id")
        )


class BareClaim(APIView):
    def post(self, request, pk: int):
        version = int(request.headers.get("If-Match", "0").strip('"') or 0)
        updated = Visit.objects.filter(pk=pk, version=version, assignee__isnull=True).update(
            assignee=request.user, status=Visit.Status.ASSIGNED, version=F("version") + 1
        )
        if not updated:
            return Response({"message": "Conflict."}, status=409)
        visit = Visit.objects.select_related("client").get(pk=pk)
        stream = f"team.{visit.client.team_id}"
        message = {
            "type": MESSAGE_TYPE,
            "stream": stream,
            "seq": None,
            "event": "visit.claimed",
            "data": {"visit": visit.pk, "client": visit.client_id, "version": visit.version},
            "actor": request.user.pk,
            "at": timezone.now().isoformat(),
        }
        async_to_sync(get_channel_layer().group_send)(group_for_stream(stream), message)
        return Response(
            {"id": visit.pk, "status": visit.status, "version": visit.version},
            headers={"ETag": f'"{visit.version}"'},
        )


urlpatterns = [
    path("bare/teams/<int:pk>/visits", BareTeamVisits.as_view()),
    path("bare/visits/<int:pk>/claim", BareClaim.as_view()),
    path("", include("config.urls")),
]

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("ws/bare/", BareConsumer.as_asgi()),
                path("ws/bare-stock/", StockBareConsumer.as_asgi()),
            ]
        ),
    }
)
