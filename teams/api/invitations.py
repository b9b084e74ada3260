"""Invitations through the API: open a link's invitation and accept it (no account
needed: the token is the credential), and a team's invitations (list, resend,
withdraw) for its members."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import selectors
from teams.api.core import PASSWORD_MAX, TextIn, body_of, my_team
from teams.http import ApiRequest
from teams.models import Invitation, Person
from teams.services import invitations as service

# An invitation link's token is signed, not stored: longer is none of Kith's.
TOKEN_MAX = 400
GONE = OpenApiResponse(
    description="The link was used, withdrawn, replaced by a newer one or has expired."
)
FORGED = OpenApiResponse(description="The token is not one of Kith's invitation links.")


class LinkGone(APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


def _from_link(token: str) -> Invitation:
    try:
        return service.invitation_from_link(token)
    except service.LinkNotValid as exc:
        if exc.invitation is None:
            raise NotFound(exc.message) from None
        raise LinkGone(exc.message) from None


class InvitationLinkIn(serializers.Serializer):
    token = serializers.CharField(max_length=TOKEN_MAX, help_text="The token in the mailed link.")


class InvitationAcceptIn(InvitationLinkIn):
    username = TextIn(Person, "username", required=False, allow_blank=True)
    first_name = TextIn(Person, "first_name", required=False, allow_blank=True)
    last_name = TextIn(Person, "last_name", required=False, allow_blank=True)
    password = serializers.CharField(
        max_length=PASSWORD_MAX, required=False, allow_blank=True, trim_whitespace=False
    )


class TeamInvitationOut(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    what = serializers.SerializerMethodField()
    team = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "purpose",
            "email",
            "name",
            "what",
            "team",
            "status",
            "created",
            "sent_at",
            "send_count",
            "expires_at",
            "accepted_at",
            "withdrawn_at",
            "decision",
        ]

    def get_status(self, obj) -> str:
        return obj.status(self.context.get("now"))

    def get_what(self, obj) -> str:
        return service.describe(obj)

    def get_team(self, obj) -> int | None:
        return obj.team_id


class InvitationOpenedOut(serializers.Serializer):
    purpose = serializers.CharField()
    email = serializers.EmailField()
    what = serializers.CharField()
    expires_at = serializers.DateTimeField()
    has_account = serializers.BooleanField(
        help_text="The address has an account: accept signed in as it, not with details."
    )


class InvitationAcceptedOut(serializers.Serializer):
    person = serializers.IntegerField()
    username = serializers.CharField()
    purpose = serializers.CharField()
    created_account = serializers.BooleanField()


class InvitationOpenView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="What an invitation link is for",
        request=InvitationLinkIn,
        responses={200: InvitationOpenedOut, 404: FORGED, 410: GONE},
        auth=[],
    )
    def post(self, request):
        body = body_of(InvitationLinkIn, request)
        invitation = _from_link(body["token"])
        return Response(
            InvitationOpenedOut(
                {
                    "purpose": invitation.purpose,
                    "email": invitation.email,
                    "what": service.describe(invitation),
                    "expires_at": invitation.expires_at,
                    "has_account": service.account_for(invitation.email) is not None,
                }
            ).data
        )


class InvitationAcceptView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="Accept an invitation",
        description=(
            "Without credentials: makes the invitee's account from `username`, `first_name`,"
            " `last_name` and `password` (Django's password rules). Signed in (a session or"
            " a token) as the account the invited address already has: accepts as it."
        ),
        request=InvitationAcceptIn,
        responses={
            201: InvitationAcceptedOut,
            200: InvitationAcceptedOut,
            400: None,
            404: FORGED,
            410: GONE,
        },
        auth=[],
    )
    def post(self, request):
        data = body_of(InvitationAcceptIn, request)
        signed_in = request.user.is_authenticated
        try:
            invitation, person, _ = service.invitation_accept(
                token=data["token"],
                person=request.user if signed_in else None,
                details={k: v for k, v in data.items() if k != "token"},
            )
        except service.LinkNotValid as exc:
            if exc.invitation is None:
                raise NotFound(exc.message) from None
            raise LinkGone(exc.message) from None
        out = InvitationAcceptedOut(
            {
                "person": person.pk,
                "username": person.username,
                "purpose": invitation.purpose,
                "created_account": not signed_in,
            }
        )
        return Response(out.data, status=status.HTTP_200_OK if signed_in else 201)


class TeamInvitationsView(APIView):
    @extend_schema(
        summary="The invitations a team sent (its members only)",
        responses={200: TeamInvitationOut(many=True), 404: None},
    )
    def get(self, request: ApiRequest, pk: int):
        rows = selectors.invitations_of(my_team(request, pk))
        return Response(TeamInvitationOut(rows, many=True, context={"now": timezone.now()}).data)


def _managed(request, pk: int) -> Invitation:
    invitation = Invitation.objects.select_related("team").filter(pk=pk).first()
    if invitation is None or not service.may_manage(request.user, invitation):
        raise NotFound("No such invitation among yours.")
    return invitation


class InvitationResendView(APIView):
    @extend_schema(
        summary="Send an invitation again: a new link and expiry; the old link stops",
        request=None,
        responses={200: TeamInvitationOut, 400: None, 404: None},
    )
    def post(self, request: ApiRequest, pk: int):
        try:
            invitation, _ = service.invitation_resend(
                actor=request.user, invitation=_managed(request, pk)
            )
        except (PermissionDenied, Http404):
            raise NotFound("No such invitation among yours.") from None
        return Response(TeamInvitationOut(invitation).data)


class InvitationWithdrawView(APIView):
    @extend_schema(
        summary="Withdraw an invitation: its link stops working",
        request=None,
        responses={200: TeamInvitationOut, 400: None, 404: None},
    )
    def post(self, request: ApiRequest, pk: int):
        try:
            invitation = service.invitation_withdraw(
                actor=request.user, invitation=_managed(request, pk)
            )
        except (PermissionDenied, Http404):
            raise NotFound("No such invitation among yours.") from None
        return Response(TeamInvitationOut(invitation).data)
