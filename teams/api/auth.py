"""Signing in to the API and managing one's own API tokens.

``POST /auth/token`` exchanges a username and password for a new token (shown once);
``DELETE /auth/token`` revokes the token the request is made with. A person lists
their tokens and revokes any of them by id, and may end every session and token of
theirs at once. Nobody sees or revokes another person's tokens.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import selectors, signin, two_factor
from teams.api.core import PASSWORD_MAX, TextIn, body_of, found
from teams.http import ApiRequest
from teams.models import ApiToken, Person
from teams.services import credentials as credential_services
from teams.services import two_factor as two_factor_services

UNABLE = "Unable to sign in with that username and password."
CODE_NEEDED = (
    "This account signs in with two steps: send a code from its authenticator app, or"
    " one of its recovery codes, as `code`."
)
SET_UP_FIRST = (
    "This service requires two-step sign-in for your account: set it up on the account"
    " page (/account/two-factor/) before making a token."
)
LOCKED = OpenApiResponse(
    description=(
        "Too many failed sign-ins for this username or from this address: refused,"
        " a correct password included, until the time in `extra.retry_at` (also in"
        " the Retry-After header, in seconds)."
    )
)
NOT_FOUND = OpenApiResponse(description="No such token among yours.")


class TokenIn(serializers.Serializer):
    username = TextIn(Person, "username", trim_whitespace=False)
    password = serializers.CharField(max_length=PASSWORD_MAX, trim_whitespace=False)
    name = TextIn(
        ApiToken,
        "name",
        required=False,
        allow_blank=True,
        help_text="What the token is for (a device, an integration). Default: API token.",
    )
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=settings.API_TOKEN_DAYS,
        required=False,
        help_text=f"Default and most: {settings.API_TOKEN_DAYS} days.",
    )
    code = serializers.CharField(
        max_length=two_factor.CODE_MAX,
        required=False,
        allow_blank=True,
        help_text=(
            "For an account with two-step sign-in: a code from its authenticator app,"
            " or one of its recovery codes."
        ),
    )


class TokenOut(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created", "expires", "last_used"]


class TokenCreatedOut(TokenOut):
    token = serializers.CharField(
        help_text="Send as `Authorization: Token <token>`. Shown only now: keep it safe."
    )

    class Meta(TokenOut.Meta):
        fields = ["token", *TokenOut.Meta.fields]


class TokenView(APIView):
    """Sign in to the API (POST), or sign this token out (DELETE)."""

    permission_classes = [AllowAny]

    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return super().get_permissions()

    @extend_schema(
        summary="Exchange a username and password for a new API token",
        request=TokenIn,
        responses={
            200: TokenCreatedOut,
            400: OpenApiResponse(description=f"{UNABLE} Or a missing or wrong `code`."),
            403: OpenApiResponse(description=SET_UP_FIRST),
            429: LOCKED,
        },
        auth=[],
    )
    def post(self, request):
        data = body_of(TokenIn, request)
        # The Django request: the lockout counts failures against it and answers for
        # a locked-out account or address (config/lockout.py).
        person = signin.check_password(request._request, data["username"], data["password"])
        if person is None:
            raise ValidationError({"non_field_errors": [UNABLE]})
        self.second_step(request, person, data.get("code", ""))
        token, raw = credential_services.token_create(
            actor=person, name=data.get("name", ""), expires_in_days=data.get("expires_in_days")
        )
        return Response(TokenCreatedOut({**TokenOut(token).data, "token": raw}).data)

    @staticmethod
    def second_step(request, person, code: str) -> None:
        """A token is a sign-in too: an account with two-step sign-in needs a code
        (a wrong one counts towards the lockout), and an account this deployment
        requires to have it gets no token until it is set up."""
        if two_factor.enabled(person):
            if not code:
                raise ValidationError({"code": [CODE_NEEDED]})
            try:
                two_factor_services.two_factor_check(person=person, code=code)
            except DjangoValidationError as exc:
                signin.count_failure(request._request, person.get_username())
                raise ValidationError({"code": exc.messages}) from None
        elif two_factor.required(person):
            raise PermissionDenied(SET_UP_FIRST)

    @extend_schema(
        summary="Revoke the token this request is made with",
        responses={
            204: None,
            400: OpenApiResponse(description="This request was not made with a token."),
        },
    )
    def delete(self, request):
        token = request.auth
        if not isinstance(token, ApiToken):
            raise ValidationError(
                "This request was not made with a token: revoke one of yours by its id"
                " (DELETE /api/v1/auth/tokens/{id})."
            )
        credential_services.token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TokenListView(APIView):
    @extend_schema(summary="My API tokens that still let me in", responses=TokenOut(many=True))
    def get(self, request: ApiRequest):
        return Response(TokenOut(selectors.tokens_of(request.user), many=True).data)


class TokenDetailView(APIView):
    @extend_schema(summary="Revoke one of my API tokens", responses={204: None, 404: NOT_FOUND})
    def delete(self, request: ApiRequest, pk: int):
        token = found(selectors.token_of(request.user, pk), "No such token among yours.")
        credential_services.token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignOutEverywhereView(APIView):
    @extend_schema(
        summary="End every session and revoke every API token of mine",
        description=(
            "Signs me out in every browser and revokes all my tokens, the one this"
            " request is made with too. Open live connections are closed."
        ),
        request=None,
        responses={204: None},
    )
    def post(self, request: ApiRequest):
        credential_services.person_sign_out_everywhere(actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
