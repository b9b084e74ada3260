"""The event log's streams, read after a sequence number (a client's catch-up when it
cannot use the socket's replay)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination import access
from coordination import events as log
from teams.api.core import bounded
from teams.http import ApiRequest
from teams.numbers import MAX


class StreamQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=MAX, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=200)


class EventOut(serializers.Serializer):
    stream = serializers.CharField()
    seq = serializers.IntegerField()
    event = serializers.CharField(source="type")
    data = serializers.JSONField()  # type: ignore[assignment]  # a declared field: the metaclass lifts it off the class
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    at = serializers.DateTimeField()


class StreamEventsOut(serializers.Serializer):
    stream = serializers.CharField()
    head = serializers.IntegerField()
    events = EventOut(many=True)
    more = serializers.BooleanField()


class StreamEventsView(APIView):
    @extend_schema(
        summary="Events of a stream after a sequence number",
        parameters=[
            OpenApiParameter(
                "after", bounded(0), description="Last sequence number seen (0: from the start)."
            ),
            OpenApiParameter(
                "limit", bounded(1, 1000), description="At most this many events (1 to 1000)."
            ),
        ],
        responses=StreamEventsOut,
    )
    def get(self, request: ApiRequest, stream: str):
        query = StreamQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not access.can_read_stream(request.user, stream):
            raise PermissionDenied("You may not read this stream.")
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        limit = min(limit, settings.EVENT_REPLAY_LIMIT)
        records = log.read(stream, after=after, limit=limit + 1)
        body = {
            "stream": stream,
            "head": log.head(stream),
            "events": records[:limit],
            "more": len(records) > limit,
        }
        return Response(StreamEventsOut(body).data)
