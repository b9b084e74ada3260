"""How proposals read on a page: kind labels, status lines and payload summaries.

Only words: where a proposal stands comes from ``services.tally`` and the proposal's
own fields; this module says it in plain language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.timesince import timeuntil

from teams import decisions, services


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
    tally = services.tally(proposal)
    status = proposal.status
    if status == "adopted":
        summary = outcome_summary(proposal)
        when = timezone.localtime(proposal.decided_at)
        line = f"Adopted on {when:%-d %b %Y}" + (f": {summary}" if summary else ".")
        return Status("adopted", "adopted", line, tally, False)
    if status == "withdrawn":
        when = timezone.localtime(proposal.decided_at) if proposal.decided_at else None
        line = f"Withdrawn by its author on {when:%-d %b %Y}." if when else "Withdrawn."
        return Status("withdrawn", "withdrawn", line, tally, False)
    objections = tally["open_objections"]
    missing = max(0, tally["needed"] - tally["responded"])
    if now < proposal.closes_at:
        left = timeuntil(proposal.closes_at, now, depth=2)
        closes = timezone.localtime(proposal.closes_at)
        short = f"closes in {left}"
        line = f"Open: the objection window closes in {left} ({closes:%a %-d %b, %H:%M})."
        note = ""
        if objections:
            short += f", {_plural(objections, 'objection')}"
            note = "An open objection blocks it until it is resolved."
        return Status("open", short, line, tally, True, note)
    not_applied = (proposal.outcome or {}).get("not_applied")
    if objections:
        short = "blocked by an objection"
        note = "The author can amend the proposal, or the objection can be withdrawn."
        return Status("blocked", short, "Blocked by an objection.", tally, False, note)
    if missing:
        short = f"waiting for {_plural(missing, 'more response')}"
        line = f"The window has closed; waiting for {_plural(missing, 'more response')}."
        return Status("waiting", short, line, tally, False)
    if not_applied:
        line = f"Could not be applied as it stands: {not_applied}"
        return Status("not_applied", "could not be applied", line, tally, False)
    return Status(
        "closing", "being adopted", "The window has closed: being adopted now.", tally, False
    )


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


def _date(value) -> str:
    try:
        return f"{datetime.date.fromisoformat(str(value)):%-d %b %Y}"
    except ValueError:
        return str(value)


ROLE_FATE = {"stay": "stays", "move": "moves with its holder", "end": "ends"}


def payload_summary(kind: str, payload: dict, names) -> list[dict]:
    """What the proposal would do, as label/value pairs, with names instead of ids.
    ``names`` is a ``frontend.forms.Names``. ``long`` values keep their line breaks."""
    p = payload or {}
    rows: list[tuple[str, str] | tuple[str, str, bool]] = []
    if kind == "admit_member":
        if p.get("email") and not p.get("person"):
            who = f"{p['name']} ({p['email']})" if p.get("name") else p["email"]
            rows = [("Invited to join the team", who)]
        else:
            rows = [("Joins the team", names.person(p.get("person")))]
    elif kind == "remove_member":
        rows = [("Leaves the team", names.person(p.get("person")))]
        if p.get("until"):
            rows.append(("Member until", _date(p["until"])))
        if p.get("reason"):
            rows.append(("Reason", p["reason"]))
    elif kind == "role_handover":
        rows = [
            ("Role", names.role(p.get("role", ""))),
            ("Next holder", names.person(p.get("person"))),
            ("Term", f"{_date(p.get('starts'))} to {_date(p.get('ends'))}"),
        ]
        if p.get("handover_notes"):
            rows.append(("Handover notes", p["handover_notes"], True))
    elif kind == "role_create":
        rows = [("New role", p.get("name", "")), ("What it does", p.get("description", ""), True)]
    elif kind == "agreement":
        rows = [("The agreement would read", p.get("text", ""), True)]
    elif kind == "coach_invite":
        if p.get("email") and not p.get("coach"):
            who = f"{p['name']} ({p['email']})" if p.get("name") else p["email"]
            rows = [("Coach, invited by email", who)]
        else:
            rows = [("Coach", names.coach(p.get("coach")))]
        if p.get("starts"):
            rows.append(("Term", f"{_date(p['starts'])} to {_date(p.get('ends'))}"))
        else:
            rows.append(("Until", _date(p.get("ends"))))
    elif kind == "coach_end":
        rows = [("Coach whose term ends", names.coach(p.get("coach")))]
    elif kind == "team_split":
        moving = [names.person(pk) for pk in p.get("moving", [])]
        rows = [
            ("New team", p.get("new_name", "")),
            ("The staying team is called", p.get("stays_name", "")),
            ("Moving to the new team", ", ".join(moving) or "nobody"),
        ]
        fates = [
            f"{names.role(key)} {ROLE_FATE.get(fate, fate)}"
            for key, fate in sorted((p.get("roles") or {}).items())
        ]
        if fates:
            rows.append(("Roles", "; ".join(fates)))
    elif kind != "general":
        rows = [(key.replace("_", " ").capitalize(), str(value)) for key, value in p.items()]
    return [{"label": r[0], "value": r[1], "long": len(r) > 2} for r in rows]
