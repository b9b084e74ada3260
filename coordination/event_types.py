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


for name, line in (
    ("handover.offered", f"{GIVER} offered {TAKER} {{thing}}"),
    ("handover.accepted", f"{TAKER} accepted {{thing}} from {GIVER}"),
    ("handover.declined", f"{TAKER} declined {{thing}} from {GIVER}"),
    ("handover.withdrawn", f"{GIVER} withdrew the offer of {{thing}} to {TAKER}"),
    ("handover.expired", f"The offer of {{thing}} to {TAKER} lapsed: the visit had changed"),
):
    declare(name, keys=OFFER, streams=("team",), words=_offer_words(line))

# --- help across teams: the "help" stream (every team member) and the asking team's -------

HELP = ("help", "team")
ENDED = ("request", "status", "version", "declined")  # the request, as it ended
OFFERED = ("request", "offer", "person")  # one helper's offer
declare("help.requested", keys=("request", "team", "visits", "version"), streams=HELP)
declare("help.withdrawn", keys=ENDED, streams=HELP)
declare("help.expired", keys=ENDED, streams=HELP)
declare("help.offered", keys=(*OFFERED, "version"), streams=HELP)
declare("help.offer_withdrawn", keys=(*OFFERED, "status", "version"), streams=HELP)
declare("help.offer_declined", keys=(*OFFERED, "status", "version"), streams=HELP)
declare("help.offer_accepted", keys=OFFERED, streams=HELP)
declare("help.filled", keys=(*ENDED, "offer", "person"), streams=HELP)

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
