"""API of visits and budgets: thin views over care services and selectors.

Writes to a visit carry the version the client saw (If-Match); recording a visit as
done takes an Idempotency-Key, so a phone that retries never debits twice.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care import access, services
from care.api import IF_MATCH, client_or_404, kept_client_or_404
from care.models import Budget, Visit
from care.selectors import budgets as budget_selectors
from teams.api.core import IdField, WholeNumberField, if_match_version
from teams.models import Person

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, description="The same on every retry."
)


class VisitOut(serializers.ModelSerializer):
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
            "actual_start",
            "actual_end",
            "version",
        ]

    def get_assignee(self, visit) -> dict | None:
        person = visit.assignee
        return {"id": person.pk, "name": person.display_name} if person else None


class VisitIn(serializers.Serializer):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    expected_minutes = WholeNumberField()
    tasks = serializers.CharField(max_length=2000, allow_blank=True, required=False, default="")


class AssignIn(serializers.Serializer):
    person = IdField(allow_null=True)
    version = WholeNumberField(required=False)


class FinishIn(serializers.Serializer):
    actual_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    actual_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    version = WholeNumberField(required=False)


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")
    version = WholeNumberField(required=False)


class StatementOut(serializers.Serializer):
    budget = serializers.IntegerField(source="budget_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    allocated = serializers.DecimalField(max_digits=12, decimal_places=2)
    planned = serializers.DecimalField(max_digits=12, decimal_places=2)
    delivered = serializers.DecimalField(max_digits=12, decimal_places=2)
    other = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2)
    projected_remaining = serializers.DecimalField(max_digits=12, decimal_places=2)
    in_words = serializers.CharField()


class BudgetIn(serializers.Serializer):
    kind = serializers.CharField()
    period = serializers.CharField()
    allocation = serializers.DecimalField(max_digits=12, decimal_places=2)
    hourly_rate = serializers.DecimalField(max_digits=10, decimal_places=2)
    starts = serializers.DateField()
    funder = serializers.CharField(max_length=120, allow_blank=True, required=False, default="")


class EntryIn(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField(max_length=500, allow_blank=True)
    corrects = IdField(required=False, allow_null=True, default=None)


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()
    on = serializers.DateField()


def _visit(request, pk: int, what: str, *, keep: bool) -> Visit:
    visit = Visit.objects.select_related("client__team", "assignee").filter(pk=pk).first()
    if visit is None:
        raise NotFound("No such visit among yours.")
    if keep:
        kept_client_or_404(request, visit.client_id, what)
    else:
        client_or_404(request, visit.client_id, scope="visits", what=what)
    return visit


class ClientVisitsView(APIView):
    @extend_schema(
        summary="A client's visits: who is coming and when", responses=VisitOut(many=True)
    )
    def get(self, request, pk: int):
        client = client_or_404(request, pk, scope="visits", what="visits")
        visits = client.visits.select_related("assignee").order_by("window_start")
        return Response(VisitOut(visits, many=True).data)

    @extend_schema(summary="Plan a visit", request=VisitIn, responses={201: VisitOut})
    def post(self, request, pk: int):
        client = kept_client_or_404(request, pk, "visits (to plan one)")
        body = VisitIn(data=request.data)
        body.is_valid(raise_exception=True)
        visit = services.visit_plan(actor=request.user, client=client, **body.validated_data)
        return Response(VisitOut(visit).data, status=status.HTTP_201_CREATED)


class VisitAssignView(APIView):
    @extend_schema(
        summary="Assign (or unassign) a visit",
        request=AssignIn,
        responses=VisitOut,
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = _visit(request, pk, "visit (to assign it)", keep=True)
        body = AssignIn(data=request.data)
        body.is_valid(raise_exception=True)
        person_id = body.validated_data["person"]
        person = Person.objects.filter(pk=person_id).first() if person_id is not None else None
        if person_id is not None and person is None:
            raise serializers.ValidationError({"person": ["No such person."]})
        visit = services.visit_assign(
            actor=request.user, visit=visit, person=person, version=if_match_version(request)
        )
        return Response(VisitOut(visit).data)


class VisitStartView(APIView):
    @extend_schema(summary="Start a visit", request=None, responses=VisitOut, parameters=[IF_MATCH])
    def post(self, request, pk: int):
        visit = _visit(request, pk, "visit (to start it)", keep=True)
        visit = services.visit_start(
            actor=request.user, visit=visit, version=if_match_version(request)
        )
        return Response(VisitOut(visit).data)


class VisitFinishView(APIView):
    @extend_schema(
        summary="Record a visit as done (debits the budget once)",
        request=FinishIn,
        responses=VisitOut,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int):
        visit = _visit(request, pk, "visit (to record it)", keep=True)
        body = FinishIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if k != "version"}
        visit = services.visit_finish(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            idempotency_key=request.headers.get("Idempotency-Key"),
            **data,
        )
        return Response(VisitOut(visit).data)


class VisitCancelView(APIView):
    @extend_schema(
        summary="Cancel a visit", request=ReasonIn, responses=VisitOut, parameters=[IF_MATCH]
    )
    def post(self, request, pk: int):
        visit = _visit(request, pk, "visit (to cancel it)", keep=True)
        body = ReasonIn(data=request.data)
        body.is_valid(raise_exception=True)
        visit = services.visit_cancel(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            reason=body.validated_data["reason"],
        )
        return Response(VisitOut(visit).data)


class BudgetView(APIView):
    @extend_schema(
        summary="The budget statement, in figures and plain words", responses=StatementOut
    )
    def get(self, request, pk: int):
        client = client_or_404(request, pk, scope="budget", what="budget statement")
        budget = Budget.objects.filter(client=client, active=True).first()
        if budget is None:
            raise NotFound("No budget is set up for this client.")
        return Response(
            StatementOut(budget_selectors.current_statement(budget, timezone.localdate())).data
        )

    @extend_schema(
        summary="Set up the client's budget (replaces the active one)",
        request=BudgetIn,
        responses={201: StatementOut},
    )
    def post(self, request, pk: int):
        client = kept_client_or_404(request, pk, "budget (to set it up)")
        body = BudgetIn(data=request.data)
        body.is_valid(raise_exception=True)
        budget = services.budget_create(actor=request.user, client=client, **body.validated_data)
        return Response(
            StatementOut(budget_selectors.current_statement(budget, timezone.localdate())).data,
            status=status.HTTP_201_CREATED,
        )


class BudgetEntriesView(APIView):
    @extend_schema(
        summary="Add a purchase, adjustment or correction (entries are never edited)",
        request=EntryIn,
        responses={201: EntryOut},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, pk: int):
        budget = Budget.objects.select_related("client__team").filter(pk=pk).first()
        if budget is None or not access.can_read(request.user, budget.client, "budget"):
            raise NotFound("No such budget among yours.")
        if not access.can_keep_record(request.user, budget.client):
            raise PermissionDenied("Only the client's team keeps the ledger.")
        body = EntryIn(data=request.data)
        body.is_valid(raise_exception=True)
        entry = services.ledger_add(
            actor=request.user,
            budget=budget,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **body.validated_data,
        )
        return Response(EntryOut(entry).data, status=status.HTTP_201_CREATED)
