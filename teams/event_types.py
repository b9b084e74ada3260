"""The event types teams publishes: its details, proposals, decisions' effects and
reminders (see ``coordination.events.types`` for what a declaration says).

Decision business goes to the team's stream and to what it shares with its coaches.
"""

from __future__ import annotations

from coordination.events.types import declare

DECISIONS = ("team", "shared")
PROPOSAL = ("proposal", "revision", "title")

declare(
    "team.details_changed",
    keys=("team", "version", "changed"),
    streams=("team",),
    words="{actor} updated the team's {changed:fields}",
)
declare(
    "proposal.raised",
    keys=(*PROPOSAL, "kind"),
    streams=DECISIONS,
    words="{actor} raised a proposal: {proposal}",
)
declare(
    "proposal.commented",
    keys=(*PROPOSAL, "comment", "kind"),
    streams=DECISIONS,
    words={
        "kind=question": "{actor} asked a question about {proposal}",
        "": "{actor} commented on {proposal}",
    },
)
declare(
    "proposal.responded",
    keys=(*PROPOSAL, "response"),
    streams=DECISIONS,
    words={
        "response=objection": "{actor} objected to {proposal}",
        "": "{actor} consented to {proposal}",
    },
)
declare(
    "proposal.objection_withdrawn",
    keys=(*PROPOSAL, "response"),
    streams=DECISIONS,
    words="{actor} withdrew their objection to {proposal}",
)
declare(
    "proposal.amended",
    keys=(*PROPOSAL, "resolved_objections"),
    streams=DECISIONS,
    words={
        "resolved_objections": "{actor} amended {proposal}; the objection window is open"
        " again ({resolved_objections:count=objection} resolved)",
        "": "{actor} amended {proposal}; the objection window is open again",
    },
)
declare(
    "proposal.withdrawn",
    keys=PROPOSAL,
    streams=DECISIONS,
    words="{actor} withdrew the proposal {proposal}",
)
declare(
    "proposal.adopted",
    keys=(*PROPOSAL, "outcome"),
    streams=DECISIONS,
    words={
        "outcome": "The team adopted {proposal}: {outcome:plain}",
        "": "The team adopted {proposal}",
    },
)
declare(
    "proposal.not_applied",
    keys=PROPOSAL,
    streams=DECISIONS,
    words="{proposal!c} could not be applied as it stands; see the proposal",
)
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
declare(
    "role.created",
    keys=("role",),
    streams=DECISIONS,
    words="The team added a role: {role:role}",
)
declare(
    "role.handed_over",
    keys=("role", "term", "person", "ends"),
    streams=DECISIONS,
    words="{person:person} now holds {role:role} until {ends:date}",
)
declare(
    "agreement.adopted",
    keys=("number",),
    streams=DECISIONS,
    words="The team adopted version {number} of its agreement",
)
declare(
    "coach.invited",
    keys=("coach", "ends"),
    streams=DECISIONS,
    words="{coach:person=A coach} coaches the team until {ends:date}",
)
declare(
    "coach.ended",
    keys=("coach",),
    streams=DECISIONS,
    words="{coach:person=A coach} no longer coaches the team",
)
declare(
    "team.split",
    keys=("team", "new_team", "moved", "decision"),
    streams=DECISIONS,
    words="The team split: {moved:count=member} formed a new team",
)
declare(
    "reminder.role_term_ending",
    keys=("role", "term", "person", "ends"),
    streams=DECISIONS,
    words="Reminder: {person:person}'s term as {role:role} ends on {ends:date}",
)
declare(
    "reminder.review_due",
    keys=("proposal", "review_date"),
    streams=DECISIONS,
    words="Reminder: {proposal} is due for review ({review_date:date})",
)
