"""Thin API views for asking people into a client's record and taking them out: the
client's own account, their representative, their network (care.services.invitations).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from care.api import IF_MATCH, NetworkMemberOut, client_or_404
from care.models import Client, Grant, NetworkMember
from care.selectors import clients as selectors
from care.services import invitations as service
from teams.api.core import TextIn, body_of, if_match_version
from teams.http import ApiRequest
from teams.models import Invitation
from teams.services import invitations as machinery

# More scopes than a grant has are sent by mistake (the service names each unknown one).
MAX_SCOPES = 10


class InvitationOut(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=service.PURPOSES)
    email = serializers.EmailField()
    name = serializers.CharField()
    status = serializers.SerializerMethodField()
    what = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField(help_text="The network entry (network only).")
    basis = serializers.SerializerMethodField(help_text="The basis (representative only).")
    scopes = serializers.SerializerMethodField(help_text="What they will see (network only).")
    shared_until = serializers.SerializerMethodField()
    invited_by = serializers.CharField(source="invited_by.display_name", default="")
    sent_at = serializers.DateTimeField()
    send_count = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField()

    def get_status(self, invitation) -> str:
        return invitation.status()

    def get_what(self, invitation) -> str:
        return machinery.describe(invitation) if invitation.status() != "accepted" else ""

    def get_member(self, invitation) -> int | None:
        return invitation.target if invitation.purpose == service.NETWORK else None

    def get_basis(self, invitation) -> str | None:
        return invitation.payload.get("basis") if invitation.purpose == "representative" else None

    def get_scopes(self, invitation) -> list[str]:
        return list(invitation.payload.get("scopes", []))

    def get_shared_until(self, invitation) -> str | None:
        return invitation.payload.get("expires_at")


class PortalInvitationIn(serializers.Serializer):
    email = TextIn(Invitation, "email")
    name = TextIn(Invitation, "name", allow_blank=True, required=False, default="")


class RepresentativeOut(serializers.Serializer):
    client = serializers.IntegerField(source="pk")
    version = serializers.IntegerField()
    has_own_account = serializers.SerializerMethodField()
    representative = serializers.CharField(
        source="representative.display_name", default=None, allow_null=True
    )
    basis = serializers.CharField(source="representative_basis")
    basis_label = serializers.CharField(source="get_representative_basis_display")
    since = serializers.DateTimeField(source="representative_since")
    note = serializers.SerializerMethodField(help_text="What backs the basis (the team's).")

    def get_has_own_account(self, client) -> bool:
        return client.account_id is not None

    def get_note(self, client) -> str:
        # The reference of a power of attorney or court order: for the team that checks
        # it, and for the client and representative, whose document it is.
        return client.representative_note


class RepresentativeIn(PortalInvitationIn):
    basis = serializers.CharField(help_text=f"One of {', '.join(Client.Basis.values)}.")
    note = TextIn(Client, "representative_note", allow_blank=True, required=False, default="")


class NetworkInvitationIn(serializers.Serializer):
    email = TextIn(Invitation, "email")
    name = TextIn(NetworkMember, "name", allow_blank=True)
    relationship = TextIn(NetworkMember, "relationship", allow_blank=True)
    circle = serializers.CharField(help_text="informal or formal")
    organisation = TextIn(NetworkMember, "organisation", allow_blank=True, required=False)
    scopes = serializers.ListField(
        child=TextIn(Grant, "scope"),
        max_length=MAX_SCOPES,
        help_text=f"One or more of {', '.join(Grant.Scope.values)}.",
    )
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class NetworkInvitationOut(serializers.Serializer):
    member = NetworkMemberOut()
    invitation = InvitationOut()


def _optional_version(request) -> int | None:
    """The version the client saw, when they sent one (the write is safe without)."""
    if request.headers.get("If-Match") is None and not (
        isinstance(request.data, dict) and "version" in request.data
    ):
        return None
    return if_match_version(request)


def _client(request, pk: int, what: str) -> Client:
    return client_or_404(request, pk, scope="notes", what=what)


class PortalInvitationView(APIView):
    @extend_schema(
        summary="Invite the client to their own record in the portal (the team)",
        request=PortalInvitationIn,
        responses={201: InvitationOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "portal (to invite the client)")
        body = body_of(PortalInvitationIn, request)
        invitation = service.client_invite(actor=request.user, client=client, **body)
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)


class RepresentativeView(APIView):
    @extend_schema(
        summary="Who acts for the client, and on what basis", responses=RepresentativeOut
    )
    def get(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "representative")
        if not service.may_see_invitations(request.user, client):
            raise PermissionDenied("Only the client, their representative and their team see this.")
        return Response(RepresentativeOut(client).data, headers={"ETag": f'"{client.version}"'})

    @extend_schema(
        summary="Invite a representative (the team, or the client); accepting replaces the "
        "one there is",
        request=RepresentativeIn,
        responses={201: InvitationOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "representative (to invite one)")
        body = body_of(RepresentativeIn, request)
        invitation = service.representative_invite(actor=request.user, client=client, **body)
        return Response(InvitationOut(invitation).data, status=status.HTTP_201_CREATED)


class RepresentativeRemoveView(APIView):
    @extend_schema(
        summary="Stop the representative acting for the client (the client, or the team); "
        "refused while the client has no account of their own",
        request=None,
        responses=RepresentativeOut,
        parameters=[IF_MATCH],
    )
    def post(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "representative (to remove them)")
        client = service.representative_remove(
            actor=request.user, client=client, version=_optional_version(request)
        )
        return Response(RepresentativeOut(client).data, headers={"ETag": f'"{client.version}"'})


class ClientInvitationsView(APIView):
    @extend_schema(
        summary="Invitations into the client's record: their own, a representative's, the "
        "network's (the client, representative and team)",
        responses=InvitationOut(many=True),
    )
    def get(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "invitations")
        if not service.may_see_invitations(request.user, client):
            raise PermissionDenied(
                "Only the client, their representative and their team see the invitations."
            )
        return Response(InvitationOut(service.invitations_of(client)[:200], many=True).data)


class NetworkInvitationsView(APIView):
    @extend_schema(
        summary="Invite someone into the network with what they may see (the client or "
        "representative); they see it once they accept",
        request=NetworkInvitationIn,
        responses={201: NetworkInvitationOut},
    )
    def post(self, request: ApiRequest, pk: int):
        client = _client(request, pk, "support network (to invite someone)")
        body = body_of(NetworkInvitationIn, request)
        member, invitation = service.network_invite(actor=request.user, client=client, **body)
        member = selectors.network_of(client).get(pk=member.pk)
        return Response(
            NetworkInvitationOut({"member": member, "invitation": invitation}).data,
            status=status.HTTP_201_CREATED,
        )


class NetworkMemberRemoveView(APIView):
    @extend_schema(
        summary="Take someone out of the network: their grants end at once (the client or "
        "representative; a member may leave)",
        request=None,
        responses=NetworkMemberOut,
        parameters=[IF_MATCH],
    )
    def post(self, request: ApiRequest, pk: int):
        member = NetworkMember.objects.select_related("client").filter(pk=pk).first()
        if member is None or not (
            service.may_see_invitations(request.user, member.client)
            or (member.account_id is not None and member.account_id == request.user.pk)
        ):
            raise NotFound("No such person in your networks.")
        member = service.network_remove(
            actor=request.user, member=member, version=_optional_version(request)
        )
        member = selectors.network_of(member.client).get(pk=member.pk)
        return Response(NetworkMemberOut(member).data, headers={"ETag": f'"{member.version}"'})


def _invitation(request, pk: int) -> Invitation:
    """One invitation into a client's record the person may resend or withdraw."""
    invitation = Invitation.objects.filter(pk=pk, purpose__in=service.PURPOSES).first()
    if invitation is None or not machinery.may_manage(request.user, invitation):
        raise NotFound("No such invitation among yours.")
    return invitation


class InvitationResendView(APIView):
    @extend_schema(
        summary="Send an invitation again: a new link, a new expiry; the old link stops",
        request=None,
        responses=InvitationOut,
    )
    def post(self, request: ApiRequest, pk: int):
        invitation, _token = machinery.invitation_resend(
            actor=request.user, invitation=_invitation(request, pk)
        )
        return Response(InvitationOut(invitation).data)


class InvitationWithdrawView(APIView):
    @extend_schema(summary="Withdraw an invitation", request=None, responses=InvitationOut)
    def post(self, request: ApiRequest, pk: int):
        invitation = machinery.invitation_withdraw(
            actor=request.user, invitation=_invitation(request, pk)
        )
        return Response(InvitationOut(invitation).data)
