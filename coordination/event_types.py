"""The event types coordination publishes: handovers within a team, help across
teams, notifications, practice notes (see ``coordination.events.types`` for what a
declaration says)."""

from __future__ import annotations

from coordination.events.types import declare

# --- handovers: an offer between two colleagues, on their team's stream ------------------

OFFER = ("offer", "kind", "visit", "swap_visit", "from_person", "to_person", "status", "version")
GIVER, TAKER = "{from_person:person=Someone}", "{to_person:person=a colleague}"


def _offer_words(line: str) -> dict[str, str]:
    """The line for a handover and for a swap (``{thing}``: what is offered)."""
    return {
        "kind=swap": line.replace("{thing}", "a swap of visits"),
        "": line.replace("{thing}", "a visit"),
    }


declare(
    "handover.offered",
    keys=OFFER,
    streams=("team",),
    words=_offer_words(f"{GIVER} offered {TAKER} {{thing}}"),
)
declare(
    "handover.accepted",
    keys=OFFER,
    streams=("team",),
    words=_offer_words(f"{TAKER} accepted {{thing}} from {GIVER}"),
)
declare(
    "handover.declined",
    keys=OFFER,
    streams=("team",),
    words=_offer_words(f"{TAKER} declined {{thing}} from {GIVER}"),
)
declare(
    "handover.withdrawn",
    keys=OFFER,
    streams=("team",),
    words=_offer_words(f"{GIVER} withdrew the offer of {{thing}} to {TAKER}"),
)
declare(
    "handover.expired",
    keys=OFFER,
    streams=("team",),
    words=_offer_words(f"The offer of {{thing}} to {TAKER} lapsed: the visit had changed"),
)

# --- help across teams: the "help" stream (every team member) and the asking team's -------

HELP = ("help", "team")
declare("help.requested", keys=("request", "team", "visits", "version"), streams=HELP)
declare("help.withdrawn", keys=("request", "status", "version", "declined"), streams=HELP)
declare("help.expired", keys=("request", "status", "version", "declined"), streams=HELP)
declare("help.offered", keys=("request", "offer", "person", "version"), streams=HELP)
declare(
    "help.offer_withdrawn", keys=("request", "offer", "person", "status", "version"), streams=HELP
)
declare(
    "help.offer_declined", keys=("request", "offer", "person", "status", "version"), streams=HELP
)
declare("help.offer_accepted", keys=("request", "offer", "person"), streams=HELP)
declare(
    "help.filled",
    keys=("request", "status", "version", "offer", "person", "declined"),
    streams=HELP,
)

# --- notifications: the person's own stream -------------------------------------------------

declare("notification.created", keys=("notification", "unread"), streams=("person",))
declare("notification.read", keys=("notifications", "unread"), streams=("person",))

# --- practice notes: the network's stream (a question pointed to a team: its stream too) ---

NOTE = ("note", "kind", "team", "version", "public")
declare("note.published", keys=NOTE, streams=("network",))
declare("note.revised", keys=NOTE, streams=("network",))
declare("note.pointed", keys=("note", "team", "pointer"), streams=("network", "team"))
declare("answer.posted", keys=("note", "answer", "team"), streams=("network",))
declare("answer.accepted", keys=("note", "answer", "accepted"), streams=("network",))
