"""Help across teams: requests for help, offers to help, and the visits lent to a
helper of another team (``granted-visits``).

For members of any team: everyone else (coaches, inspectors, clients and their
families) gets 404 from every help endpoint. A request is seen by every team member;
an offer only by its helper and the asking team; a granted visit only by the helper
holding a live grant for it.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care import access as care_access
from care.models import Visit
from care.selectors import grants as care_grants
from care.services import visits as visit_services
from coordination import access, selectors
from coordination.api.common import (
    OptionalTextIn,
    OverlapIn,
    VersionedWrite,
    VersionIn,
    body_of,
    write_schema,
)
from coordination.api.visits import DeclineIn
from coordination.models import HelpOffer, HelpRequest
from coordination.services import help as help_services
from teams.api.core import IdField, PersonRef, found, my_team
from teams.api.texts import HELD, confirm_field
from teams.http import ApiRequest


class HelpDeclineIn(DeclineIn):
    """The helper, of another team, reads the reason: the privacy check holds it."""

    confirm_no_client_data = confirm_field()


class TeamRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    town = serializers.CharField()


class HelpVisitOut(serializers.Serializer):
    id = serializers.IntegerField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    expected_minutes = serializers.IntegerField()


class HelpOfferOut(serializers.Serializer):
    id = serializers.IntegerField()
    request = serializers.IntegerField(source="request_id")
    person = PersonRef()
    note = serializers.CharField()
    reason = serializers.CharField(help_text="Why it was declined.")
    status = serializers.CharField(help_text="offered, accepted, declined or withdrawn.")
    version = serializers.IntegerField()
    created = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class HelpRequestOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = TeamRefOut()
    area = serializers.CharField(help_text="The town and postcode areas: never an address.")
    skills = serializers.CharField()
    status = serializers.CharField(help_text="open, filled, withdrawn or expired.")
    version = serializers.IntegerField()
    created = serializers.DateTimeField()
    distance_km = serializers.FloatField(
        allow_null=True, help_text="From your nearest team; null when a location is unknown."
    )
    minutes = serializers.IntegerField(help_text="The visits' expected minutes together.")
    visits = HelpVisitOut(source="visit_list", many=True)
    mine = serializers.BooleanField(help_text="Your team asked.")
    note = serializers.CharField(source="visible_note", help_text="Only for the asking team.")
    offers = HelpOfferOut(
        source="visible_offers", many=True, help_text="Open offers: for the asking team."
    )
    my_offer = HelpOfferOut(allow_null=True, help_text="Your own open offer, if any.")


class HelpRequestIn(serializers.Serializer):
    visits = serializers.ListField(
        child=IdField(), help_text="Ids of the team's visits nobody can cover."
    )
    skills = OptionalTextIn(
        HelpRequest, "skills", help_text="Other teams read it: never who the client is."
    )
    note = OptionalTextIn(HelpRequest, "note", help_text="For your own team.")
    confirm_no_client_data = confirm_field()


class HelpOfferIn(OverlapIn):
    note = OptionalTextIn(HelpOffer, "note", help_text="The asking team reads it.")
    confirm_no_client_data = confirm_field()


class GrantedInterventionOut(serializers.Serializer):
    category = serializers.CharField(source="category.name")
    target = serializers.CharField(source="target.name")
    description = serializers.CharField()
    frequency = serializers.CharField()


class GrantedClientOut(serializers.Serializer):
    name = serializers.CharField(source="client_name")
    address = serializers.CharField()
    postcode = serializers.CharField()
    phone = serializers.CharField()


class HelpedVisitOut(HelpVisitOut):
    tasks = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField()
    actual_start = serializers.DateTimeField(allow_null=True)
    actual_end = serializers.DateTimeField(allow_null=True)


class GrantedVisitOut(serializers.Serializer):
    visit = HelpedVisitOut()
    team = TeamRefOut()
    client = GrantedClientOut(source="*")
    interventions = GrantedInterventionOut(many=True)
    expires_at = serializers.DateTimeField(source="grant.expires_at")


class GrantedFinishIn(VersionIn):
    note = OptionalTextIn(Visit, "done_note")


class GrantedStartIn(VersionIn):
    reason = OptionalTextIn(Visit, "start_note")


def _dressed(request, help_request: HelpRequest) -> dict:
    """A request as the reader sees it on the help board (after a write)."""
    shown = next((r for r in selectors.help_board(request.user) if r.pk == help_request.pk), None)
    if shown is None:  # closed now: the board lists open requests only
        shown = help_request
        shown.visit_list = list(help_request.visits.order_by("window_start", "id"))
        shown.open_offers = []
        shown.distance_km = None
        shown.area = help_request.team.town
        shown.minutes = sum(v.expected_minutes for v in shown.visit_list)
        shown.mine = access.can_ask_for_help(request.user, help_request.team_id)
        shown.visible_note = help_request.note if shown.mine else ""
        shown.visible_offers = []
        shown.my_offer = None
    return HelpRequestOut(shown).data


class HelpRequestsView(APIView):
    @extend_schema(
        summary="The network's open requests for help, nearest first",
        description=(
            "For members of any team. Shows when, how long, the area and the skills;"
            " never who the client is. Follow the 'help' stream for changes."
        ),
        responses=HelpRequestOut(many=True),
    )
    def get(self, request: ApiRequest):
        if not access.is_network_member(request.user):
            raise NotFound("No requests for help among yours.")
        return Response(HelpRequestOut(selectors.help_board(request.user), many=True).data)


class TeamHelpRequestsView(APIView):
    @extend_schema(
        summary="Ask other teams for help with visits nobody in the team can cover",
        request=HelpRequestIn,
        responses={201: HelpRequestOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        team = my_team(request, pk)
        data = body_of(HelpRequestIn, request)
        help_request = help_services.help_request_raise(actor=request.user, team=team, **data)
        return Response(
            _dressed(request, help_request),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{help_request.version}"'},
        )


class _RequestWrite(VersionedWrite):
    answer: type[serializers.Serializer] = HelpRequestOut
    row_name = "request"

    def target(self, request, pk: int) -> HelpRequest:
        return found(
            selectors.help_request_for(request.user, pk), "No such request for help among yours."
        )

    # The request written; a write that makes an offer shows the offer instead.
    def shown(self, request, result) -> dict:
        return _dressed(request, result)


class _OfferWrite(VersionedWrite):
    answer, row_name = HelpOfferOut, "offer"

    def target(self, request, pk: int) -> HelpOffer:
        return found(selectors.help_offer_for(request.user, pk), "No such offer among yours.")


@write_schema("Withdraw your team's request for help")
class HelpRequestWithdrawView(_RequestWrite):
    service = staticmethod(help_services.help_request_withdraw)


@write_schema(
    "Offer to take another team's visits",
    description="Send the request's version you saw (If-Match or version).",
)
class HelpOffersView(_RequestWrite):
    body, problems = HelpOfferIn, {400: HELD}
    answer, code = HelpOfferOut, status.HTTP_201_CREATED
    service = staticmethod(help_services.help_offer_make)
    shown = VersionedWrite.shown  # the offer made, not the request


@write_schema("Accept an offer of help: the visits are lent to the helper")
class HelpOfferAcceptView(_OfferWrite):
    body, service = OverlapIn, staticmethod(help_services.help_offer_accept)


@write_schema("Decline an offer of help")
class HelpOfferDeclineView(_OfferWrite):
    body, problems = HelpDeclineIn, {400: HELD}
    service = staticmethod(help_services.help_offer_decline)


@write_schema("Withdraw your offer of help")
class HelpOfferWithdrawView(_OfferWrite):
    service = staticmethod(help_services.help_offer_withdraw)


class GrantedVisitView(APIView):
    @extend_schema(
        summary="A visit you help another team with: what it needs, and only that",
        description=(
            "Each read is in the client's access log. 404 once the visit is done or the"
            " grant has ended or expired, and for anyone without a grant."
        ),
        responses=GrantedVisitOut,
    )
    def get(self, request: ApiRequest, pk: int):
        granted = found(
            care_grants.granted_visit(request.user, pk, channel="api"),
            "No such visit among those you help with.",
        )
        return Response(
            GrantedVisitOut(granted).data, headers={"ETag": f'"{granted.visit.version}"'}
        )


class _GrantedWrite(VersionedWrite):
    answer, row_name = HelpedVisitOut, "visit"

    def target(self, request, pk: int) -> Visit:
        # The visit lent to the asker (a live grant); 404 for anyone else.
        found(
            care_access.live_visit_grant(request.user, pk),
            "No such visit among those you help with.",
        )
        return Visit.objects.select_related("client__team").get(pk=pk)


@write_schema("Start a visit you help with")
class GrantedVisitStartView(_GrantedWrite):
    body, service = GrantedStartIn, staticmethod(visit_services.visit_start)


@write_schema("Record a visit you help with as done (your access to it ends)")
class GrantedVisitFinishView(_GrantedWrite):
    body, idempotent = GrantedFinishIn, True
    service = staticmethod(visit_services.visit_finish)
