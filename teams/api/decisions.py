"""API of consent decisions, roles and coaches: thin views over services and selectors.

What a team's invited coaches read (a proposal's title, purpose, details and payload
texts, objections, comments) passes the team's text checks (``teams.texts``): a text
that seems to identify a client is held, a 400 naming what was found under each field
(``payload.<field>`` for a payload's), and under ``extra.fields.confirm_no_client_data``
whether confirming can publish it (``confirm_no_client_data: true``: only for softer
hits, never for a client's identifiers). Nothing is stored or published then."""

from __future__ import annotations

import datetime

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response as ApiResponse
from rest_framework.views import APIView

from teams import decisions, json_input, selectors
from teams.api.core import (
    PersonRef,
    TextIn,
    WholeNumberField,
    body_of,
    found,
    if_match_version,
    my_team,
)
from teams.api.texts import HELD, confirm_field
from teams.http import ApiRequest
from teams.models import Comment, Proposal, Response
from teams.services import proposals as proposal_services


class ResponseOut(serializers.ModelSerializer):
    person = PersonRef()

    class Meta:
        model = Response
        fields = ["id", "person", "revision", "kind", "reason", "state", "at"]


class CommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    author = PersonRef()
    kind = serializers.CharField()
    body = serializers.CharField()
    at = serializers.DateTimeField()


class TallyOut(serializers.Serializer):
    members = serializers.IntegerField()
    needed = serializers.IntegerField()
    responded = serializers.IntegerField()
    consents = serializers.IntegerField()
    open_objections = serializers.IntegerField()


class ProposalOut(serializers.ModelSerializer):
    author = PersonRef()
    team = serializers.IntegerField(source="team_id")
    window_hours = serializers.SerializerMethodField()
    tally = serializers.SerializerMethodField()
    window_open = serializers.SerializerMethodField()
    stage = serializers.SerializerMethodField()

    class Meta:
        model = Proposal
        fields = [
            "id",
            "team",
            "kind",
            "title",
            "purpose",
            "details",
            "payload",
            "author",
            "window_hours",
            "closes_at",
            "window_open",
            "review_date",
            "status",
            "revision",
            "version",
            "created",
            "decided_at",
            "outcome",
            "tally",
            "stage",
        ]

    def get_window_hours(self, proposal) -> float:
        return proposal.window.total_seconds() / 3600

    def get_window_open(self, proposal) -> bool:
        return proposal.status == "open" and timezone.now() < proposal.closes_at

    def _counts(self, proposal) -> dict:
        """The proposal's tally, counted once for its ``tally`` and its ``stage``."""
        counted = self.__dict__.setdefault("_counted", {})
        if proposal.pk not in counted:
            counted[proposal.pk] = proposal_services.tally(proposal)
        return counted[proposal.pk]

    def get_tally(self, proposal) -> dict:
        return TallyOut(self._counts(proposal)).data

    @extend_schema_field(
        serializers.ChoiceField(
            choices=proposal_services.Stage.ALL,
            help_text=(
                "Where the proposal stands: open (its window is open), blocked (the "
                "window closed with an open objection), waiting (for more responses), "
                "closing (being adopted), not_applied (adopting it failed as it stands: "
                "see outcome), adopted or withdrawn."
            ),
        )
    )
    def get_stage(self, proposal) -> str:
        return proposal_services.proposal_stage(proposal, counts=self._counts(proposal))


class ProposalDetailOut(ProposalOut):
    responses = ResponseOut(many=True)
    comments = CommentOut(many=True)

    class Meta(ProposalOut.Meta):
        fields = [*ProposalOut.Meta.fields, "responses", "comments"]


class ProposalIn(serializers.Serializer):
    kind = TextIn(Proposal, "kind")
    title = TextIn(Proposal, "title", allow_blank=True)
    purpose = TextIn(Proposal, "purpose", allow_blank=True)
    details = TextIn(Proposal, "details", allow_blank=True, required=False, default="")
    # decoder: a payload sent as text in a form is parsed too; nesting is bounded.
    payload = serializers.JSONField(required=False, default=dict, decoder=json_input.Decoder)
    # Bounds here only keep the number sane; the service says what the window may be.
    window_hours = serializers.FloatField(
        required=False, min_value=0, max_value=100_000, help_text="1 to 336; default 72."
    )
    review_date = serializers.DateField(required=False, allow_null=True, default=None)
    confirm_no_client_data = confirm_field()


