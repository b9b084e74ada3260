"""One's own account through the API: changing one's email address (confirmed at the
new address) and closing one's account. Each acts on the asking person only, and asks
for their password, checked like a sign-in (a wrong one counts towards the lockout).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import signin
from teams.api.core import PASSWORD_MAX, MeOut, TextIn, body_of
from teams.http import ApiRequest
from teams.models import Person
from teams.services import accounts

WRONG_PASSWORD = "That is not your password."
# A mailed link's token is signed, not stored: longer is none of Kith's.
TOKEN_MAX = 1000
LOCKED = OpenApiResponse(
    description="Too many failed sign-ins for this account or address: refused for now."
)


def _password_confirmed(request, password: str) -> None:
    person = signin.check_password(request._request, request.user.get_username(), password)
    if person is None or person.pk != request.user.pk:
        raise ValidationError({"password": [WRONG_PASSWORD]})


class EmailChangeIn(serializers.Serializer):
    email = TextIn(Person, "email", help_text="The new address.")
    password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class EmailChangeOut(serializers.Serializer):
    sent_to = serializers.CharField(help_text="Where the link went.")
    expires_in_hours = serializers.IntegerField()


class EmailConfirmIn(serializers.Serializer):
    token = serializers.CharField(max_length=TOKEN_MAX, help_text="The token from the mailed link.")


class PasswordIn(serializers.Serializer):
    password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)


class EmailChangeView(APIView):
    @extend_schema(
        summary="Ask to change my email address",
        description=(
            "A link that confirms the change goes to the new address (open it signed in,"
            " or send its token to `/me/email/confirm`), and a notice to the current one."
            " Nothing changes until then. An address another account uses is refused."
        ),
        request=EmailChangeIn,
        responses={
            202: EmailChangeOut,
            400: OpenApiResponse(description="Bad input, a wrong password or a taken address."),
            429: LOCKED,
        },
    )
    def post(self, request: ApiRequest):
        body = body_of(EmailChangeIn, request)
        _password_confirmed(request, body["password"])
        sent_to = accounts.email_change_request(actor=request.user, email=body["email"])
        out = {"sent_to": sent_to, "expires_in_hours": accounts.confirm_hours()}
        return Response(EmailChangeOut(out).data, status=status.HTTP_202_ACCEPTED)


class EmailConfirmView(APIView):
    @extend_schema(
        summary="Confirm my new email address with the mailed token",
        request=EmailConfirmIn,
        responses={
            200: MeOut,
            400: OpenApiResponse(description="Expired, used or invalid link, or address taken."),
            403: OpenApiResponse(description="The link is for another account."),
        },
    )
    def post(self, request: ApiRequest):
        body = body_of(EmailConfirmIn, request)
        person = accounts.email_change_confirm(actor=request.user, token=body["token"])
        return Response(MeOut(Person.objects.get(pk=person.pk)).data)


class CloseAccountView(APIView):
    @extend_schema(
        summary="Close my account",
        description=(
            "I can no longer sign in; every session and API token of mine ends, this one"
            " too. My memberships, roles and records stay until my team decides, as when"
            " anyone leaves."
        ),
        request=PasswordIn,
        responses={204: None, 400: OpenApiResponse(description="Wrong password."), 429: LOCKED},
    )
    def post(self, request: ApiRequest):
        body = body_of(PasswordIn, request)
        _password_confirmed(request, body["password"])
        accounts.person_close_account(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
