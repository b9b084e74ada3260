"""What every page needs: the team (or 404), the live heads, the activity names."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import Http404

from coordination import events as log
from coordination.privacy import ClientDataWarning, Finding
from frontend import activity
from teams import access, selectors
from teams.http import PageRequest
from teams.models import Team

ACTIVITY_LENGTH = 20


@dataclass
class Held:
    """A text the privacy check held, as its form shows it again: what was typed, what
    was found (``frontend/_held.html``), and whether the author may confirm it."""

    text: str
    warning: ClientDataWarning

    @property
    def findings(self) -> list[Finding]:
        return self.warning.findings

    @property
    def confirmable(self) -> bool:
        return self.warning.confirmable

    @property
    def summary(self) -> str:
        return self.warning.summary


def found_or_404[T](found: T | None, message: str) -> T:
    """What was looked up; a 404 saying ``message`` when nothing was found."""
    if found is None:
        raise Http404(message)
    return found


def team_or_404(request: PageRequest, slug: str) -> Team:
    """A team the person belongs to; everyone else gets 404, coaches included."""
    return found_or_404(selectors.team_for(request.user, slug=slug), "No such team among yours.")


def shared_team_or_404(request: PageRequest, slug: str, what: str) -> Team:
    """A team whose decisions the person may read: its members and invited coaches
    (a coach's read is logged for the team to see)."""
    team = selectors.shared_team_for(request.user, slug=slug, what=what)
    return found_or_404(team, "No such team among yours.")


def stream_for(request: PageRequest, team: Team) -> str:
    """Members follow the team's stream; invited coaches what it shares with them."""
    return team.stream if access.is_member(request.user, team) else team.shared_stream


def live(stream: str) -> dict:
    """The kith-live config: the head the page was read at, to resume the socket from.
    Call inside the transaction that reads the page's state."""
    return {"streams": log.heads([stream])}


def activity_names(team: Team, members, roles=(), proposals=(), coach_terms=()) -> activity.Names:
    names = activity.Names(
        people={m.person_id: m.person.display_name for m in members},
        roles={r.key: r.name for r in roles},
    )
    for role in roles:
        for term in getattr(role, "history", []):
            names.people.setdefault(term.person_id, term.person.display_name)
    for term in coach_terms:
        names.people.setdefault(term.coach_id, term.coach.display_name)
    for proposal in proposals:
        names.proposals.setdefault(proposal.pk, proposal.title)
    return names


def activity_lines(team: Team, names: activity.Names, head: int | None = None) -> list[dict]:
    stream = team.stream
    head = log.head(stream) if head is None else head
    records = log.read(stream, after=max(0, head - ACTIVITY_LENGTH), limit=ACTIVITY_LENGTH)
    return list(reversed(activity.lines(records, names)))


def confirmed_overlap(request: PageRequest) -> bool:
    """The "Take it anyway" box of a refused clash (``frontend/_overlap.html``), as the
    services' ``confirm_overlap``."""
    return request.POST.get("confirm_overlap") in ("on", "1", "true")
