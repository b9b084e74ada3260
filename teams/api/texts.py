"""Texts held by a check (the client-data check, ``coordination.privacy``, through
``teams.texts`` for a team's decisions) in the API: the field that confirms softer
hits, and the 400 a held text answers. One shape for every endpoint that writes a
text other teams or a team's coaches read; it lives here, in the base layer, so every
app's API can use it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


def confirm_field() -> serializers.BooleanField:
    return serializers.BooleanField(
        required=False,
        default=False,
        help_text=(
            "True: publish although the privacy check found something it lets you confirm"
            " (a surname alone, a phone number that is no client's). A client's name,"
            " address, postcode, phone number or date of birth, or an NHS or BSN number,"
            " is never published, confirmed or not."
        ),
    )


class ClientDataHeldOut(serializers.Serializer):
    message = serializers.CharField()
    extra = serializers.DictField(
        help_text=(
            '{"fields": {"<field>": [what was found there, and why], ...,'
            ' "confirm_no_client_data": [whether confirming can publish it]}}'
        )
    )


HELD = OpenApiResponse(
    ClientDataHeldOut,
    description=(
        "Bad input, or the text seems to identify a client: held, nothing stored. Each"
        " field's messages say what was found."
    ),
)
