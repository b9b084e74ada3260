"""API of published quality data: the experience survey, snapshots and their reads.

- ``GET|POST clients/{id}/surveys``: the client's survey answers (the client, their
  representative and the care team read; the client or representative answers).
- ``GET|POST teams/{id}/snapshot-drafts``: the team's drafts (members); prepare one
  for a period that has ended (the informer).
- ``POST snapshots/{id}/propose``: raise the proposal to publish a draft (members).
- ``GET teams/{id}/snapshots``: one team's published snapshots over time, every
  version, corrections marked.
- ``GET snapshots``: published snapshots across the network (several teams, a period).
- ``GET snapshots/median``: per indicator, the median over each team's latest one.
- ``GET snapshots/{id}``, ``GET snapshots/{id}/export``: one snapshot; its export
  (JSON with the content hash, for anyone to verify).
- ``GET teams/{id}/snapshot-reads``: the inspectors' reads of the team's snapshots.

Published snapshots are read by inspectors, coaches and the network's members; every
read by an inspector is logged. Drafts are the team's own.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care.figures import access as figures_access
from care.figures.api import NumberField, PeriodIn, TeamPeriodVersionOut
from care.figures.periods import parse_period
from care.figures.quality import access, services
from care.figures.quality import selectors as quality_selectors
from care.figures.quality.content import CANONICAL_FORM, HASH_ALGORITHM
from care.models import Client, ExperienceSurvey, Snapshot
from care.selectors.clients import log_read
from teams import selectors as team_selectors
from teams.api.core import PersonRef, TextIn, WholeNumberField, body_of, my_team
from teams.api.decisions import ProposalDetailOut
from teams.http import ApiRequest
from teams.models import Proposal, Team

NOT_FOR_YOU = "Published quality figures are for inspectors, coaches and the teams of the network."

# --- serializers ------------------------------------------------------------------------------


class SurveyOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    period = serializers.CharField()
    recommend = serializers.IntegerField()
    listen = serializers.IntegerField()
    informed = serializers.IntegerField()
    say = serializers.IntegerField()
    comment = serializers.CharField(help_text="For the team; never published.")
    answered_by = PersonRef()
    answered_at = serializers.DateTimeField()


class SurveyIn(serializers.Serializer):
    # Types only: the service says what each answer may be, field by field.
    period = PeriodIn(
        help_text='The quarter, "YYYY-Qn": this one (the default) or the one just ended.'
    )
    recommend = WholeNumberField(help_text="Would you recommend the team? 0 to 10.")
    listen = WholeNumberField(help_text='"The carers listen to me": 1 to 5.')
    informed = WholeNumberField(help_text='"I know who is coming and when": 1 to 5.')
    say = WholeNumberField(help_text='"I have a say in my care": 1 to 5.')
    comment = TextIn(ExperienceSurvey, "comment", required=False, allow_blank=True, default="")


class FigureOut(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field: the metaclass lifts it off the class
    unit = serializers.CharField()
    family = serializers.CharField()
    value = NumberField(help_text='null when hidden ("suppressed") or nothing to divide by')
    numerator = NumberField()
    denominator = NumberField()
    clients = serializers.IntegerField(allow_null=True)
    suppressed = serializers.CharField(
        allow_null=True, help_text='"fewer than 5" when the figure is hidden, else null'
    )


class ProblemRowOut(serializers.Serializer):
    problem = serializers.IntegerField(help_text="The Omaha problem's number.")
    name = serializers.CharField()
    problems = serializers.IntegerField(allow_null=True)
    clients = serializers.IntegerField(allow_null=True)
    improved = serializers.IntegerField(allow_null=True)
    knowledge_change = serializers.CharField(allow_null=True)
    behavior_change = serializers.CharField(allow_null=True)
    status_change = serializers.CharField(allow_null=True)
    suppressed = serializers.CharField(allow_null=True)


class ContentOut(serializers.Serializer):
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    period = serializers.CharField()
    period_kind = serializers.ChoiceField(choices=["month", "quarter"])
    first_day = serializers.DateField()
    last_day = serializers.DateField()
    method_version = serializers.CharField()
    threshold = serializers.IntegerField()
    legend = serializers.CharField()
    indicators = serializers.DictField(child=FigureOut())
    outcomes_by_problem = ProblemRowOut(many=True)


@extend_schema_field(ContentOut)
class ContentField(serializers.Field):
    """The snapshot's content exactly as stored and hashed."""

    def to_representation(self, value):
        return value


class SnapshotOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = serializers.IntegerField()
    team_name = serializers.CharField()
    period = serializers.CharField()
    status = serializers.ChoiceField(choices=Snapshot.Status.choices)
    version = serializers.IntegerField(allow_null=True)
    method_version = serializers.CharField()
    prepared_at = serializers.DateTimeField()
    prepared_by = PersonRef(allow_null=True, help_text="Drafts only (to the team).")
    published_at = serializers.DateTimeField(allow_null=True)
    decision = serializers.IntegerField(allow_null=True, help_text="The adopted proposal.")
    corrects = serializers.IntegerField(allow_null=True)
    corrects_version = serializers.IntegerField(allow_null=True)
    corrected_by = serializers.IntegerField(allow_null=True)
    corrected_by_version = serializers.IntegerField(allow_null=True)
    marked = serializers.CharField(help_text='"corrected by v2" when a later version corrects it.')
    open_proposal = serializers.IntegerField(
        allow_null=True, help_text="Drafts: the open proposal to publish it."
    )
    content_hash = serializers.CharField(help_text="SHA-256 of the canonical JSON of content.")
    content = ContentField()


class SnapshotExportOut(serializers.Serializer):
    format = serializers.CharField()
    snapshot = SnapshotOut()
    hash_algorithm = serializers.CharField()
    canonical_form = serializers.CharField()


class PrepareIn(serializers.Serializer):
    # Checked by the service, which says what a period looks like when it is missing.
    period = PeriodIn(
        default="", help_text='A month "YYYY-MM" or a quarter "YYYY-Qn" that has ended.'
    )


class ProposeIn(serializers.Serializer):
    title = TextIn(Proposal, "title", required=False, allow_blank=True, default="")
    purpose = TextIn(Proposal, "purpose", required=False, allow_blank=True, default="")
    details = TextIn(Proposal, "details", required=False, allow_blank=True, default="")
    window_hours = serializers.FloatField(
        required=False, min_value=0, max_value=100_000, help_text="1 to 336; default 72."
    )


class MedianSnapshotOut(TeamPeriodVersionOut):
    method_version = serializers.CharField()


class NetworkMedianOut(serializers.Serializer):
    period = serializers.CharField(allow_null=True)
    method_version = serializers.CharField()
    median = serializers.DictField(child=NumberField())
    median_of = serializers.DictField(
        child=serializers.IntegerField(), help_text="How many teams' figures each median is of."
    )
    snapshots = MedianSnapshotOut(many=True)
    left_out = MedianSnapshotOut(many=True, help_text="Under another method: not counted.")


class SnapshotReadOut(serializers.Serializer):
    snapshot = serializers.IntegerField(source="snapshot_id")
    period = serializers.CharField(source="snapshot.period")
    version = serializers.IntegerField(source="snapshot.version")
    inspector = PersonRef(source="person")
    at = serializers.DateTimeField()
    what = serializers.CharField()


# --- shaping ----------------------------------------------------------------------------------


def snapshot_data(snapshot: Snapshot) -> dict:
    """A snapshot for the API. Published: no person's name (inspectors read it)."""
    later = quality_selectors.published_correction(snapshot) if snapshot.is_published else None
    return {
        "id": snapshot.pk,
        "team": snapshot.team_id,
        "team_name": snapshot.team.name,
        "period": snapshot.period,
        "status": snapshot.status,
        "version": snapshot.version,
        "method_version": snapshot.method_version,
        "prepared_at": snapshot.prepared_at,
        "prepared_by": None if snapshot.is_published else snapshot.prepared_by,
        "published_at": snapshot.published_at,
        "decision": snapshot.decision_id,
        "corrects": snapshot.corrects_id,
        "corrects_version": snapshot.corrects.version if snapshot.corrects else None,
        "corrected_by": later.pk if later else None,
        "corrected_by_version": later.version if later else None,
        "marked": f"corrected by v{later.version}" if later else "",
        "open_proposal": getattr(getattr(snapshot, "open_proposal", None), "pk", None),
        "content_hash": snapshot.content_hash,
        "content": snapshot.content,
    }