class AmendIn(serializers.Serializer):
    title = TextIn(Proposal, "title", allow_blank=True, required=False)
    purpose = TextIn(Proposal, "purpose", allow_blank=True, required=False)
    details = TextIn(Proposal, "details", allow_blank=True, required=False)
    payload = serializers.JSONField(required=False, decoder=json_input.Decoder)
    window_hours = serializers.FloatField(required=False, min_value=0, max_value=100_000)
    version = WholeNumberField(required=False, help_text="Or send If-Match.")
    confirm_no_client_data = confirm_field()


class CommentIn(serializers.Serializer):
    body = TextIn(Comment, "body", allow_blank=True)
    kind = serializers.ChoiceField(choices=["comment", "question"], default="comment")
    confirm_no_client_data = confirm_field()


class ObjectionIn(serializers.Serializer):
    reason = TextIn(Response, "reason", allow_blank=True)
    confirm_no_client_data = confirm_field()


class RoleTermOut(serializers.Serializer):
    id = serializers.IntegerField()
    person = PersonRef()
    starts = serializers.DateField()
    ends = serializers.DateField()
    ended = serializers.DateField(allow_null=True)
    handover_notes = serializers.CharField()
    decision = serializers.IntegerField(source="decision_id", allow_null=True)


class RoleOut(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    standard = serializers.BooleanField()
    current = RoleTermOut(allow_null=True)
    history = RoleTermOut(many=True)


class KindOut(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field: the metaclass lifts it off the class
    help = serializers.CharField()


class CoachAccessOut(serializers.Serializer):
    coach = PersonRef()
    at = serializers.DateTimeField()
    what = serializers.CharField()


class CoachedTeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()


def _window(hours) -> datetime.timedelta | None:
    return None if hours is None else datetime.timedelta(hours=hours)


def _shared_team(request, pk: int, what: str = ""):
    team = found(
        selectors.shared_team_for(request.user, pk=pk, what=what), "No such team among yours."
    )
    # Opening the team's decisions also settles any whose window closed meanwhile.
    proposal_services.proposals_close_due(team=team)
    return team


def _proposal(request, pk: int) -> Proposal:
    proposal = found(
        selectors.proposal_for(request.user, pk), "No such proposal among your teams'."
    )
    if proposal_services.proposals_close_due(team=proposal.team):
        # Read again: an adopted decision may have taken the asker out of the team.
        proposal = found(
            selectors.proposal_for(request.user, pk, log=False),
            "No such proposal among your teams'.",
        )
    return proposal


def _detail(request, proposal: Proposal, code=status.HTTP_200_OK) -> ApiResponse:
    fresh = selectors.proposal_for(request.user, proposal.pk, log=False) or proposal
    return ApiResponse(
        ProposalDetailOut(fresh).data, status=code, headers={"ETag": f'"{fresh.version}"'}
    )


class DecisionKindsView(APIView):
    @extend_schema(summary="Kinds of decision a team can take", responses=KindOut(many=True))
    def get(self, request: ApiRequest):
        return ApiResponse(KindOut(decisions.all_kinds(), many=True).data)


class TeamProposalsView(APIView):
    @extend_schema(
        summary="A team's proposals",
        parameters=[OpenApiParameter("status", str, enum=["open", "adopted", "withdrawn"])],
        responses=ProposalOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        team = _shared_team(request, pk, "proposals")
        wanted = request.query_params.get("status") or None
        if wanted not in {None, *Proposal.Status.values}:
            raise serializers.ValidationError({"status": ["open, adopted or withdrawn."]})
        return ApiResponse(ProposalOut(selectors.proposals_of(team, status=wanted), many=True).data)

    @extend_schema(
        summary="Raise a proposal",
        request=ProposalIn,
        responses={201: ProposalDetailOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        team = _shared_team(request, pk)  # a write: the service decides who may
        data = body_of(ProposalIn, request)
        window = _window(data.pop("window_hours", None))
        proposal = proposal_services.proposal_raise(
            actor=request.user, team=team, window=window, **data
        )
        return _detail(request, proposal, status.HTTP_201_CREATED)


class ProposalView(APIView):
    @extend_schema(
        summary="A proposal with its responses and comments", responses=ProposalDetailOut
    )
    def get(self, request: ApiRequest, pk: int):
        return _detail(request, _proposal(request, pk))


class ProposalCommentsView(APIView):
    @extend_schema(
        summary="Ask a question or comment",
        request=CommentIn,
        responses={201: ProposalDetailOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        proposal = _proposal(request, pk)
        body = body_of(CommentIn, request)
        proposal_services.proposal_comment(actor=request.user, proposal=proposal, **body)
        return _detail(request, proposal, status.HTTP_201_CREATED)


class ProposalConsentView(APIView):
    @extend_schema(
        summary="Consent to the current revision", request=None, responses=ProposalDetailOut
    )
    def post(self, request: ApiRequest, pk: int):
        arrived = timezone.now()
        proposal = _proposal(request, pk)
        proposal_services.proposal_consent(actor=request.user, proposal=proposal, at=arrived)
        return _detail(request, proposal)


class ProposalObjectView(APIView):
    @extend_schema(
        summary="Object, with a reason",
        request=ObjectionIn,
        responses={201: ProposalDetailOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        arrived = timezone.now()  # an objection counts from when it arrived
        proposal = _proposal(request, pk)
        body = body_of(ObjectionIn, request)
        proposal_services.proposal_object(actor=request.user, proposal=proposal, at=arrived, **body)
        return _detail(request, proposal, status.HTTP_201_CREATED)


class ObjectionWithdrawView(APIView):
    @extend_schema(summary="Withdraw your objection", request=None, responses=ProposalDetailOut)
    def post(self, request: ApiRequest, pk: int):
        objection = Response.objects.select_related("proposal").filter(pk=pk).first()
        if objection is None or selectors.proposal_for(request.user, objection.proposal_id) is None:
            raise NotFound("No such objection.")
        proposal_services.objection_withdraw(actor=request.user, objection=objection)
        return _detail(request, objection.proposal)


class ProposalAmendView(APIView):
    @extend_schema(
        summary="Amend (the author): resolves open objections and reopens the window",
        request=AmendIn,
        responses={200: ProposalDetailOut, 400: HELD},
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
    )
    def post(self, request: ApiRequest, pk: int):
        proposal = _proposal(request, pk)
        body = body_of(AmendIn, request)
        data = {k: v for k, v in body.items() if k not in {"version", "window_hours"}}
        proposal_services.proposal_amend(
            actor=request.user,
            proposal=proposal,
            version=if_match_version(request),
            window=_window(body.get("window_hours")),
            **data,
        )
        return _detail(request, proposal)


class ProposalWithdrawView(APIView):
    @extend_schema(summary="Withdraw (the author)", request=None, responses=ProposalDetailOut)
    def post(self, request: ApiRequest, pk: int):
        proposal = _proposal(request, pk)
        proposal_services.proposal_withdraw(actor=request.user, proposal=proposal)
        return _detail(request, proposal)


class TeamDecisionsView(APIView):
    @extend_schema(
        summary="The decision log, searchable",
        parameters=[OpenApiParameter("search", str)],
        responses=ProposalOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        team = _shared_team(request, pk, "decision log")
        search = request.query_params.get("search", "")[:200]
        found = selectors.with_member_ids(
            list(selectors.decisions_of(team, search=search)), team.pk
        )
        return ApiResponse(ProposalOut(found, many=True).data)


class TeamRolesView(APIView):
    @extend_schema(
        summary="Roles, who holds them until when, and their history", responses=RoleOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        team = _shared_team(request, pk, "roles")
        return ApiResponse(RoleOut(selectors.roles_of(team), many=True).data)


class TeamCoachAccessView(APIView):
    @extend_schema(
        summary="Every read the team's coaches made", responses=CoachAccessOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        return ApiResponse(CoachAccessOut(selectors.coach_accesses_of(team), many=True).data)


class CoachingView(APIView):
    @extend_schema(
        summary="Teams that invite me as their coach", responses=CoachedTeamOut(many=True)
    )
    def get(self, request: ApiRequest):
        return ApiResponse(CoachedTeamOut(selectors.coached_teams(request.user), many=True).data)
