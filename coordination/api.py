"""API of the live intranet: the event log's streams, and the team board.

The board (``teams/<pk>/board``) is for the team's members: everyone else, coaches,
inspectors and the client's own portal included, gets 404 from it and from every
board action (claim, running late, handover and swap offers and their answers). Every
write carries the version it saw: If-Match, or a ``version`` field.

Requests for help across teams (``help-requests``, ``help-offers``) are for members of
any team, and ``granted-visits`` for a helper holding a live grant: everyone else gets
404 from them.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from care import access as care_access
from care import services as care_services
from care.models import Visit
from care.selectors import grants as care_grants
from coordination import access, selectors, services
from coordination import events as log
from coordination.models import HandoverOffer, HelpOffer, HelpRequest
from teams import selectors as team_selectors
from teams.api.core import IdField, PersonRef, WholeNumberField, bounded, if_match_version
from teams.api.texts import HELD, confirm_field
from teams.models import Person
from teams.numbers import MAX

IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The version you saw (or send version)."
)


class StreamQuery(serializers.Serializer):
    after = serializers.IntegerField(min_value=0, max_value=MAX, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=1000, default=200)


class EventOut(serializers.Serializer):
    stream = serializers.CharField()
    seq = serializers.IntegerField()
    event = serializers.CharField(source="type")
    data = serializers.JSONField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    at = serializers.DateTimeField()


class StreamEventsOut(serializers.Serializer):
    stream = serializers.CharField()
    head = serializers.IntegerField()
    events = EventOut(many=True)
    more = serializers.BooleanField()


class StreamEventsView(APIView):
    @extend_schema(
        summary="Events of a stream after a sequence number",
        parameters=[
            OpenApiParameter(
                "after", bounded(0), description="Last sequence number seen (0: from the start)."
            ),
            OpenApiParameter(
                "limit", bounded(1, 1000), description="At most this many events (1 to 1000)."
            ),
        ],
        responses=StreamEventsOut,
    )
    def get(self, request, stream: str):
        query = StreamQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not access.can_read_stream(request.user, stream):
            raise PermissionDenied("You may not read this stream.")
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        limit = min(limit, settings.EVENT_REPLAY_LIMIT)
        records = log.read(stream, after=after, limit=limit + 1)
        body = {
            "stream": stream,
            "head": log.head(stream),
            "events": records[:limit],
            "more": len(records) > limit,
        }
        return Response(StreamEventsOut(body).data)


# --- the team board ---------------------------------------------------------------------


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


class VersionIn(serializers.Serializer):
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


class LateIn(VersionIn):
    until = serializers.DateTimeField(
        allow_null=True, help_text="When you now expect to arrive; null: on time after all."
    )
    note = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class HandoverIn(VersionIn):
    to = IdField(help_text="The colleague (a person id) offered the visit.")
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class SwapIn(VersionIn):
    swap_visit = IdField(help_text="The colleague's visit you would take.")
    swap_version = WholeNumberField(help_text="The version of that visit you saw.")
    note = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class DeclineIn(VersionIn):
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False, default="")


class HelpDeclineIn(DeclineIn):
    """The helper, of another team, reads the reason: the privacy check holds it."""

    confirm_no_client_data = confirm_field()


class ConflictOut(serializers.Serializer):
    message = serializers.CharField(help_text="What happened, e.g. who has the visit now.")
    extra = serializers.DictField(help_text='{"current": the state now}.')


CONFLICT = OpenApiResponse(
    ConflictOut, description="Changed meanwhile (or already taken): extra.current is the state now."
)


def _team_visit(request, pk: int) -> Visit:
    """A visit of one of the asker's teams' clients; 404 for everyone else."""
    visit = selectors.team_visit_for(request.user, pk)
    if visit is None:
        raise NotFound("No such visit among yours.")
    return visit


def _team_offer(request, pk: int) -> HandoverOffer:
    offer = selectors.handover_offer_for(request.user, pk)
    if offer is None:
        raise NotFound("No such offer among yours.")
    return offer


def _body(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _visit_response(visit: Visit) -> Response:
    fresh = selectors.board_visit(visit.pk)
    return Response(BoardVisitOut(fresh).data, headers={"ETag": f'"{fresh.version}"'})


def _offer_response(offer: HandoverOffer, code: int = status.HTTP_200_OK) -> Response:
    return Response(OfferOut(offer).data, status=code, headers={"ETag": f'"{offer.version}"'})


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
    def get(self, request, pk: int):
        team = selectors.board_team(request.user, pk=pk)
        if team is None:
            raise NotFound("No such team among yours.")
        query = BoardQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        start = query.validated_data.get("date") or timezone.localdate()
        snapshot = selectors.board(team, start, query.validated_data["days"])
        return Response(BoardOut(snapshot).data)


class VisitClaimView(APIView):
    @extend_schema(
        summary="Take an unassigned visit yourself",
        request=VersionIn,
        responses={200: BoardVisitOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = _team_visit(request, pk)
        visit = care_services.visit_claim(
            actor=request.user, visit=visit, version=if_match_version(request)
        )
        return _visit_response(visit)


class VisitLateView(APIView):
    @extend_schema(
        summary="Say you are running late, and when you expect to arrive",
        request=LateIn,
        responses={200: BoardVisitOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = _team_visit(request, pk)
        data = _body(LateIn, request)
        visit = care_services.visit_running_late(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            until=data["until"],
            note=data["note"],
        )
        return _visit_response(visit)


class VisitHandoversView(APIView):
    @extend_schema(
        summary="Offer your visit to a colleague",
        request=HandoverIn,
        responses={201: OfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = _team_visit(request, pk)
        data = _body(HandoverIn, request)
        to = Person.objects.filter(pk=data["to"]).first()
        offer = services.handover_offer(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            to=to,
            note=data["note"],
        )
        return _offer_response(offer, status.HTTP_201_CREATED)


class VisitSwapsView(APIView):
    @extend_schema(
        summary="Offer a colleague to swap your visit for one of theirs",
        request=SwapIn,
        responses={201: OfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = _team_visit(request, pk)
        data = _body(SwapIn, request)
        other = (
            Visit.objects.select_related("client__team", "assignee")
            .filter(pk=data["swap_visit"])
            .first()
        )
        if other is None:
            raise serializers.ValidationError(
                {"swap_visit": ["Choose a visit of the same team that a colleague has."]}
            )
        offer = services.handover_offer_swap(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            swap_visit=other,
            swap_version=data["swap_version"],
            note=data["note"],
        )
        return _offer_response(offer, status.HTTP_201_CREATED)


class HandoverAcceptView(APIView):
    @extend_schema(
        summary="Accept an offer made to you: the visit (or the swap) is yours",
        request=VersionIn,
        responses={200: OfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = _team_offer(request, pk)
        offer = services.handover_accept(
            actor=request.user, offer=offer, version=if_match_version(request)
        )
        return _offer_response(offer)


class HandoverDeclineView(APIView):
    @extend_schema(
        summary="Decline an offer made to you",
        request=DeclineIn,
        responses={200: OfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = _team_offer(request, pk)
        data = _body(DeclineIn, request)
        offer = services.handover_decline(
            actor=request.user,
            offer=offer,
            version=if_match_version(request),
            reason=data["reason"],
        )
        return _offer_response(offer)


class HandoverWithdrawView(APIView):
    @extend_schema(
        summary="Withdraw an offer you made",
        request=VersionIn,
        responses={200: OfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = _team_offer(request, pk)
        offer = services.handover_withdraw(
            actor=request.user, offer=offer, version=if_match_version(request)
        )
        return _offer_response(offer)


# --- help across teams ------------------------------------------------------------------
#
# For members of any team: everyone else (coaches, inspectors, clients and their
# families) gets 404 from every help endpoint. A request is seen by every team member;
# an offer only by its helper and the asking team; a granted visit only by the helper
# holding a live grant for it.


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
    skills = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        default="",
        help_text="Other teams read it: never who the client is.",
    )
    note = serializers.CharField(
        max_length=300,
        allow_blank=True,
        required=False,
        default="",
        help_text="For your own team.",
    )
    confirm_no_client_data = confirm_field()


class HelpOfferIn(VersionIn):
    note = serializers.CharField(
        max_length=300,
        allow_blank=True,
        required=False,
        default="",
        help_text="The asking team reads it.",
    )
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


class HelpedVisitOut(serializers.Serializer):
    id = serializers.IntegerField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    expected_minutes = serializers.IntegerField()
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
    note = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")


def _network_member(request) -> None:
    if not access.is_network_member(request.user):
        raise NotFound("No requests for help among yours.")


def _help_request(request, pk: int) -> HelpRequest:
    found = selectors.help_request_for(request.user, pk)
    if found is None:
        raise NotFound("No such request for help among yours.")
    return found


def _help_offer(request, pk: int) -> HelpOffer:
    found = selectors.help_offer_for(request.user, pk)
    if found is None:
        raise NotFound("No such offer among yours.")
    return found


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


def _granted_visit(request, pk: int) -> Visit:
    """The visit lent to the asker (a live grant), for a write; 404 for anyone else."""
    if care_access.live_visit_grant(request.user, pk) is None:
        raise NotFound("No such visit among those you help with.")
    return Visit.objects.select_related("client__team").get(pk=pk)


def _help_offer_response(offer: HelpOffer, code: int = status.HTTP_200_OK) -> Response:
    return Response(HelpOfferOut(offer).data, status=code, headers={"ETag": f'"{offer.version}"'})


class HelpRequestsView(APIView):
    @extend_schema(
        summary="The network's open requests for help, nearest first",
        description=(
            "For members of any team. Shows when, how long, the area and the skills;"
            " never who the client is. Follow the 'help' stream for changes."
        ),
        responses=HelpRequestOut(many=True),
    )
    def get(self, request):
        _network_member(request)
        return Response(HelpRequestOut(selectors.help_board(request.user), many=True).data)


class TeamHelpRequestsView(APIView):
    @extend_schema(
        summary="Ask other teams for help with visits nobody in the team can cover",
        request=HelpRequestIn,
        responses={201: HelpRequestOut, 400: HELD},
    )
    def post(self, request, pk: int):
        team = team_selectors.team_for(request.user, pk=pk)
        if team is None:
            raise NotFound("No such team among yours.")
        data = _body(HelpRequestIn, request)
        help_request = services.help_request_raise(
            actor=request.user,
            team=team,
            visits=data["visits"],
            skills=data["skills"],
            note=data["note"],
            confirm_no_client_data=data["confirm_no_client_data"],
        )
        return Response(
            _dressed(request, help_request),
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{help_request.version}"'},
        )


class HelpRequestWithdrawView(APIView):
    @extend_schema(
        summary="Withdraw your team's request for help",
        request=VersionIn,
        responses={200: HelpRequestOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        help_request = services.help_request_withdraw(
            actor=request.user,
            request=_help_request(request, pk),
            version=if_match_version(request),
        )
        return Response(
            _dressed(request, help_request), headers={"ETag": f'"{help_request.version}"'}
        )


class HelpOffersView(APIView):
    @extend_schema(
        summary="Offer to take another team's visits",
        description="Send the request's version you saw (If-Match or version).",
        request=HelpOfferIn,
        responses={201: HelpOfferOut, 400: HELD, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        help_request = _help_request(request, pk)
        data = _body(HelpOfferIn, request)
        offer = services.help_offer_make(
            actor=request.user,
            request=help_request,
            version=if_match_version(request),
            note=data["note"],
            confirm_no_client_data=data["confirm_no_client_data"],
        )
        return _help_offer_response(offer, status.HTTP_201_CREATED)


class HelpOfferAcceptView(APIView):
    @extend_schema(
        summary="Accept an offer of help: the visits are lent to the helper",
        request=VersionIn,
        responses={200: HelpOfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = services.help_offer_accept(
            actor=request.user, offer=_help_offer(request, pk), version=if_match_version(request)
        )
        return _help_offer_response(offer)


class HelpOfferDeclineView(APIView):
    @extend_schema(
        summary="Decline an offer of help",
        request=HelpDeclineIn,
        responses={200: HelpOfferOut, 400: HELD, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = _help_offer(request, pk)
        data = _body(HelpDeclineIn, request)
        offer = services.help_offer_decline(
            actor=request.user,
            offer=offer,
            version=if_match_version(request),
            reason=data["reason"],
            confirm_no_client_data=data["confirm_no_client_data"],
        )
        return _help_offer_response(offer)


class HelpOfferWithdrawView(APIView):
    @extend_schema(
        summary="Withdraw your offer of help",
        request=VersionIn,
        responses={200: HelpOfferOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        offer = services.help_offer_withdraw(
            actor=request.user, offer=_help_offer(request, pk), version=if_match_version(request)
        )
        return _help_offer_response(offer)


class GrantedVisitView(APIView):
    @extend_schema(
        summary="A visit you help another team with: what it needs, and only that",
        description=(
            "Each read is in the client's access log. 404 once the visit is done or the"
            " grant has ended or expired, and for anyone without a grant."
        ),
        responses=GrantedVisitOut,
    )
    def get(self, request, pk: int):
        granted = care_grants.granted_visit(request.user, pk, channel="api")
        if granted is None:
            raise NotFound("No such visit among those you help with.")
        return Response(
            GrantedVisitOut(granted).data, headers={"ETag": f'"{granted.visit.version}"'}
        )


class GrantedVisitStartView(APIView):
    @extend_schema(
        summary="Start a visit you help with",
        request=VersionIn,
        responses={200: HelpedVisitOut, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def post(self, request, pk: int):
        visit = care_services.visit_start(
            actor=request.user, visit=_granted_visit(request, pk), version=if_match_version(request)
        )
        return Response(HelpedVisitOut(visit).data, headers={"ETag": f'"{visit.version}"'})


class GrantedVisitFinishView(APIView):
    @extend_schema(
        summary="Record a visit you help with as done (your access to it ends)",
        request=GrantedFinishIn,
        responses={200: HelpedVisitOut, 409: CONFLICT},
        parameters=[
            IF_MATCH,
            OpenApiParameter(
                "Idempotency-Key", str, OpenApiParameter.HEADER, description="The same on retry."
            ),
        ],
    )
    def post(self, request, pk: int):
        visit = _granted_visit(request, pk)
        data = _body(GrantedFinishIn, request)
        visit = care_services.visit_finish(
            actor=request.user,
            visit=visit,
            version=if_match_version(request),
            note=data["note"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(HelpedVisitOut(visit).data, headers={"ETag": f'"{visit.version}"'})
