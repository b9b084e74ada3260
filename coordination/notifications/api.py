"""API of notifications: the signed-in person's own, and their preferences.

Only one's own: another person's notification id is 404, exactly like one that does
not exist. The list is newest first, 50 a page, with an opaque ``next`` cursor
(keyset pagination: every page costs the same).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.notifications import selectors, services
from coordination.notifications.models import Notification
from teams.api.core import WholeNumberField, found, if_match_version
from teams.http import ApiRequest


class NotificationOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notification.Kind.choices)
    text = serializers.CharField()
    url = serializers.CharField(help_text="The page to open.")
    created = serializers.DateTimeField()
    read = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(allow_null=True)
    done = serializers.SerializerMethodField(
        help_text="What it asked for has happened or no longer can (it is read too)."
    )
    done_at = serializers.DateTimeField(allow_null=True)
    done_why = serializers.CharField(help_text="Why it is done, in a few words; empty if not.")

    def get_read(self, notification) -> bool:
        return notification.read_at is not None

    def get_done(self, notification) -> bool:
        return notification.done_at is not None


class NotificationPageOut(serializers.Serializer):
    results = NotificationOut(many=True)
    next = serializers.CharField(
        allow_null=True, help_text="Send as ?cursor= for the next (older) page; null at the end."
    )


class UnreadOut(serializers.Serializer):
    unread = serializers.IntegerField()


class ReadAllOut(UnreadOut):
    read = serializers.IntegerField(help_text="How many were marked read now.")


class PreferencesOut(serializers.Serializer):
    muted = serializers.ListField(
        child=serializers.ChoiceField(choices=Notification.Kind.choices),
        help_text="Kinds you get no notifications of.",
    )
    digest = serializers.BooleanField(help_text="A daily email of what is unread.")
    quiet_start = serializers.CharField(
        allow_null=True, help_text="Quiet hours start (HH:MM, local); both or neither."
    )
    quiet_end = serializers.CharField(allow_null=True, help_text="Quiet hours end (HH:MM).")
    version = serializers.IntegerField()


class PreferencesIn(serializers.Serializer):
    muted = serializers.ListField(
        child=serializers.ChoiceField(choices=Notification.Kind.choices), required=False
    )
    digest = serializers.BooleanField(required=False)
    quiet_start = serializers.CharField(allow_null=True, allow_blank=True, required=False)
    quiet_end = serializers.CharField(allow_null=True, allow_blank=True, required=False)
    version = WholeNumberField(required=False, help_text="Or If-Match; optional.")


CONFLICT = OpenApiResponse(description="Changed meanwhile: extra.current is the state now.")


class NotificationListView(APIView):
    @extend_schema(
        summary="My notifications, newest first",
        parameters=[OpenApiParameter("cursor", str, description="From the previous page's next.")],
        responses=NotificationPageOut,
    )
    def get(self, request: ApiRequest):
        page = selectors.notifications_of(request.user, cursor=request.query_params.get("cursor"))
        return Response(NotificationPageOut({"results": page.items, "next": page.next}).data)


class UnreadCountView(APIView):
    @extend_schema(summary="How many of my notifications are unread", responses=UnreadOut)
    def get(self, request: ApiRequest):
        return Response({"unread": selectors.unread_count(request.user)})


class NotificationReadView(APIView):
    @extend_schema(
        summary="Mark one of my notifications read", request=None, responses=NotificationOut
    )
    def post(self, request: ApiRequest, pk: int):
        mine = found(
            selectors.notification_of(request.user, pk), "No such notification among yours."
        )
        read = services.notification_read(actor=request.user, notification=mine)
        return Response(NotificationOut(read).data)


class NotificationsReadAllView(APIView):
    @extend_schema(summary="Mark all my notifications read", request=None, responses=ReadAllOut)
    def post(self, request: ApiRequest):
        read = services.notifications_read_all(actor=request.user)
        return Response({"read": read, "unread": selectors.unread_count(request.user)})


def _preferences_response(preference) -> Response:
    state = selectors.preference_state(preference)
    return Response(PreferencesOut(state).data, headers={"ETag": f'"{state["version"]}"'})


class PreferencesView(APIView):
    @extend_schema(summary="My notification preferences", responses=PreferencesOut)
    def get(self, request: ApiRequest):
        return _preferences_response(selectors.preference_of(request.user))

    @extend_schema(
        summary="Change my notification preferences (what is left out stays)",
        request=PreferencesIn,
        responses={200: PreferencesOut, 409: CONFLICT},
        parameters=[
            OpenApiParameter(
                "If-Match", str, OpenApiParameter.HEADER, description="Optional: the version seen."
            )
        ],
    )
    def patch(self, request: ApiRequest):
        data = request.data
        if not isinstance(data, dict):
            raise ValidationError("Send a JSON object.")
        known = {"muted", "digest", "quiet_start", "quiet_end", "version"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValidationError({name: ["Not a preference."] for name in unknown})
        has_version = "If-Match" in request.headers or "version" in data
        version = if_match_version(request) if has_version else None
        changes = {k: data[k] for k in ("muted", "digest", "quiet_start", "quiet_end") if k in data}
        preference = services.preference_update(actor=request.user, version=version, **changes)
        return _preferences_response(preference)
