"""Thin API views over care services and selectors. Reads of a record are logged."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care import access
from care.models import (
    Client,
    ClientStatusChange,
    Grant,
    NetworkMember,
    OmahaCategory,
    OmahaDomain,
    OmahaTarget,
    OutcomeRating,
    PlanIntervention,
    PlanProblem,
)
from care.selectors import clients as selectors
from care.selectors import records
from care.services import clients as client_services
from care.services import plans as plan_services
from teams.api.core import IdField, TextIn, WholeNumberField, body_of, if_match_version, my_team
from teams.http import ApiRequest

IF_MATCH = OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)


class ClientOut(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    team = serializers.IntegerField(source="team_id")

    class Meta:
        model = Client
        fields = [
            "id",
            "team",
            "name",
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "address",
            "postcode",
            "phone",
            "status",
            "status_since",
            "version",
        ]


class ClientListOut(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")

    class Meta:
        model = Client
        fields = ["id", "name", "postcode", "status", "status_since"]


class ClientIn(serializers.Serializer):
    first_name = TextIn(Client, "first_name", allow_blank=True)
    last_name = TextIn(Client, "last_name", allow_blank=True)
    preferred_name = TextIn(Client, "preferred_name", allow_blank=True, required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    address = TextIn(Client, "address", allow_blank=True, required=False)
    postcode = TextIn(Client, "postcode", allow_blank=True, required=False)
    phone = TextIn(Client, "phone", allow_blank=True, required=False)


class ClientPatchIn(serializers.Serializer):
    first_name = TextIn(Client, "first_name", allow_blank=True, required=False)
    last_name = TextIn(Client, "last_name", allow_blank=True, required=False)
    preferred_name = TextIn(Client, "preferred_name", allow_blank=True, required=False)
    address = TextIn(Client, "address", allow_blank=True, required=False)
    postcode = TextIn(Client, "postcode", allow_blank=True, required=False)
    phone = TextIn(Client, "phone", allow_blank=True, required=False)
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


class StatusIn(serializers.Serializer):
    status = serializers.CharField()
    on = serializers.DateField(required=False)
    note = TextIn(ClientStatusChange, "note", allow_blank=True, required=False, default="")


class GrantOut(serializers.ModelSerializer):
    class Meta:
        model = Grant
        fields = ["id", "scope", "granted_at", "expires_at", "revoked_at"]


class NetworkMemberOut(serializers.ModelSerializer):
    grants = GrantOut(many=True, source="open_grants")
    has_account = serializers.SerializerMethodField()

    class Meta:
        model = NetworkMember
        fields = [
            "id",
            "circle",
            "relationship",
            "name",
            "organisation",
            "phone",
            "email",
            "takes_on",
            "active",
            "has_account",
            "grants",
        ]

    def get_has_account(self, member) -> bool:
        return member.account_id is not None


class NetworkMemberIn(serializers.Serializer):
    circle = serializers.CharField()
    relationship = TextIn(NetworkMember, "relationship", allow_blank=True)
    name = TextIn(NetworkMember, "name", allow_blank=True)
    organisation = TextIn(NetworkMember, "organisation", allow_blank=True, required=False)
    phone = TextIn(NetworkMember, "phone", allow_blank=True, required=False)
    email = TextIn(NetworkMember, "email", allow_blank=True, required=False)
    takes_on = TextIn(NetworkMember, "takes_on", allow_blank=True, required=False)


class GrantIn(serializers.Serializer):
    member = IdField()
    scope = serializers.CharField()
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RatingOut(serializers.Serializer):
    knowledge = serializers.IntegerField()
    behavior = serializers.IntegerField()
    status = serializers.IntegerField()
    rated_on = serializers.DateField()
    note = serializers.CharField()


class InterventionOut(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(source="category.name")
    target = serializers.CharField(source="target.name")
    description = serializers.CharField()
    frequency = serializers.CharField()
    active = serializers.BooleanField()


class PlanProblemOut(serializers.Serializer):
    id = serializers.IntegerField()
    problem = serializers.IntegerField(source="problem.number")
    name = serializers.CharField(source="problem.name")
    domain = serializers.CharField(source="problem.domain.name")
    scope = serializers.CharField()
    severity = serializers.CharField()
    signs = serializers.SerializerMethodField()
    status = serializers.CharField()
    interventions = InterventionOut(many=True)
    ratings = RatingOut(many=True)

    def get_signs(self, entry) -> list[str]:
        return [sign.text for sign in entry.signs.all()]


class PlanOut(serializers.Serializer):
    version = serializers.IntegerField()
    problems = PlanProblemOut(many=True)


class PlanProblemIn(serializers.Serializer):
    problem = IdField()
    scope = serializers.CharField()
    severity = serializers.CharField()
    signs = serializers.ListField(child=IdField(), required=False, default=list)
    version = WholeNumberField(required=False)


class InterventionIn(serializers.Serializer):
    category = IdField()
    target = IdField()
    description = TextIn(PlanIntervention, "description", allow_blank=True)
    frequency = TextIn(PlanIntervention, "frequency", allow_blank=True)
    version = WholeNumberField(required=False)


class RatingIn(serializers.Serializer):
    knowledge = WholeNumberField()
    behavior = WholeNumberField()
    status = WholeNumberField()
    rated_on = serializers.DateField(required=False)
    note = TextIn(OutcomeRating, "note", allow_blank=True, required=False, default="")


class AccessLogOut(serializers.Serializer):
    at = serializers.DateTimeField()
    who = serializers.CharField(source="person.display_name")
    what = serializers.CharField()
    why = serializers.CharField()
    channel = serializers.CharField()


def client_or_404(request, pk: int, *, scope: str, what: str) -> Client:
    client = selectors.client_for(request.user, pk, scope=scope, what=what, channel="api")
    if client is None:
        raise NotFound("No such client among yours.")
    return client


def kept_client_or_404(request, pk: int, what: str) -> Client:
    """A client whose record the person keeps (the care team), the read logged; a
    refused write logs nothing, since nothing was read."""
    client = Client.objects.select_related("team").filter(pk=pk).first()
    if client is None or not access.can_read(request.user, client, "notes"):
        raise NotFound("No such client among yours.")
    if not access.can_keep_record(request.user, client):
        raise PermissionDenied("Only the client's team keeps the record.")
    selectors.log_read(request.user, client, what, channel="api")
    return client


class TeamClientsView(APIView):
    @extend_schema(
        summary="The team's clients (names and status)", responses=ClientListOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        return Response(ClientListOut(selectors.clients_of(request.user, team), many=True).data)

    @extend_schema(
        summary="Take on a client (as a referral)", request=ClientIn, responses={201: ClientOut}
    )
    def post(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        body = body_of(ClientIn, request)
        client = client_services.client_create(actor=request.user, team=team, **body)
        return Response(ClientOut(client).data, status=status.HTTP_201_CREATED)


class ClientView(APIView):
    @extend_schema(summary="A client's details", responses=ClientOut)
    def get(self, request: ApiRequest, pk: int):
        client = client_or_404(request, pk, scope="notes", what="details")
        return Response(ClientOut(client).data, headers={"ETag": f'"{client.version}"'})

    @extend_schema(
        summary="Change a client's details",
        request=ClientPatchIn,
        responses=ClientOut,
        parameters=[IF_MATCH],
    )
    def patch(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "details (to change them)")
        body = body_of(ClientPatchIn, request, partial=True)
        fields = {k: v for k, v in body.items() if k != "version"}
        client = client_services.client_update(
            actor=request.user, client=client, version=if_match_version(request), **fields
        )
        return Response(ClientOut(client).data, headers={"ETag": f'"{client.version}"'})


class ClientStatusView(APIView):
    @extend_schema(
        summary="Referral, active, paused or discharged", request=StatusIn, responses=ClientOut
    )
    def post(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "status (to change it)")
        body = body_of(StatusIn, request)
        client = client_services.client_set_status(actor=request.user, client=client, **body)
        return Response(ClientOut(client).data)


class NetworkView(APIView):
    def _network_client(self, request, pk):
        client = client_or_404(request, pk, scope="notes", what="support network")
        if not (
            access.can_keep_record(request.user, client) or access.speaks_for(request.user, client)
        ):
            raise PermissionDenied(
                "Only the client, their representative and their team see the network."
            )
        return client

    @extend_schema(
        summary="The client's support network and what each may see",
        responses=NetworkMemberOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        client = self._network_client(request, pk)
        return Response(NetworkMemberOut(selectors.network_of(client), many=True).data)

    @extend_schema(
        summary="Add someone to the network",
        request=NetworkMemberIn,
        responses={201: NetworkMemberOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = self._network_client(request, pk)
        body = body_of(NetworkMemberIn, request)
        member = client_services.network_add(actor=request.user, client=client, **body)
        return Response(
            NetworkMemberOut(selectors.network_of(client).get(pk=member.pk)).data, status=201
        )


class GrantsView(APIView):
    @extend_schema(
        summary="Let a network member see one scope (the client or representative)",
        request=GrantIn,
        responses={201: GrantOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = client_or_404(request, pk, scope="notes", what="sharing")
        body = body_of(GrantIn, request)
        member = NetworkMember.objects.filter(pk=body["member"]).first()
        if member is None:
            raise serializers.ValidationError({"member": ["Not in this client's network."]})
        grant = client_services.grant_scope(
            actor=request.user,
            client=client,
            member=member,
            scope=body["scope"],
            expires_at=body["expires_at"],
        )
        return Response(GrantOut(grant).data, status=status.HTTP_201_CREATED)


class GrantRevokeView(APIView):
    @extend_schema(summary="Revoke at once", request=None, responses=GrantOut)
    def post(self, request: ApiRequest, pk: int):
        grant = Grant.objects.select_related("member__client").filter(pk=pk).first()
        if grant is None or not access.can_read(request.user, grant.member.client, "notes"):
            raise NotFound("No such grant.")
        return Response(
            GrantOut(client_services.grant_revoke(actor=request.user, grant=grant)).data
        )


class PlanView(APIView):
    @extend_schema(summary="The care plan, with ratings over time", responses=PlanOut)
    def get(self, request: ApiRequest, pk: int):
        client = client_or_404(request, pk, scope="plan", what="care plan")
        plan = records.plan_of(client)
        return Response(PlanOut(plan).data, headers={"ETag": f'"{plan.version}"'})


class PlanProblemsView(APIView):
    @extend_schema(
        summary="Add an Omaha problem",
        request=PlanProblemIn,
        responses={201: PlanOut},
        parameters=[IF_MATCH],
    )
    def post(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "care plan (to change it)")
        body = body_of(PlanProblemIn, request)
        data = {k: v for k, v in body.items() if k != "version"}
        plan_services.plan_add_problem(
            actor=request.user, client=client, version=if_match_version(request), **data
        )
        return Response(PlanOut(records.plan_of(client)).data, status=status.HTTP_201_CREATED)


def _plan_problem(request, pk: int, what: str) -> PlanProblem:
    entry = PlanProblem.objects.select_related("plan__client").filter(pk=pk).first()
    if entry is None:
        raise NotFound("No such problem in your clients' plans.")
    kept_client_or_404(request, entry.plan.client_id, what)
    return entry


class InterventionsView(APIView):
    @extend_schema(
        summary="Add an intervention to a problem",
        request=InterventionIn,
        responses={201: PlanOut},
        parameters=[IF_MATCH],
    )
    def post(self, request: ApiRequest, pk: int):
        entry = _plan_problem(request, pk, "care plan (to change it)")
        body = body_of(InterventionIn, request)
        data = {k: v for k, v in body.items() if k != "version"}
        plan_services.plan_add_intervention(
            actor=request.user, plan_problem=entry, version=if_match_version(request), **data
        )
        return Response(
            PlanOut(records.plan_of(entry.plan.client)).data, status=status.HTTP_201_CREATED
        )


class RatingsView(APIView):
    @extend_schema(
        summary="Rate Knowledge, Behavior and Status (1 to 5)",
        request=RatingIn,
        responses={201: PlanOut},
    )
    def post(self, request: ApiRequest, pk: int):
        entry = _plan_problem(request, pk, "care plan (to rate it)")
        body = body_of(RatingIn, request)
        plan_services.plan_rate(actor=request.user, plan_problem=entry, **body)
        return Response(
            PlanOut(records.plan_of(entry.plan.client)).data, status=status.HTTP_201_CREATED
        )


class AccessLogView(APIView):
    @extend_schema(
        summary="Who read the record, when, what and why (client and representative)",
        responses=AccessLogOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        client = Client.objects.filter(pk=pk).first()
        rows = selectors.access_log_of(request.user, client) if client else None
        if rows is None:
            raise NotFound("No such client among yours.")
        return Response(AccessLogOut(rows, many=True).data)


class OmahaView(APIView):
    @extend_schema(
        summary="The Omaha System reference set (codes for care plans)",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: ApiRequest):
        domains = OmahaDomain.objects.prefetch_related("problems__signs")
        return Response(
            {
                "domains": [
                    {
                        "code": d.code,
                        "name": d.name,
                        "problems": [
                            {
                                "number": p.number,
                                "name": p.name,
                                "signs": [{"id": s.pk, "text": s.text} for s in p.signs.all()],
                            }
                            for p in d.problems.all()
                        ],
                    }
                    for d in domains
                ],
                "categories": list(OmahaCategory.objects.values("number", "name")),
                "targets": list(OmahaTarget.objects.values("number", "name")),
            }
        )
