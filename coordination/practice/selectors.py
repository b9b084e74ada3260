"""Every read of practice notes, scoped to the reader (``practice.access``), each in a
fixed number of queries however many rows there are. Search and the note list are in
``search``; the feed is in ``feed``."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from care.models import OmahaProblem, OmahaTarget
from coordination.practice import access
from coordination.practice.models import (
    Answer,
    Comment,
    Follow,
    Note,
    NoteVersion,
    Pointer,
    Tag,
    Useful,
)
from teams.models import Person, Team


def note_for(person: Person, pk: int) -> Note | None:
    """The note with what its page shows, if the person may read it; else None (the
    caller answers 404, as for a note that does not exist). ``marked_useful``: the
    reader marked it."""
    rows = access.notes_for(person).filter(pk=pk)
    if getattr(person, "is_authenticated", False):
        # It fills marked_useful, declared on Note: not the clash mypy sees.
        rows = rows.annotate(  # type: ignore[no-redef]
            marked_useful=Exists(Useful.objects.filter(note=OuterRef("pk"), person=person))
        )
    note = (
        rows.select_related("author", "team", "accepted_answer")
        .prefetch_related(
            "tags",
            "problems",
            "targets",
            Prefetch("pointers", queryset=Pointer.objects.select_related("team", "by")),
        )
        .first()
    )
    if note is not None and not hasattr(note, "marked_useful"):
        note.marked_useful = False
    return note


def answer_for(person: Person, pk: int) -> Answer | None:
    """An answer, if the person may read its question."""
    answer = Answer.objects.select_related("note__author", "note__team").filter(pk=pk).first()
    if answer is None or not access.can_read_note(person, answer.note):
        return None
    return answer


def answers_of(note: Note) -> QuerySet[Answer]:
    return (
        Answer.objects.filter(note=note).select_related("author", "team").order_by("created", "id")
    )


def comments_of(note: Note) -> QuerySet[Comment]:
    return Comment.objects.filter(note=note).select_related("author").order_by("created", "id")


def versions_of(note: Note) -> QuerySet[NoteVersion]:
    return NoteVersion.objects.filter(note=note).select_related("editor").order_by("-number")


def follows_of(person: Person) -> QuerySet[Follow]:
    return Follow.objects.filter(person=person).select_related("tag", "problem", "team")


def follow_of(person: Person, pk: int) -> Follow | None:
    return follows_of(person).filter(pk=pk).first()


def followed(person: Person) -> dict[str, set[int]]:
    """Ids of the tags, problems and teams the person follows (one query)."""
    found: dict[str, set[int]] = {"tag": set(), "problem": set(), "team": set()}
    for tag, problem, team in Follow.objects.filter(person=person).values_list(
        "tag_id", "problem_id", "team_id"
    ):
        if tag:
            found["tag"].add(tag)
        if problem:
            found["problem"].add(problem)
        if team:
            found["team"].add(team)
    return found


def tags(person: Person) -> QuerySet[Tag]:
    """The network's tags, each with how many of the notes the person may read it is on."""
    if access.is_participant(person):
        counted = Count("notes")
    else:
        counted = Count("notes", filter=Q(notes__public=True))
    return Tag.objects.annotate(notes_count=counted).order_by("name")


def tag_by_slug(slug: str) -> Tag | None:
    return Tag.objects.filter(slug=slug).first()


def problems() -> QuerySet[OmahaProblem]:
    return OmahaProblem.objects.order_by("number")


def problem_by_number(number: int) -> OmahaProblem | None:
    return OmahaProblem.objects.filter(number=number).first()


def targets() -> QuerySet[OmahaTarget]:
    return OmahaTarget.objects.order_by("number")


def teams() -> QuerySet[Team]:
    """Every team of the network (names only), for filters, follows and pointers."""
    return Team.objects.order_by("name").only("id", "name", "slug", "town")


def team_by_id(pk: int) -> Team | None:
    return Team.objects.filter(pk=pk).first()
