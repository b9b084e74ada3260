"""API of a client's visits, series and budget: thin views over care services and
selectors. A visit once planned is one resource of the team board
(``coordination.api.visits``): every write to it is there, answered in one shape.

Recording a purchase takes an Idempotency-Key, so a phone that retries never debits
twice.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care import access
from care.api import client_or_404, kept_client_or_404
from care.models import Budget, LedgerEntry, Visit, VisitSeries
from care.selectors import budgets as budget_selectors
from care.services import budgets as budget_services
from care.services import visits as visit_services
from teams.api.core import IdField, TextIn, WholeNumberField, body_of
from teams.http import ApiRequest

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, description="The same on every retry."
)


# What a visit is for, as the record sheet ticks it to start with.
WHAT_FOR = (
    "What the visit is for: active interventions of the client's care plan, by id;"
    " recording it ticks them to start with."
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
    tasks = TextIn(Visit, "tasks", allow_blank=True, required=False, default="")
    interventions = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        help_text=WHAT_FOR,
    )


class SeriesIn(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        help_text="Days of the week, 0 (Monday) to 6 (Sunday).",
    )
    window_start = serializers.TimeField()
    window_end = serializers.TimeField()
    expected_minutes = WholeNumberField()
    starts = serializers.DateField()
    ends = serializers.DateField(required=False, allow_null=True, default=None)
    tasks = TextIn(VisitSeries, "tasks", allow_blank=True, required=False, default="")
    interventions = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        help_text=f"{WHAT_FOR} Every visit of the series carries them.",
    )
    preferred_carers = serializers.ListField(child=IdField(), required=False, default=list)


class SeriesOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField()
    weekdays = serializers.ListField(child=serializers.IntegerField())
    window_start = serializers.CharField()
    window_end = serializers.CharField()
    expected_minutes = serializers.IntegerField()
    starts = serializers.CharField()
    ends = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    interventions = serializers.ListField(
        child=serializers.IntegerField(), help_text="The plan's interventions its visits are for."
    )
    version = serializers.IntegerField()


class SeriesStartedOut(serializers.Serializer):
    series = SeriesOut()
    visits = VisitOut(many=True, help_text="The visits planned at once, four weeks ahead.")


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
    funder = TextIn(Budget, "funder", allow_blank=True, required=False, default="")


class EntryIn(serializers.Serializer):
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = TextIn(LedgerEntry, "reason", allow_blank=True)
    corrects = IdField(required=False, allow_null=True, default=None)


class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    reason = serializers.CharField()
    on = serializers.DateField()


class ClientVisitsView(APIView):
    @extend_schema(
        summary="A client's visits: who is coming and when", responses=VisitOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        client = client_or_404(request, pk, scope="visits", what="visits")
        visits = client.visits.select_related("assignee").order_by("window_start")
        return Response(VisitOut(visits, many=True).data)

    @extend_schema(summary="Plan a visit", request=VisitIn, responses={201: VisitOut})
    def post(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "visits (to plan one)")
        body = body_of(VisitIn, request)
        visit = visit_services.visit_plan(actor=request.user, client=client, **body)
        return Response(VisitOut(visit).data, status=status.HTTP_201_CREATED)


class ClientSeriesView(APIView):
    @extend_schema(
        summary="Start a repeating visit and plan its next four weeks at once",
        request=SeriesIn,
        responses={201: SeriesStartedOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "visits (to start a series)")
        body = body_of(SeriesIn, request)
        series, visits = visit_services.series_start(actor=request.user, client=client, **body)
        answer = {"series": visit_services.series_state(series), "visits": visits}
        return Response(SeriesStartedOut(answer).data, status=status.HTTP_201_CREATED)


class BudgetView(APIView):
    @extend_schema(
        summary="The budget statement, in figures and plain words", responses=StatementOut
    )
    def get(self, request: ApiRequest, pk: int):
        client = client_or_404(request, pk, scope="budget", what="budget statement")
        budget = budget_selectors.active_budget(client)
        if budget is None:
            raise NotFound("No budget is set up for this client.")
        return Response(StatementOut(budget_selectors.current_statement(budget)).data)

    @extend_schema(
        summary="Set up the client's budget (replaces the active one)",
        request=BudgetIn,
        responses={201: StatementOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = kept_client_or_404(request, pk, "budget (to set it up)")
        body = body_of(BudgetIn, request)
        budget = budget_services.budget_create(actor=request.user, client=client, **body)
        return Response(
            StatementOut(budget_selectors.current_statement(budget)).data,
            status=status.HTTP_201_CREATED,
        )


class BudgetEntriesView(APIView):
    @extend_schema(
        summary="Add a purchase, adjustment or correction (entries are never edited)",
        request=EntryIn,
        responses={201: EntryOut},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request: ApiRequest, pk: int):
        budget = Budget.objects.select_related("client__team").filter(pk=pk).first()
        if budget is None or not access.can_read(request.user, budget.client, "budget"):
            raise NotFound("No such budget among yours.")
        if not access.can_keep_record(request.user, budget.client):
            raise PermissionDenied("Only the client's team keeps the ledger.")
        body = body_of(EntryIn, request)
        entry = budget_services.ledger_add(
            actor=request.user,
            budget=budget,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **body,
        )
        return Response(EntryOut(entry).data, status=status.HTTP_201_CREATED)
