"""Stored texts that the privacy check would hold today (``manage.py privacy_scan``).

Texts written before the check covered their door, or before a client joined whose
name they happen to hold, are where they were: this finds them so the teams can be
asked to edit them. Each finding is named by model, id, field, the team whose text it
is and the kind of hit, never by what the text says: whoever runs it is an operator,
not a care worker.

Every text other teams, coaches or the public read is scanned, each against what its
writer knows now (``known.load``: their teams' clients and those lent to them) and,
when the text is a team's, that team's clients:

- practice: notes and every earlier version of them, answers, comments, coaches'
  pointers (against the team pointed to), tag names;
- help across teams: the skills a request asks for, an offer's note, the reason an
  offer was declined (the asking team's words, read by the helper);
- a team's decisions, which its coaches read: proposals (title, purpose, details and
  their kind's payload texts), objections, comments, and what adoption stored from
  them: agreements, roles, handover notes, the reasons members left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.db.models import Model

from coordination.models import HelpOffer, HelpRequest
from coordination.practice.models import Answer, Comment, Note, NoteVersion, Pointer, Tag
from coordination.privacy import findings, known
from teams import models as team_models
from teams.models import Person, Team
from teams.services.proposals import revision_texts

CHUNK = 500


@dataclass(frozen=True)
class Found:
    model: str  # "teams.proposal"
    pk: int
    field: str  # "details", "payload.handover_notes"
    team: str  # the slug of the team whose text it is ("" for nobody's)
    kind: str  # a key of coordination.privacy.KINDS: "name", "address", "surname", ...
    confirmable: bool  # a softer hit the author could have confirmed


@dataclass(frozen=True)
class Source:
    """One model's texts: rows of ``values(*columns)``, each row's writer and team
    (ids, or None) and its texts by field."""

    model: type[Model]
    columns: tuple[str, ...]
    author: str | None  # the column holding the writer's id
    team: str | None  # the column holding the team's id
    texts: Callable[[dict], dict[str, str]]


def _fields(*names: str) -> Callable[[dict], dict[str, str]]:
    return lambda row: {name: row[name] for name in names}


def _proposal_texts(row: dict) -> dict[str, str]:
    text = {name: row[name] for name in ("title", "purpose", "details")}
    found, _ = revision_texts(row["kind"], text, row["payload"])
    return found


def _source(model, texts, *, author=None, team=None, columns=()) -> Source:
    """A model's text fields (names, or a function of the row), its writer's and
    team's columns, and any other columns the texts need."""
    if isinstance(texts, tuple):
        names = texts
        columns = (*names, *columns)
        texts = _fields(*names)
    wanted = tuple(c for c in (author, team) if c)
    return Source(model, (*columns, *wanted), author, team, texts)


SOURCES: list[Source] = [
    _source(Note, ("title", "body"), author="author_id", team="team_id"),
    _source(NoteVersion, ("title", "body"), author="editor_id", team="note__team_id"),
    _source(Answer, ("body",), author="author_id", team="team_id"),
    _source(Comment, ("body",), author="author_id"),
    # A coach's word to a team: that team's clients are the ones it might name.
    _source(Pointer, ("note_text",), author="by_id", team="team_id"),
    _source(Tag, ("name",), author="created_by_id"),
    _source(HelpRequest, ("skills",), author="raised_by_id", team="team_id"),
    _source(HelpOffer, ("note",), author="person_id"),
    # Why the asking team declined an offer: its words, read by the helper.
    _source(HelpOffer, ("reason",), team="request__team_id"),
    _source(
        team_models.Proposal,
        _proposal_texts,
        author="author_id",
        team="team_id",
        columns=("title", "purpose", "details", "kind", "payload"),
    ),
    _source(team_models.Response, ("reason",), author="person_id", team="proposal__team_id"),
    _source(team_models.Comment, ("body",), author="author_id", team="proposal__team_id"),
    # What adopted decisions stored: checked when proposed, scanned again here since
    # the team's clients have changed since.
    _source(team_models.Agreement, ("text",), team="team_id"),
    _source(team_models.Role, ("name", "description"), team="team_id"),
    _source(team_models.RoleTerm, ("handover_notes",), team="role__team_id"),
    _source(team_models.Membership, ("left_reason",), team="team_id"),
]


class _Context:
    """People, teams and what each (writer, team) knows, each loaded once."""

    def __init__(self):
        self.teams = {team.pk: team for team in Team.objects.all()}
        self.people: dict[int, Person | None] = {}
        self.known: dict[tuple[int | None, int | None], known.Known] = {}

    def person(self, pk: int | None) -> Person | None:
        if pk is None:
            return None
        if pk not in self.people:
            self.people[pk] = Person.objects.filter(pk=pk).first()
        return self.people[pk]

    def what_is_known(self, author: int | None, team: int | None) -> known.Known:
        key = (author, team)
        if key not in self.known:
            self.known[key] = known.load(self.person(author), team=self.teams.get(team))
        return self.known[key]


def scan(*, sources: list[Source] | None = None) -> Iterator[Found]:
    """Every finding in the stored texts, source by source, in id order."""
    context = _Context()
    for source in SOURCES if sources is None else sources:
        label = source.model._meta.label_lower
        rows = source.model._default_manager.order_by("pk").values("pk", *source.columns)
        for row in rows.iterator(chunk_size=CHUNK):
            texts = {name: text for name, text in source.texts(row).items() if text}
            if not texts:
                continue
            author = row[source.author] if source.author else None
            team_id = row[source.team] if source.team else None
            team = context.teams.get(team_id)
            seen: set[tuple[str, str]] = set()
            for finding in findings(
                author=context.person(author),
                texts=texts,
                what_is_known=context.what_is_known(author, team_id),
            ):
                if (finding.field, finding.kind) in seen:
                    continue  # one line for each kind of hit in a field
                seen.add((finding.field, finding.kind))
                yield Found(
                    model=label,
                    pk=row["pk"],
                    field=finding.field,
                    team=team.slug if team else "",
                    kind=finding.kind,
                    confirmable=finding.confirmable,
                )
