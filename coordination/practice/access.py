"""Who may do what with practice notes. Services, selectors, the API, pages and the
live socket ask here.

- Network participants (a current member of any team, or a coach) read every note,
  answer, comment and feed item, and write: notes, answers, comments, useful marks,
  follows. Team members add tags. Coaches point questions to teams.
- Anyone else signed in (inspectors, clients and their network) reads public notes
  with their answers and comments, and the feed of public notes: nothing else, and
  never live (the network stream is the participants').
- Editing a note: its author, or, for a note owned by its team, any current member of
  that team. Accepting an answer: the asker (the question's author) alone.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from coordination.practice.models import Note
from teams import access as team_access
from teams.models import Person


def is_coach(person: Person) -> bool:
    return team_access.is_active(person) and person.kind == Person.Kind.COACH


def is_participant(person: Person) -> bool:
    """Reads all of practice and writes to it: team members and coaches."""
    return is_coach(person) or bool(team_access.member_team_ids(person))


def can_read_public(person: Person) -> bool:
    """Anyone signed in reads the public notes."""
    return team_access.is_active(person)


def visible_notes(person: Person) -> Q | None:
    """The condition on notes the person may read: everything (an empty Q), the public
    ones, or nothing (None)."""
    if is_participant(person):
        return Q()
    if can_read_public(person):
        return Q(public=True)
    return None


def notes_for(person: Person, queryset: QuerySet[Note] | None = None) -> QuerySet[Note]:
    queryset = Note.objects.all() if queryset is None else queryset
    condition = visible_notes(person)
    return queryset.none() if condition is None else queryset.filter(condition)


def can_read_note(person: Person, note: Note) -> bool:
    return is_participant(person) or (note.public and can_read_public(person))


def can_write(person: Person) -> bool:
    """Write notes, answer, comment, mark useful, follow."""
    return is_participant(person)


def can_edit_note(person: Person, note: Note) -> bool:
    if not team_access.is_active(person):
        return False
    if note.author_id == person.pk:
        return True
    return (
        note.team_owned and note.team_id is not None and team_access.is_member(person, note.team_id)
    )


def can_accept_answer(person: Person, note: Note) -> bool:
    return team_access.is_active(person) and note.author_id == person.pk


def can_point(person: Person) -> bool:
    """Point a question to a team that solved it before: coaches, who see many teams."""
    return is_coach(person)


def can_add_tag(person: Person) -> bool:
    return bool(team_access.member_team_ids(person))


def writing_teams(person: Person) -> set[int]:
    """The teams a person may write a note for: the ones they are a member of now."""
    return team_access.member_team_ids(person)


def reads_live(person: Person) -> bool:
    """Follows the network stream (new notes, answers, shared figures) live."""
    return is_participant(person)
