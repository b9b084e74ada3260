"""The event types care publishes: clients, their network and grants, plans, visits
and series, budgets, the diary, quality (see ``coordination.events.types`` for what a
declaration says).

A client's events go to their team's stream and, for what a client's portal shows,
to the stream of that scope of the client's record (``client.<scope>``). Visit events
name no client beyond its id: the board and the client's page say which visit.
"""

from __future__ import annotations

from coordination.events.types import Words, declare

VISITS = ("team", "client.visits")
VISIT = ("visit", "client", "version")


def _visit(name: str, keys: tuple[str, ...], words: Words, **declaration) -> None:
    """A change of one visit: its id, client and version besides ``keys``, on VISITS."""
    declare(name, keys=(*VISIT, *keys), streams=VISITS, words=words, **declaration)


# --- clients, their network, grants and invitations ---------------------------------------

declare("client.created", keys=("client", "status"), streams=("team",))
declare("client.updated", keys=("client", "fields", "version"), streams=("team",))
declare("client.status_changed", keys=("client", "status", "version"), streams=("team",))
declare(
    "network.changed",
    keys=("client", "member", "change"),
    optional=("invitation", "grants_ended"),
    streams=("team",),
)
declare("grant.changed", keys=("client", "member", "scope", "change"), streams=("team",))
declare("invitation.sent", keys=("client", "invitation", "purpose"), streams=("team",))
declare(
    "client.moved",
    keys=(
        "client",
        "from_team",
        "to_team",
        "version",
        "decision",
        "visits_unassigned",
        "carers_dropped",
    ),
    streams=VISITS,
    words="A client moved to the new team with their whole record",
)
declare(
    "client.carers_moved",
    keys=("client", "to_team", "decision", "visits_unassigned", "carers_dropped"),
    streams=VISITS,
    words="A client's visits lost carers who moved to the new team",
)

# --- the care plan and the diary ------------------------------------------------------------

PLAN = ("team", "client.plan")
declare(
    "plan.problem_added",
    keys=("client", "plan_version", "plan_problem", "problem"),
    streams=PLAN,
)
declare("plan.intervention_added", keys=("client", "plan_version", "intervention"), streams=PLAN)
declare("plan.rated", keys=("client", "plan_version", "plan_problem", "rating"), streams=PLAN)
declare("diary.added", keys=("note", "client", "author"), streams=("team", "client.diary"))

# --- visits and series ----------------------------------------------------------------------

_visit(
    "visit.planned", ("status", "assignee", "window_start", "window_end"), "{actor} planned a visit"
)
_visit("visit.claimed", ("assignee", "status"), "{actor} took a visit")
_visit(
    "visit.assigned",
    ("assignee", "status"),
    "{actor} gave a visit to {assignee:person=a colleague}",
)
_visit("visit.unassigned", ("assignee", "status"), "{actor} left a visit open for someone to take")
_visit(
    "visit.running_late",
    ("late_until",),
    {
        "late_until": "{actor} is running late for a visit",
        "": "{actor} is no longer running late for a visit",
    },
)
_visit("visit.swapped", ("assignee",), "{actor} swapped a visit")
_visit(
    "visit.started",
    ("actual_start", "assignee", "status"),
    "{actor} started a visit",
    # taken_from: the colleague who held it, when the one who went took it over.
    optional=("late_until", "taken_from"),
)
_visit(
    "visit.finished",
    ("status", "actual_start", "actual_end", "debit", "amount"),
    "{actor} recorded a visit done",
)
_visit("visit.cancelled", ("status",), "{actor} cancelled a visit")
_visit("visit.missed", ("status",), "{actor} marked a visit missed")
_visit("visit.lent", ("assignee", "status", "grant", "expires_at"), "{actor} lent a visit")
declare(
    "visit.generated",
    keys=("series", "client", "visits", "first", "last"),
    streams=VISITS,
    words={
        "actor": "{actor} generated visits from a repeating series",
        "": "Repeating visits were planned ahead",
    },
)
declare(
    "visit_series.created",
    keys=("series", "client", "version"),
    streams=VISITS,
    words="{actor} set up a repeating visit",
)
declare(
    "visit_series.exception_added",
    keys=("series", "client", "exception", "date", "cancelled", "visit", "visit_version"),
    streams=VISITS,
    words={
        "cancelled": "{actor} cancelled one day of a repeating visit",
        "": "{actor} moved one day of a repeating visit",
    },
)

# --- budgets --------------------------------------------------------------------------------

BUDGET = ("team", "client.budget")
declare("budget.created", keys=("budget", "client", "version", "replaces"), streams=BUDGET)
declare(
    "budget.entry_added",
    keys=("budget", "client", "entry", "kind", "amount", "on", "corrects"),
    streams=BUDGET,
)

# --- quality and figures --------------------------------------------------------------------

declare(
    "survey.answered",
    keys=("survey", "client", "period"),
    streams=("team",),
    words="A client answered the experience survey",
)
declare(
    "snapshot.prepared",
    keys=("snapshot", "team", "period"),
    streams=("team",),
    words="{actor} prepared quality figures for publishing",
)
declare(
    "snapshot.published",
    keys=("snapshot", "team", "period", "version", "decision"),
    streams=("team", "shared", "network"),
    words="The team's quality figures were published (version {version})",
)
declare("figures.shared", keys=("team", "period", "shared_figures"), streams=("network",))
