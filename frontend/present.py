"""How proposals read on a page: kind labels, status lines and payload summaries.

Only words: where a proposal stands comes from ``proposal_services.proposal_stage`` (the API
says the same ``stage``) and ``proposal_services.tally``; what a payload does comes from its
kind's summary (``teams.decisions``). This module says them in plain language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.timesince import timeuntil

from teams import decisions, selectors
from teams.models import Team
from teams.services import proposals as proposal_services
from teams.services.proposals import Stage


def kind_label(key: str) -> str:
    kind = decisions.get(key)
    return kind.label if kind else key.replace("_", " ").capitalize()


ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def plain_dates(text: str) -> str:
    """Outcome summaries carry ISO dates (2027-11-23); people read 23 Nov 2027."""

    def say(match: re.Match) -> str:
        try:
            return f"{datetime.date(*map(int, match.groups())):%-d %b %Y}"
        except ValueError:
            return match.group(0)

    return ISO_DATE.sub(say, text or "")


def long_date(value) -> str:
    """An ISO date as people read it (23 Nov 2027); anything else as it is."""
    try:
        return f"{datetime.date.fromisoformat(str(value)):%-d %b %Y}"
    except ValueError:
        return str(value)


def outcome_summary(proposal) -> str:
    return plain_dates((proposal.outcome or {}).get("summary", ""))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


@dataclass
class Status:
    state: str  # open, blocked, waiting, closing, not_applied, adopted, withdrawn
    short: str  # a few words for a list
    line: str  # the status line of the proposal page
    tally: dict
    window_open: bool
    note: str = ""  # what the line means for the reader, if anything

    @property
    def tally_line(self) -> str:
        t = self.tally
        line = (
            f"{t['responded']} of {t['members']} members responded; {t['needed']} needed. "
            f"{_plural(t['consents'], 'consent')}"
        )
        if t["open_objections"]:
            line += f", {_plural(t['open_objections'], 'open objection')}"
        return line + "."


def status_of(proposal, *, now: datetime.datetime | None = None) -> Status:
    now = now or timezone.now()
    tally = proposal_services.tally(proposal)
    stage = proposal_services.proposal_stage(proposal, now=now, counts=tally)
    if stage == Stage.ADOPTED:
        summary = outcome_summary(proposal)
        when = timezone.localtime(proposal.decided_at)
        line = f"Adopted on {when:%-d %b %Y}" + (f": {summary}" if summary else ".")
        return Status(stage, "adopted", line, tally, False)
    if stage == Stage.WITHDRAWN:
        withdrawn = timezone.localtime(proposal.decided_at) if proposal.decided_at else None
        line = f"Withdrawn by its author on {withdrawn:%-d %b %Y}." if withdrawn else "Withdrawn."
        return Status(stage, "withdrawn", line, tally, False)
    objections = tally["open_objections"]
    if stage == Stage.OPEN:
        left = timeuntil(proposal.closes_at, now, depth=2)
        closes = timezone.localtime(proposal.closes_at)
        short = f"closes in {left}"
        line = f"Open: the objection window closes in {left} ({closes:%a %-d %b, %H:%M})."
        note = ""
        if objections:
            short += f", {_plural(objections, 'objection')}"
            note = "An open objection blocks it until it is resolved."
        return Status(stage, short, line, tally, True, note)
    if stage == Stage.BLOCKED:
        short = "blocked by an objection"
        note = "The author can amend the proposal, or the objection can be withdrawn."
        return Status(stage, short, "Blocked by an objection.", tally, False, note)
    if stage == Stage.WAITING:
        missing = _plural(tally["needed"] - tally["responded"], "more response")
        line = f"The window has closed; waiting for {missing}."
        return Status(stage, f"waiting for {missing}", line, tally, False)
    if stage == Stage.NOT_APPLIED:
        line = f"Could not be applied as it stands: {proposal.outcome['not_applied']}"
        return Status(stage, "could not be applied", line, tally, False)
    return Status(stage, "being adopted", "The window has closed: being adopted now.", tally, False)


def as_decisions(proposals) -> list:
    """Adopted proposals for a list: their kind label and what they changed."""
    for proposal in proposals:
        proposal.kind_label = kind_label(proposal.kind)
        proposal.summary = outcome_summary(proposal)
    return list(proposals)


def with_status(proposals, *, now=None) -> list:
    now = now or timezone.now()
    for proposal in proposals:
        proposal.shown = status_of(proposal, now=now)
        proposal.kind_label = kind_label(proposal.kind)
    return list(proposals)


class Names:
    """Names (not ids) for a payload summary, looked up only when needed: what
    ``teams.decisions.Names`` asks of a page."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self._people: dict[str, str] | None = None
        self._coaches: dict[str, str] | None = None
        self._roles: dict[str, str] | None = None

    @staticmethod
    def _named(people) -> dict[str, str]:
        return {str(p.pk): p.display_name for p in people}

    def person(self, pk) -> str:
        if self._people is None:
            members = selectors.current_members(self.team)
            self._people = {str(m.person_id): m.person.display_name for m in members}
        name = self._people.get(str(pk))
        if name is None:  # someone who left, or who is to be admitted
            self._people.update(self._named(selectors.admission_candidates(self.team)))
            name = self._people.get(str(pk))
        return name or "someone no longer in Kith"

    def coach(self, pk) -> str:
        if self._coaches is None:
            terms = selectors.coach_terms_of(self.team)
            self._coaches = {str(t.coach_id): t.coach.display_name for t in terms}
        name = self._coaches.get(str(pk))
        if name is None:
            self._coaches.update(self._named(selectors.coach_candidates(self.team)))
            name = self._coaches.get(str(pk))
        return name or "a coach no longer in Kith"

    def role(self, key: str) -> str:
        if self._roles is None:
            self._roles = {r.key: r.name for r in selectors.roles_of(self.team)}
        return self._roles.get(key, key)

    date = staticmethod(long_date)


def payload_summary(kind: str, payload: dict, names: decisions.Names) -> list[dict]:
    """What the proposal would do, as label/value pairs, in its kind's words
    (``teams.decisions``); a kind no app registers reads field by field."""
    found = decisions.get(kind)
    summary = found.summary if found else decisions.summary_of_items
    lines = summary(payload or {}, names)
    return [{"label": line.label, "value": line.value, "long": line.long} for line in lines]
