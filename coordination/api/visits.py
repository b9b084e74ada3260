"""The team board and its visits: one visit resource. Every write to a visit (take it,
assign it, start it, record it, cancel it, say you are late, offer it to a colleague)
answers with the visit as the board shows it and its version in an ``ETag``; every one
carries the version it saw (If-Match, or a ``version`` field) and a stale one is a 409
with the visit as it is now.

The board (``teams/<pk>/board``) and its actions are for the team's members:
everyone else, coaches, inspectors and the client's own portal included, gets 404.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from care.models import Visit
from care.services import visits as visit_services
from coordination import selectors
from coordination.api.common import OverlapIn, VersionedWrite, VersionIn, write_schema
from coordination.models import HandoverOffer
from coordination.services import handovers as handover_services
from teams import selectors as team_selectors
from teams.api.core import (
    IdField,
    PersonRef,
    TextIn,
    WholeNumberField,
    bounded,
    found,
)
from teams.http import ApiRequest


class OfferOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="handover or swap.")
    visit = serializers.IntegerField(source="visit_id")
    swap_visit = serializers.IntegerField(source="swap_visit_id", allow_null=True)
    from_person = PersonRef()
    to_person = PersonRef()
    visit_version = serializers.IntegerField(help_text="The visit's version when offered.")
    swap_visit_version = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()
    reason = serializers.CharField(help_text="Why it was declined.")
    status = serializers.CharField(
        help_text="offered, accepted, declined, withdrawn or expired (lapsed)."
    )
    version = serializers.IntegerField()
    created = serializers.DateTimeField()
    answered = serializers.DateTimeField(allow_null=True)


class BoardVisitOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    client_name = serializers.CharField(source="client.display_name")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    expected_minutes = serializers.IntegerField()
    tasks = serializers.CharField(help_text="What the visit is for.")
    status = serializers.CharField(
        help_text="planned, assigned, in_progress, done, cancelled or missed."
    )
    assignee = PersonRef(allow_null=True)
    late = serializers.SerializerMethodField(help_text="Running late and not started yet.")
    late_until = serializers.DateTimeField(allow_null=True)
    late_note = serializers.CharField()
    actual_start = serializers.DateTimeField(allow_null=True)
    actual_end = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    offers = OfferOut(source="open_offers", many=True, help_text="Open handover/swap offers.")

    def get_late(self, visit) -> bool:
        return visit.late_until is not None and visit.status in Visit.OPEN_STATUSES

    def to_representation(self, visit) -> dict:
        """The declared fields' output, written out: every phone on the team reads the
        board at every change, and DRF's field-by-field walk was most of a board
        request. The same keys, values and formats as the declared fields (which the
        schema reads); a test compares the two for visits in every state."""
        moment = self.fields["window_start"].to_representation
        assignee = visit.assignee
        offers = visit.open_offers
        return {
            "id": visit.pk,
            "client": visit.client_id,
            "client_name": visit.client.display_name,
            "window_start": moment(visit.window_start),
            "window_end": moment(visit.window_end),
            "expected_minutes": visit.expected_minutes,
            "tasks": visit.tasks,
            "status": visit.status,
            "assignee": None
            if assignee is None
            else {"id": assignee.pk, "name": assignee.display_name},
            "late": self.get_late(visit),
            "late_until": moment(visit.late_until),
            "late_note": visit.late_note,
            "actual_start": moment(visit.actual_start),
            "actual_end": moment(visit.actual_end),
            "version": visit.version,
            "offers": self.fields["offers"].to_representation(offers) if offers else [],
        }


class BoardOut(serializers.Serializer):
    team = serializers.IntegerField(source="team.pk")
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    stream = serializers.CharField(help_text="Subscribe with /ws/live/?since=<stream>:<seq>.")
    seq = serializers.IntegerField(help_text="The stream's head, read before the visits.")
    visits = BoardVisitOut(many=True)


class BoardQuery(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="The first day (default today).")
    days = serializers.IntegerField(min_value=1, max_value=selectors.MAX_DAYS, default=1)


class LateIn(VersionIn):
    until = serializers.DateTimeField(
        allow_null=True, help_text="When you now expect to arrive; null: on time after all."
    )
    note = TextIn(Visit, "late_note", allow_blank=True, required=False, default="")


class AssignIn(OverlapIn):
    person = IdField(allow_null=True, help_text="Who goes (a person id); null: nobody yet.")


class StartIn(VersionIn):
    went = serializers.ChoiceField(
        choices=[visit_services.WENT_ME, visit_services.WENT_HOLDER],
        required=False,
        default="",
        allow_blank=True,
        help_text="For a visit a colleague holds, who went: me (you take it) or holder"
        " (they went; you record it for them). Required then.",
    )
    reason = TextIn(
        Visit,
        "start_note",
        allow_blank=True,
        required=False,
        default="",
        help_text="Why it starts far outside its window (required then).",
    )


class DoneIn(serializers.Serializer):
    intervention = IdField(help_text="An intervention of the client's care plan.")
    done = serializers.BooleanField()


class RerateIn(serializers.Serializer):
    problem = IdField(help_text="A problem of the client's care plan: its id in the plan.")
    knowledge = WholeNumberField(allow_null=True, required=False, default=None, help_text="1 to 5.")
    behavior = WholeNumberField(allow_null=True, required=False, default=None, help_text="1 to 5.")
    status = WholeNumberField(allow_null=True, required=False, default=None, help_text="1 to 5.")


class FinishIn(VersionIn):
    actual_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    actual_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    note = TextIn(Visit, "done_note", allow_blank=True, required=False, default="")
    interventions = DoneIn(
        many=True,
        required=False,
        default=None,
        help_text="What was done of the plan: each intervention, done or not done.",
    )
    ratings = RerateIn(
        many=True,
        required=False,
        default=None,
        help_text="Re-ratings of the plan's problems recorded with the visit (the client's"
        " team only): Knowledge, Behavior and Status, all three 1 to 5, each problem once."
        " A refused scale is named rating-<problem>-<scale> in extra.fields. A retry under"
        " the same Idempotency-Key adds none.",
    )

    def validate_interventions(self, value):
        if value is None:
            return None
        done = {item["intervention"]: item["done"] for item in value}
        if len(done) != len(value):
            raise serializers.ValidationError("Each intervention once.")
        return done


class RecordIn(FinishIn, StartIn):
    actual_start = serializers.DateTimeField(
        allow_null=True, help_text="When it began (required unless it was started in Kith)."
    )


class ReasonIn(VersionIn):
    reason = TextIn(Visit, "cancel_reason", allow_blank=True, required=False, default="")


class HandoverIn(VersionIn):
    to = IdField(help_text="The colleague (a person id) offered the visit.")
    note = TextIn(HandoverOffer, "note", allow_blank=True, required=False, default="")


class SwapIn(VersionIn):
    swap_visit = IdField(help_text="The colleague's visit you would take.")
    swap_version = WholeNumberField(help_text="The version of that visit you saw.")
    note = TextIn(HandoverOffer, "note", allow_blank=True, required=False, default="")


class DeclineIn(VersionIn):
    reason = TextIn(HandoverOffer, "reason", allow_blank=True, required=False, default="")


class TeamBoardView(APIView):
    @extend_schema(
        summary="The team board: visits by day, carer and status, with open offers",
        description=(
            "Take the snapshot, then subscribe with /ws/live/?since=<stream>:<seq>; apply a"
            " visit.* event only when its data.version is newer than the visit's version you"
            " hold, a handover.* event only when its data.version is newer than the offer's."
        ),
        parameters=[
            OpenApiParameter("date", str, description="First day, YYYY-MM-DD (default today)."),
            OpenApiParameter(
                "days",
                bounded(1, selectors.MAX_DAYS),
                description=f"How many days, 1 to {selectors.MAX_DAYS} (default 1).",
            ),
        ],
        responses=BoardOut,
    )
    def get(self, request: ApiRequest, pk: int):
        team = found(selectors.board_team(request.user, pk=pk), "No such team among yours.")
        query = BoardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("date") or timezone.localdate()
        snapshot = selectors.board(team, start, query.validated_data["days"])
        return Response(BoardOut(snapshot).data)


class _VisitWrite(VersionedWrite):
    answer: type[serializers.Serializer] = BoardVisitOut
    row_name = "visit"

    def target(self, request, pk: int) -> Visit:
        # A visit of one of the asker's teams' clients; 404 for everyone else.
        return found(selectors.team_visit_for(request.user, pk), "No such visit among yours.")

    # The visit written; a write that makes an offer shows the offer instead.
    def shown(self, request, result) -> dict:
        return BoardVisitOut(selectors.board_visit(result.pk)).data


class _OfferWrite(VersionedWrite):
    answer, row_name = OfferOut, "offer"

    def target(self, request, pk: int) -> HandoverOffer:
        return found(selectors.handover_offer_for(request.user, pk), "No such offer among yours.")


@write_schema("Take an unassigned visit yourself")
class VisitClaimView(_VisitWrite):
    body, service = OverlapIn, staticmethod(visit_services.visit_claim)


@write_schema("Say you are running late, and when you expect to arrive")
class VisitLateView(_VisitWrite):
    body, service = LateIn, staticmethod(visit_services.visit_running_late)


@write_schema("Assign (or unassign) a visit")
class VisitAssignView(_VisitWrite):
    body = AssignIn

    def act(self, request, visit, version, data):
        person = None
        if data["person"] is not None:
            person = team_selectors.person_by_id(data["person"])
            if person is None:
                raise serializers.ValidationError({"person": ["No such person."]})
        return visit_services.visit_assign(
            actor=request.user,
            visit=visit,
            person=person,
            version=version,
            confirm_overlap=data["confirm_overlap"],
        )


@write_schema("Start a visit")
class VisitStartView(_VisitWrite):
    body, service = StartIn, staticmethod(visit_services.visit_start)


@write_schema("Record a started visit as done (debits the budget once)")
class VisitFinishView(_VisitWrite):
    body, idempotent = FinishIn, True
    service = staticmethod(visit_services.visit_finish)


@write_schema(
    "Record a visit done with its real times, afterwards",
    description=(
        "A visit never started in Kith is started at actual_start and recorded done in"
        " one step (both, or neither); a started one is recorded as with finish. The"
        " budget is debited once, and a retry with the same Idempotency-Key gets the"
        " first result."
    ),
)
class VisitRecordView(_VisitWrite):
    body, idempotent = RecordIn, True
    service = staticmethod(visit_services.visit_record)


@write_schema("Cancel a visit")
class VisitCancelView(_VisitWrite):
    body, service = ReasonIn, staticmethod(visit_services.visit_cancel)


class _OfferMade(_VisitWrite):
    answer, code = OfferOut, status.HTTP_201_CREATED
    shown = VersionedWrite.shown  # the offer made, not the visit


@write_schema("Offer your visit to a colleague")
class VisitHandoversView(_OfferMade):
    body = HandoverIn

    def act(self, request, visit, version, data):
        return handover_services.handover_offer(
            actor=request.user,
            visit=visit,
            version=version,
            to=team_selectors.person_by_id(data["to"]),
            note=data["note"],
        )


@write_schema("Offer a colleague to swap your visit for one of theirs")
class VisitSwapsView(_OfferMade):
    body = SwapIn

    def act(self, request, visit, version, data):
        other = selectors.visit_by_id(data["swap_visit"])
        if other is None:
            raise serializers.ValidationError(
                {"swap_visit": ["Choose a visit of the same team that a colleague has."]}
            )
        return handover_services.handover_offer_swap(
            actor=request.user,
            visit=visit,
            version=version,
            swap_visit=other,
            swap_version=data["swap_version"],
            note=data["note"],
        )


@write_schema("Accept an offer made to you: the visit (or the swap) is yours")
class HandoverAcceptView(_OfferWrite):
    body, service = OverlapIn, staticmethod(handover_services.handover_accept)


@write_schema("Decline an offer made to you")
class HandoverDeclineView(_OfferWrite):
    body, service = DeclineIn, staticmethod(handover_services.handover_decline)


@write_schema("Withdraw an offer you made")
class HandoverWithdrawView(_OfferWrite):
    service = staticmethod(handover_services.handover_withdraw)