def _snapshots_out(snapshots) -> list:
    # many=True makes a ListSerializer, whose data is a list; the stubs cannot see that.
    return SnapshotOut([snapshot_data(s) for s in snapshots], many=True).data  # type: ignore[return-value]


def _reader(request) -> None:
    if not access.can_read_published(request.user):
        raise PermissionDenied(NOT_FOR_YOU)


def _period_param(request, *, required: bool = False) -> str | None:
    raw = request.query_params.get("period")
    if not raw and not required:
        return None
    return parse_period(raw).label


def _client(request, pk: int) -> Client:
    client = Client.objects.select_related("team").filter(pk=pk).first()
    if client is None or not access.can_read_surveys(request.user, client):
        raise NotFound("No such record among yours.")
    return client


PERIOD = OpenApiParameter(
    "period", str, description='A month "YYYY-MM" or a quarter "YYYY-Qn"; all when left out.'
)


# --- views ------------------------------------------------------------------------------------


class ClientSurveysView(APIView):
    @extend_schema(
        summary="The client's experience survey answers (client, representative, care team)",
        responses=SurveyOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        client = _client(request, pk)
        log_read(request.user, client, "experience survey answers", channel="api")
        surveys = quality_selectors.surveys_of(client)
        return Response(SurveyOut(surveys, many=True).data)

    @extend_schema(
        summary="Answer the experience survey for a quarter (the client or representative)",
        request=SurveyIn,
        responses={201: SurveyOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = _client(request, pk)
        if not access.can_answer_survey(request.user, client):
            raise PermissionDenied("Only the client, or the representative they named, answers.")
        body = body_of(SurveyIn, request)
        survey = services.survey_answer(actor=request.user, client=client, **body)
        return Response(SurveyOut(survey).data, status=status.HTTP_201_CREATED)


class TeamDraftsView(APIView):
    @extend_schema(
        summary="The team's draft snapshots (its members)", responses=SnapshotOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk, may=access.can_read_drafts)
        return Response(_snapshots_out(quality_selectors.drafts_of(team)))

    @extend_schema(
        summary="Prepare a draft snapshot of a period that has ended (the team's informer)",
        request=PrepareIn,
        responses={201: SnapshotOut},
    )
    def post(self, request: ApiRequest, pk: int):
        team = my_team(request, pk, may=access.can_read_drafts)
        if not access.can_prepare_snapshot(request.user, team):
            raise PermissionDenied(figures_access.informer_refusal(team, services.PREPARING))
        body = body_of(PrepareIn, request)
        draft = services.snapshot_prepare(actor=request.user, team=team, period=body["period"])
        fresh = quality_selectors.snapshot_by_id(draft.pk)
        if fresh is None:
            raise RuntimeError(f"Snapshot {draft.pk} is gone right after it was prepared.")
        return Response(SnapshotOut(snapshot_data(fresh)).data, status=status.HTTP_201_CREATED)


def _readable(request, pk: int) -> Snapshot:
    snapshot = quality_selectors.snapshot_by_id(pk)
    if snapshot is None or not access.can_read_snapshot(request.user, snapshot):
        raise NotFound("No such snapshot among those you may read.")
    return snapshot


class SnapshotView(APIView):
    @extend_schema(
        summary="One snapshot (published: the network; drafts: the team)", responses=SnapshotOut
    )
    def get(self, request: ApiRequest, pk: int):
        snapshot = _readable(request, pk)
        if not snapshot.is_published:
            snapshot.open_proposal = services.open_proposal_for(snapshot)
        quality_selectors.log_reads(request.user, [snapshot], "snapshot", "api")
        return Response(SnapshotOut(snapshot_data(snapshot)).data)


class SnapshotExportView(APIView):
    @extend_schema(
        summary="Export a published snapshot as JSON, with its content hash",
        responses=SnapshotExportOut,
    )
    def get(self, request: ApiRequest, pk: int):
        snapshot = _readable(request, pk)
        if not snapshot.is_published:
            raise NotFound("Only published snapshots are exported.")
        quality_selectors.log_reads(request.user, [snapshot], "export (JSON)", "api")
        data = {
            "format": "kith-quality-snapshot/1",
            "snapshot": snapshot_data(snapshot),
            "hash_algorithm": HASH_ALGORITHM,
            "canonical_form": CANONICAL_FORM,
        }
        name = f"kith-{snapshot.team.slug}-{snapshot.period}-v{snapshot.version}.json"
        return Response(
            SnapshotExportOut(data).data,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )


class SnapshotProposeView(APIView):
    @extend_schema(
        summary="Propose a draft for publication (a member): the team decides by consent",
        request=ProposeIn,
        responses={201: ProposalDetailOut},
    )
    def post(self, request: ApiRequest, pk: int):
        snapshot = quality_selectors.snapshot_by_id(pk)
        if snapshot is None or not access.can_read_drafts(request.user, snapshot.team_id):
            raise NotFound("No such snapshot among your team's.")
        data = body_of(ProposeIn, request)
        hours = data.pop("window_hours", None)
        proposal = services.snapshot_propose(
            actor=request.user,
            snapshot=snapshot,
            window=None if hours is None else datetime.timedelta(hours=hours),
            **data,
        )
        fresh = team_selectors.proposal_for(request.user, proposal.pk, log=False) or proposal
        return Response(
            ProposalDetailOut(fresh).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{fresh.version}"'},
        )


class TeamSnapshotsView(APIView):
    @extend_schema(
        summary="One team's published snapshots over time, every version",
        responses=SnapshotOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        _reader(request)
        if not Team.objects.filter(pk=pk).exists():
            raise NotFound("No such team.")
        snapshots = list(quality_selectors.published_of(pk))
        quality_selectors.log_reads(request.user, snapshots, "team's snapshots", "api")
        return Response(_snapshots_out(snapshots))


class NetworkSnapshotsView(APIView):
    @extend_schema(
        summary="Published snapshots across the network: several teams side by side",
        parameters=[
            OpenApiParameter("team", int, many=True, description="Teams to show (all if none)."),
            PERIOD,
            OpenApiParameter(
                "every_version", bool, description="Also the versions later ones corrected."
            ),
        ],
        responses=SnapshotOut(many=True),
    )
    def get(self, request: ApiRequest):
        _reader(request)
        raw = [t for value in request.query_params.getlist("team") for t in value.split(",")]
        if any(not t.strip().isdecimal() for t in raw):
            raise serializers.ValidationError({"team": ["Team ids, e.g. team=3&team=7."]})
        every = request.query_params.get("every_version", "").lower() in {"1", "true", "yes"}
        snapshots = list(
            quality_selectors.network_published(
                teams=[int(t) for t in raw] if raw else None,
                period=_period_param(request),
                every_version=every,
            )
        )
        quality_selectors.log_reads(request.user, snapshots, "network snapshots", "api")
        return Response(_snapshots_out(snapshots))


class NetworkMedianView(APIView):
    @extend_schema(
        summary="Per indicator, the network median over each team's latest published snapshot",
        parameters=[PERIOD],
        responses=NetworkMedianOut,
    )
    def get(self, request: ApiRequest):
        _reader(request)
        found = quality_selectors.network_median(_period_param(request))
        quality_selectors.log_reads(request.user, found.snapshots, "network median", "api")
        data = {
            "period": found.period,
            "method_version": found.method_version,
            "median": {k: None if v is None else str(v) for k, v in found.median.items()},
            "median_of": found.counted,
            "snapshots": found.snapshots,
            "left_out": found.left_out,
        }
        return Response(NetworkMedianOut(data).data)


class TeamSnapshotReadsView(APIView):
    @extend_schema(
        summary="Inspectors' reads of the team's published snapshots (its members)",
        responses=SnapshotReadOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk, may=access.can_read_snapshot_reads)
        return Response(SnapshotReadOut(quality_selectors.reads_of(team), many=True).data)
