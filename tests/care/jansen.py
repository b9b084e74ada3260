"""Mrs Jansen's record as several tests need it: a client of team Noord with her own
portal account, her daughter Petra in her network with a Kith account, and her GP.

Built through the services, as the team and Mrs Jansen would build it.
"""

from __future__ import annotations

from care.models import Client, NetworkMember
from care.services import clients as client_services


def jansen_with_family(
    personas, *, grants=("visits", "diary", "plan"), **details
) -> tuple[Client, NetworkMember]:
    """(the client, Petra's network entry); Mrs Jansen grants Petra ``grants``."""
    client = client_services.client_create(
        actor=personas.ana,
        team=personas.noord,
        first_name="Wilma",
        last_name="Jansen",
        postcode="7413 EW",
        address="Ceintuurbaan 118",
        **details,
    )
    client = client_services.client_link_account(
        actor=personas.ana, client=client, account=personas.mrs_jansen
    )
    petra = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        takes_on="Shopping on Saturdays",
        account=personas.daughter,
    )
    client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="formal",
        relationship="GP",
        name="Dr. Anneke Brinkman",
        organisation="Huisartsenpraktijk Voorstad",
    )
    for scope in grants:
        client_services.grant_scope(
            actor=personas.mrs_jansen, client=client, member=petra, scope=scope
        )
    return client, petra
