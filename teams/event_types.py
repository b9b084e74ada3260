"""The event types teams publishes: its details, proposals, decisions' effects and
reminders (see ``coordination.events.types`` for what a declaration says).

Decision business goes to the team's stream and to what it shares with its coaches.
"""

from __future__ import annotations

from coordination.events.types import declare

DECISIONS = ("team", "shared")
PROPOSAL = ("proposal", "revision", "title")
TERM = ("role", "term", "person", "ends")

declare(
    "team.details_changed",
    keys=("team", "version", "changed"),
    streams=("team",),
    words="{actor} updated the team's {changed:fields}",
)
# Each decision event type: its name, its payload keys, its words (all go to DECISIONS).
for name, keys, words in (
    ("proposal.raised", (*PROPOSAL, "kind"), "{actor} raised a proposal: {proposal}"),
    (
        "proposal.commented",
        (*PROPOSAL, "comment", "kind"),
        {
            "kind=question": "{actor} asked a question about {proposal}",
            "": "{actor} commented on {proposal}",
        },
    ),
    (
        "proposal.responded",
        (*PROPOSAL, "response"),
        {
            "response=objection": "{actor} objected to {proposal}",
            "": "{actor} consented to {proposal}",
        },
    ),
    (
        "proposal.objection_withdrawn",
        (*PROPOSAL, "response"),
        "{actor} withdrew their objection to {proposal}",
    ),
    (
        "proposal.amended",
        (*PROPOSAL, "resolved_objections"),
        {
            "resolved_objections": "{actor} amended {proposal}; the objection window is open"
            " again ({resolved_objections:count=objection} resolved)",
            "": "{actor} amended {proposal}; the objection window is open again",
        },
    ),
    ("proposal.withdrawn", PROPOSAL, "{actor} withdrew the proposal {proposal}"),
    (
        "proposal.adopted",
        (*PROPOSAL, "outcome"),
        {
            "outcome": "The team adopted {proposal}: {outcome:plain}",
            "": "The team adopted {proposal}",
        },
    ),
    (
        "proposal.not_applied",
        PROPOSAL,
        "{proposal!c} could not be applied as it stands; see the proposal",
    ),
    ("role.created", ("role",), "The team added a role: {role:role}"),
    ("role.handed_over", TERM, "{person:person} now holds {role:role} until {ends:date}"),
    ("agreement.adopted", ("number",), "The team adopted version {number} of its agreement"),
    (
        "coach.invited",
        ("coach", "ends"),
        "{coach:person=A coach} coaches the team until {ends:date}",
    ),
    ("coach.ended", ("coach",), "{coach:person=A coach} no longer coaches the team"),
    (
        "team.split",
        ("team", "new_team", "moved", "decision"),
        "The team split: {moved:count=member} formed a new team",
    ),
    (
        "reminder.role_term_ending",
        TERM,
        "Reminder: {person:person}'s term as {role:role} ends on {ends:date}",
    ),
    (
        "reminder.review_due",
        ("proposal", "review_date"),
        "Reminder: {proposal} is due for review ({review_date:date})",
    ),
):
    declare(name, keys=keys, streams=DECISIONS, words=words)
declare(
    "membership.changed",
    keys=("team", "person", "change", "decision"),
    optional=("until",),
    streams=DECISIONS,
    words={
        "change=admitted": "{person:person=A member} joined the team",
        "change=leaving": "{person:person=A member} is a member until {until:date}",
        "": "{person:person=A member} left the team",
    },
)
