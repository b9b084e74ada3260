"""Which clients follow a team split: the suggestion, its reasons, the check.

The split proposal names the clients who move to the new team (``payload["clients"]``,
a list of client ids). The suggestion keeps each client with the nurses who visited
them most and keeps neighbours together:

- For every client of the team who is not discharged, the done visits of the last
  twelve weeks are counted twice: those by members who move, those by members who
  stay (counted in the database, one query however many clients and visits).
- Clients are grouped by postcode sector (the outward code and the first character
  of the inward code: "NW1 6" for NW1 6XE, "7413 A" for 7413 AB); a client without a
  postcode is a group of their own. A group goes as a whole to the side that made
  more of its visits; a tie, or no visits at all, stays with the old team.

Moving the clients is ``care.services.split.clients_follow_split``; this module
registers it with the team split (``teams.decisions``) from ``CareConfig.ready``.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from care.models import Client, Visit
from care.services.split import clients_follow_split
from teams import decisions
from teams.cleaning import refused
from teams.models import Membership, Proposal, Team
from teams.numbers import is_id

KEY = "clients"
WINDOW = datetime.timedelta(weeks=12)
# A team looks after tens of clients; this only keeps a request's list sane.
MAX_CLIENTS = 5000
NOT_A_LIST = "A list of client ids: the clients who move to the new team."

_UK = re.compile(r"[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}")
_NL = re.compile(r"[0-9]{4}[A-Z]{2}")


def postcode_sector(postcode: str) -> str:
    """The neighbourhood a postcode is in: "NW1 6" for "nw1 6xe"; "" without one."""
    code = " ".join((postcode or "").upper().split())
    if not code:
        return ""
    if " " in code:
        outward, inward = code.split(" ", 1)
        return f"{outward} {inward[0]}"
    if _UK.fullmatch(code):
        return f"{code[:-3]} {code[-3]}"
    if _NL.fullmatch(code):
        return f"{code[:4]} {code[4]}"
    return code  # not a shape we know: the code itself is the neighbourhood


@dataclass
class Row:
    """One client in the suggestion, with why."""

    client: Client
    sector: str  # "" when the client has no postcode
    moving_visits: int
    staying_visits: int
    moves: bool = False
    neighbours: list[Client] = field(default_factory=list)
    reason: str = ""

    @property
    def id(self) -> int:
        return self.client.pk


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def _visited(moving: int, staying: int) -> str:
    if not moving and not staying:
        return "no visits in the last 12 weeks"
    if moving and staying:
        return f"visited {_times(moving)} by moving members, {_times(staying)} by staying members"
    count, side = (moving, "moving") if moving else (staying, "staying")
    if count == 1:
        return f"visited once, by a {side} member"
    return f"visited {_times(count)}, all by {side} members"


def _names(clients: list[Client], shown: int = 3) -> str:
    names = [c.display_name for c in clients[:shown]]
    if len(clients) > shown:
        names.append(f"{len(clients) - shown} more")
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _reason(row: Row, group_moving: int, group_staying: int) -> str:
    own = _visited(row.moving_visits, row.staying_visits)
    text = own[0].upper() + own[1:]
    if row.neighbours:
        text += f"; neighbour of {_names(row.neighbours)} in {row.sector}, "
        if group_moving or group_staying:
            text += f"together {_visited(group_moving, group_staying)}"
        else:
            text += "none of them visited either"
    if row.moves:
        verdict = "moves" if not row.neighbours else "moves with the neighbours"
    elif group_moving and group_moving == group_staying:
        verdict = "a tie, so stays"
    else:
        verdict = "stays" if not row.neighbours else "stays with the neighbours"
    return f"{text}: {verdict}."


def _moving_ids(moving) -> set[int]:
    return {int(pk) for pk in moving if str(pk).isdecimal()}


def explain_partition(team: Team, moving, *, also=()) -> list[Row]:
    """The suggestion for the people ``moving`` (person ids), client by client, with
    the reason; ordered by postcode sector, then name (clients without a postcode
    last). Names and visit counts only: not a read of anyone's record.

    Discharged clients are left out of the suggestion; those among ``also`` (ids, say
    the clients a proposal already names) are listed, suggested to stay, so a form can
    show everything that was chosen."""
    movers = _moving_ids(moving)
    named = [int(pk) for pk in also if _is_id(pk)]
    since = timezone.now() - WINDOW
    staying = (
        Membership.objects.current()
        .filter(team=team)
        .exclude(person_id__in=movers)
        .values("person_id")
    )
    done = Q(visits__status=Visit.Status.DONE, visits__window_start__gte=since)
    clients = (
        Client.objects.filter(team=team)
        .filter(~Q(status=Client.Status.DISCHARGED) | Q(pk__in=named))
        .annotate(
            moving_visits=Count("visits", filter=done & Q(visits__assignee_id__in=movers)),
            staying_visits=Count("visits", filter=done & Q(visits__assignee_id__in=staying)),
        )
        .order_by("last_name", "first_name", "pk")
    )
    groups: dict[str, list[Row]] = defaultdict(list)
    rows: list[Row] = []
    for client in clients:
        sector = postcode_sector(client.postcode)
        row = Row(client, sector, client.moving_visits, client.staying_visits)
        if client.status == Client.Status.DISCHARGED:
            row.reason = "Discharged: left out of the suggestion."
            rows.append(row)
        else:
            groups[sector or f"#{client.pk}"].append(row)
    for members in groups.values():
        group_moving = sum(r.moving_visits for r in members)
        group_staying = sum(r.staying_visits for r in members)
        for row in members:
            row.moves = group_moving > group_staying
            row.neighbours = [r.client for r in members if r is not row]
            row.reason = _reason(row, group_moving, group_staying)
        rows.extend(members)
    rows.sort(key=lambda r: (not r.sector, r.sector, r.client.last_name, r.client.first_name, r.id))
    return rows


def suggest(team: Team, moving) -> list[int]:
    """The ids of the clients the suggestion moves to the new team."""
    return sorted(row.id for row in explain_partition(team, moving) if row.moves)


def clients_named(team: Team, ids) -> list[Client]:
    """The clients a split proposal of ``team`` names, by name: still the team's, or
    since moved to the team split from it (the decision stays the team's record)."""
    return list(
        Client.objects.filter(pk__in=[pk for pk in ids if _is_id(pk)])
        .filter(Q(team=team) | Q(team__split_from=team))
        .order_by("last_name", "first_name", "pk")
    )


def _is_id(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str) and value.isdecimal():
        value = int(value)
    return is_id(value)


def validate(team: Team, moving, value) -> list[int]:
    """The clients who move, as sorted ids; each must be a client of ``team`` (of any
    status). Errors are named ``clients``."""
    if not isinstance(value, list) or not all(_is_id(v) for v in value):
        raise refused(KEY, NOT_A_LIST)
    if len(value) > MAX_CLIENTS:
        raise refused(KEY, f"At most {MAX_CLIENTS} clients.")
    ids = sorted({int(v) for v in value})
    found = set(Client.objects.filter(team=team, pk__in=ids).values_list("pk", flat=True))
    strangers = [pk for pk in ids if pk not in found]
    if strangers:
        listed = ", ".join(str(pk) for pk in strangers)
        raise refused(KEY, f"Not clients of this team: {listed}.")
    return ids


def apply(old: Team, new: Team, moving: list[int], value: list[int], proposal: Proposal) -> dict:
    moved = clients_follow_split(
        actor=None,
        decision=proposal,
        old_team=old,
        new_team=new,
        moving=moving,
        clients=value,
    )
    count = len(moved)
    summary = f"{count} client{'s' if count != 1 else ''} moved with them" if count else ""
    return {"clients_moved": moved, "summary": summary or "no clients moved"}


PARTICIPANT = decisions.SplitParticipant(
    key=KEY,
    label="Clients who move to the new team",
    validate=validate,
    suggest=suggest,
    apply=apply,
    field=decisions.Field(
        KEY,
        "Clients who move to the new team",
        decisions.SPLIT_CLIENTS,
        help=(
            "Ticked clients move with their whole record. Suggested: each client "
            "goes with the members who visited them most in the last 12 weeks, "
            "neighbours (same postcode sector) together; a tie stays."
        ),
        required=False,  # left out, the split takes the suggestion
        depends_on="moving",
    ),
)


def register() -> None:
    decisions.register_split_participant(PARTICIPANT)
