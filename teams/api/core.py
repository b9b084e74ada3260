"""Thin API views over teams services and selectors."""

from __future__ import annotations

from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import selectors, two_factor
from teams.cleaning import TooLong, limit_of
from teams.errors import PreconditionRequired
from teams.http import ApiRequest
from teams.models import Person, Team
from teams.numbers import MAX
from teams.services import details as detail_services


def found[T](row: T | None, message: str) -> T:
    """The row, or a 404 saying so: whether it exists for others is none of the asker's."""
    if row is None:
        raise NotFound(message)
    return row


def body_of(serializer_class, request, **options) -> dict:
    """The request's body, checked by ``serializer_class`` (a 400 naming each field)."""
    body = serializer_class(data=request.data, **options)
    body.is_valid(raise_exception=True)
    return body.validated_data


def my_team(request, pk: int, may=None) -> Team:
    """A team of the asker's and, given ``may`` (an access rule), one it lets them act
    in; 404 for everyone else (seeing a team is not, say, reading its drafts)."""
    team = selectors.team_for(request.user, pk=pk)
    if team is not None and may is not None and not may(request.user, team):
        team = None
    return found(team, "No such team among yours.")


class IdField(serializers.IntegerField):
    """An id in a request body: a whole number a key can hold (teams.numbers)."""

    def __init__(self, **kwargs):
        super().__init__(**{"min_value": 1, "max_value": MAX, **kwargs})


class WholeNumberField(serializers.IntegerField):
    """Any other whole number in a request body, bounded as a key is; the service says
    which values it takes."""

    def __init__(self, **kwargs):
        super().__init__(**{"min_value": -MAX, "max_value": MAX, **kwargs})


# A password no model field holds (only its hash is kept): longer is none.
PASSWORD_MAX = 4096


class TextIn(serializers.CharField):
    """Text in a request body, at most what the model's field holds (``limit_of``):
    longer, it is refused in the services' one wording, and the schema says so."""

    def __init__(self, model: type[models.Model] | str, name: str, **kwargs):
        super().__init__(**kwargs)
        self.max_length = limit_of(model, name)
        self.validators.append(TooLong(self.max_length))


def bounded(low: int, high: int = MAX) -> dict:
    """The schema of a whole-number query parameter, from ``low`` to ``high``."""
    return {"type": "integer", "minimum": low, "maximum": high}


def if_match_version(request) -> int:
    """The version the client saw, from If-Match ("3" or W/"3") or a "version" field."""
    raw = request.headers.get("If-Match")
    if raw is None and isinstance(request.data, dict):
        raw = request.data.get("version")
    if raw is None:
        raise PreconditionRequired()
    text = str(raw).strip().removeprefix("W/").strip('"')
    if not text.isdecimal():
        raise serializers.ValidationError({"version": ["Must be the version number you saw."]})
    return int(text)


class PersonRef(serializers.Serializer):
    """A person where another object points at them: their id and the name shown."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class PersonOut(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = Person
        fields = ["id", "username", "name", "kind"]


class MeOut(PersonOut):
    teams = serializers.SerializerMethodField()
    two_factor = serializers.SerializerMethodField(
        help_text="Whether I sign in with two steps (set up on the account page)."
    )

    class Meta(PersonOut.Meta):
        fields = [*PersonOut.Meta.fields, "email", "two_factor", "teams"]

    def get_two_factor(self, person) -> bool:
        return two_factor.enabled(person)

    def get_teams(self, person) -> list[dict]:
        return [{"id": t.pk, "slug": t.slug, "name": t.name} for t in selectors.teams_of(person)]


class TeamOut(serializers.ModelSerializer):
    stream = serializers.CharField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Team
        fields = [
            "id",
            "slug",
            "name",
            "town",
            "patch",
            "postcodes",
            "phone",
            "email",
            "size_norm",
            "version",
            "stream",
            "members",
        ]

    def get_members(self, team) -> list[dict]:
        memberships = getattr(team, "current_memberships", None)
        if memberships is None:
            memberships = selectors.current_members(team)
        return [
            {"id": m.person_id, "name": m.person.display_name, "joined": m.joined.isoformat()}
            for m in memberships
        ]


class TeamDetailsIn(serializers.Serializer):
    phone = TextIn(Team, "phone", allow_blank=True, required=False)
    email = serializers.EmailField(allow_blank=True, required=False)
    patch = TextIn(Team, "patch", allow_blank=True, required=False)
    postcodes = TextIn(Team, "postcodes", allow_blank=True, required=False)
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


class MeView(APIView):
    @extend_schema(summary="Who am I", responses=MeOut)
    def get(self, request: ApiRequest):
        return Response(MeOut(request.user).data)


class TeamListView(APIView):
    @extend_schema(summary="The teams I belong to", responses=TeamOut(many=True))
    def get(self, request: ApiRequest):
        teams = selectors.teams_with_members(request.user)
        return Response(TeamOut(teams, many=True).data)


class TeamDetailView(APIView):
    @extend_schema(summary="A team I belong to", responses=TeamOut)
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        return Response(TeamOut(team).data, headers={"ETag": f'"{team.version}"'})

    @extend_schema(
        summary="Change the team's contact details and patch",
        request=TeamDetailsIn,
        responses=TeamOut,
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
    )
    def patch(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        body = TeamDetailsIn(data=request.data, partial=True)
        unknown = set(request.data) - set(body.fields) if isinstance(request.data, dict) else set()
        if unknown:
            # Membership, roles and the team's name change only by decision.
            raise serializers.ValidationError(
                {name: ["This cannot be changed here."] for name in sorted(unknown)}
            )
        body.is_valid(raise_exception=True)
        version = if_match_version(request)
        changes = {k: v for k, v in body.validated_data.items() if k != "version"}
        team = detail_services.team_update_details(
            actor=request.user, team=team, version=version, **changes
        )
        return Response(TeamOut(team).data, headers={"ETag": f'"{team.version}"'})
