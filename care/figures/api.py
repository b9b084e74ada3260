"""API of team indicators and the figures teams share with the network.

- ``GET teams/{id}/indicators?period=``: the team's own indicators (its members).
- ``GET teams/{id}/figures``: the team's shares, every version (its members).
- ``POST teams/{id}/figures``: share a month's figures (the team's informer).
- ``GET figures?period=``: every team's shared figures for a month, side by side with
  the network median, and the asker's own teams' figures (team members and coaches).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from care.figures import access as figures_access
from care.figures import selectors as selectors
from care.figures import services
from care.figures.compute import DEFINITIONS, METHOD_VERSION, SHARED_KEYS
from care.figures.periods import PERIOD_MAX, parse_period
from teams import selectors as team_selectors
from teams.api.core import PersonRef, body_of, my_team
from teams.http import ApiRequest


def _period_query(description: str) -> OpenApiParameter:
    return OpenApiParameter(
        "period", str, OpenApiParameter.QUERY, required=True, description=description
    )


PERIOD = _period_query('A month "YYYY-MM" or a quarter "YYYY-Qn"; not one in the future.')
MONTH = _period_query('A month "YYYY-MM"; not one in the future.')
NUMBER = {"oneOf": [{"type": "string", "format": "decimal"}, {"type": "integer"}], "nullable": True}


class PeriodIn(serializers.CharField):
    """A period in a request body: it may be left out or blank, and no longer than
    ``PERIOD_MAX``; the service checks the rest."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, allow_blank=True, max_length=PERIOD_MAX, **kwargs)


@extend_schema_field(NUMBER)
class NumberField(serializers.Field):
    """A count (integer), or a decimal figure as a string, or null."""

    def to_representation(self, value):
        return value


class FigureValueOut(serializers.Serializer):
    value = NumberField(help_text="null when there is nothing to divide by")
    numerator = NumberField()
    denominator = NumberField()
    clients = serializers.IntegerField(
        allow_null=True, help_text="Clients the figure rests on (null: none, e.g. stability)."
    )


class IndicatorFigureOut(FigureValueOut):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field: the metaclass lifts it off the class
    unit = serializers.CharField()


class IndicatorProblemOut(serializers.Serializer):
    problem = serializers.IntegerField(help_text="The Omaha problem's number.")
    problems = serializers.IntegerField()
    clients = serializers.IntegerField()
    knowledge_change = serializers.DecimalField(max_digits=6, decimal_places=2)
    behavior_change = serializers.DecimalField(max_digits=6, decimal_places=2)
    status_change = serializers.DecimalField(max_digits=6, decimal_places=2)
    improved = serializers.IntegerField()


class TeamIndicatorsOut(serializers.Serializer):
    team = serializers.IntegerField()
    period = serializers.CharField()
    method_version = serializers.CharField()
    indicators = IndicatorFigureOut(many=True)
    outcomes_by_problem = IndicatorProblemOut(many=True)


class TeamPeriodVersionOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    period = serializers.CharField()
    version = serializers.IntegerField()


class FiguresShareOut(TeamPeriodVersionOut):
    current = serializers.BooleanField()
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)
    method_version = serializers.CharField()
    shared_by = PersonRef()
    shared_at = serializers.DateTimeField()
    figures = serializers.DictField(child=FigureValueOut())


class FiguresShareIn(serializers.Serializer):
    # Checked by the service, which says what a period looks like when it is missing.
    period = PeriodIn(default="", help_text='The month to share, "YYYY-MM"; it must have ended.')


class FiguresOwnTeamOut(serializers.Serializer):
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    shared = serializers.BooleanField()
    changed_since_shared = serializers.BooleanField()
    informer = PersonRef(allow_null=True)
    figures = serializers.DictField(child=FigureValueOut())


class NetworkFiguresOut(serializers.Serializer):
    period = serializers.CharField()
    method_version = serializers.CharField()
    keys = serializers.ListField(child=serializers.CharField())
    teams = FiguresShareOut(many=True)
    median = serializers.DictField(child=NumberField())
    median_of = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many teams' values each median is over."
    )
    own = FiguresOwnTeamOut(many=True, help_text="Your own teams' figures now, shared or not.")


def _period(request, *, months_only: bool = False):
    return parse_period(request.query_params.get("period"), months_only=months_only)


class TeamIndicatorsView(APIView):
    @extend_schema(
        summary="The team's indicators for a month or quarter (its members)",
        parameters=[PERIOD],
        responses=TeamIndicatorsOut,
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        period = _period(request)
        own = selectors.own_figures([team], period)[0]
        data = own.indicators.as_json()
        data["indicators"] = [
            {"key": key, "label": DEFINITIONS[key].label, "unit": DEFINITIONS[key].unit, **figure}
            for key, figure in data["indicators"].items()
        ]
        return Response(TeamIndicatorsOut(data).data)


class TeamFiguresView(APIView):
    @extend_schema(
        summary="What the team shared with the network, every version (its members)",
        responses=FiguresShareOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        return Response(FiguresShareOut(selectors.shares_of(team), many=True).data)

    @extend_schema(
        summary="Share a month's figures with the network (the team's informer)",
        request=FiguresShareIn,
        responses={201: FiguresShareOut},
    )
    def post(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        if not figures_access.can_share_figures(request.user, team):
            raise PermissionDenied(figures_access.informer_refusal(team, services.SHARING))
        body = body_of(FiguresShareIn, request)
        share = services.share_figures(actor=request.user, team=team, period=body["period"])
        return Response(FiguresShareOut(share).data, status=status.HTTP_201_CREATED)


class NetworkFiguresView(APIView):
    @extend_schema(
        summary="Every team's shared figures for a month, with the network median",
        parameters=[MONTH],
        responses=NetworkFiguresOut,
    )
    def get(self, request: ApiRequest):
        if not figures_access.can_read_network_figures(request.user):
            raise PermissionDenied(
                "Shared figures are for the network's teams and coaches. Inspectors read"
                " published snapshots."
            )
        period = _period(request, months_only=True)
        network = selectors.network_figures(period)
        own = selectors.own_figures(list(team_selectors.teams_of(request.user)), period)
        data = {
            "period": period.label,
            "method_version": METHOD_VERSION,
            "keys": list(SHARED_KEYS),
            "teams": [row.share for row in network.rows],
            "median": {key: _plain(value) for key, value in network.median.items()},
            "median_of": network.counted,
            "own": [
                {
                    "team": o.team.pk,
                    "team_name": o.team.name,
                    "shared": o.share is not None,
                    "changed_since_shared": o.changed_since_shared,
                    "informer": o.informer.person if o.informer else None,
                    "figures": {key: o.indicators[key].as_json() for key in SHARED_KEYS},
                }
                for o in own
            ],
        }
        return Response(NetworkFiguresOut(data).data)


def _plain(value):
    return None if value is None else str(value)
