"""Writes of the live intranet, one module per subsystem: handing visits over within a
team (``handovers``) and asking other teams for help (``help``). Callers import from
here: ``from coordination import services``."""

from coordination.services.handovers import (
    handover_accept,
    handover_decline,
    handover_offer,
    handover_offer_swap,
    handover_withdraw,
)
from coordination.services.help import (
    OWN_REQUEST,
    help_offer_accept,
    help_offer_decline,
    help_offer_make,
    help_offer_withdraw,
    help_request_raise,
    help_request_withdraw,
    help_requests_expire_due,
)

__all__ = [
    "OWN_REQUEST",
    "handover_accept",
    "handover_decline",
    "handover_offer",
    "handover_offer_swap",
    "handover_withdraw",
    "help_offer_accept",
    "help_offer_decline",
    "help_offer_make",
    "help_offer_withdraw",
    "help_request_raise",
    "help_request_withdraw",
    "help_requests_expire_due",
]
