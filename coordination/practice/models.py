"""Tables of practice across the network. Registered with the coordination app
(imported at the bottom of coordination/models.py).

A ``Note`` keeps its current text (Markdown in ``body``, the sanitised HTML rendered
from it at write time in ``body_html``) and, in ``NoteVersion``, every version it has
had, the first included. ``search`` is the note's full-text vector on PostgreSQL
(title weight A, tags and Omaha names B, body C), written by the services on every
write (``search.index_note``); on SQLite it stays empty and search falls back to a
plain text match. Its GIN index exists on PostgreSQL only (migration 0005).

``FeedItem`` is the network feed: one row per note, answer or shared set of team
figures, with the team, tags and Omaha problems it is about (for "what I follow")
and whether it is public. The services add notes and answers; figures arrive as
``figures.shared`` events (``feed.on_event``).
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from care.models import OmahaProblem, OmahaTarget
from teams.models import Person, Team

TITLE_LIMIT = 200
BODY_LIMIT = 20_000
ANSWER_LIMIT = 10_000
COMMENT_LIMIT = 2_000
POINTER_NOTE_LIMIT = 300


class Tag(models.Model):
    """A word notes are filed under ("falls", "dementia"). A curated list, seeded by a
    data migration; a team member adds a new one explicitly (its own endpoint), so a
    typo in a note is an error, not a new tag."""

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=60, unique=True)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Note(models.Model):
    class Kind(models.TextChoices):
        PRACTICE = "practice", "Practice (how we do it)"
        QUESTION = "question", "Question"
        STORY = "story", "Story (something we tried)"
        GUIDE = "guide", "Guide"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_LIMIT)
    body = models.TextField(help_text="Markdown.")
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"body": BODY_LIMIT}
    body_html = models.TextField(help_text="The body rendered and sanitised at write time.")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="practice_notes")
    # The author's team it was written from (None for coaches). When ``team_owned``,
    # any current member of that team may edit it; otherwise only its author.
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="practice_notes"
    )
    team_owned = models.BooleanField(default=False)
    public = models.BooleanField(
        default=False, help_text="Inspectors, clients and their network may read it too."
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="notes")
    problems = models.ManyToManyField(OmahaProblem, blank=True, related_name="practice_notes")
    targets = models.ManyToManyField(OmahaTarget, blank=True, related_name="practice_notes")
    accepted_answer = models.ForeignKey(
        "Answer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    useful_count = models.PositiveIntegerField(default=0)
    answer_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(default=timezone.now)
    search = SearchVectorField(null=True, blank=True, editable=False)
    # Not columns: a search result's rank and highlighted title and snippet (search.py,
    # from the *_marked headlines its SQL adds), and whether the reader marked it useful.
    rank: float | None
    title_marked: str
    body_marked: str
    title_html: str
    snippet: str
    marked_useful: bool

    class Meta:
        app_label = "coordination"
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team_owned=False) | Q(team__isnull=False),
                name="practice_team_owned_note_has_team",
            ),
            models.CheckConstraint(
                condition=Q(kind="question") | Q(accepted_answer__isnull=True),
                name="practice_only_questions_accept_answers",
            ),
        ]
        indexes = [
            models.Index(fields=["-created", "-id"], name="practice_note_newest"),
            models.Index(fields=["team", "-created"], name="practice_note_team"),
            GinIndex(fields=["search"], name="practice_note_search"),
            # Newest first within one kind (the list and a search filtered by kind):
            # one partial index per kind, each ordered like practice_note_newest, so
            # the newest matches of a common word in one kind are read densely.
            # (Partial, not (kind, created): the planner prices an index by how its
            # leading column follows the table, and created does, kind does not.)
            *(
                models.Index(
                    fields=["-created", "-id"],
                    condition=Q(kind=kind),
                    name=f"practice_note_newest_{kind}",
                )
                for kind in ("practice", "question", "story", "guide")
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_question(self) -> bool:
        return self.kind == self.Kind.QUESTION


class NoteVersion(models.Model):
    """One version of a note as it was written (number 1 is the first)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Note.Kind.choices)
    title = models.CharField(max_length=TITLE_LIMIT)
    body = models.TextField()
    body_html = models.TextField()
    public = models.BooleanField(default=False)
    tags = models.JSONField(default=list, help_text="Tag slugs.")
    problems = models.JSONField(default=list, help_text="Omaha problem numbers.")
    targets = models.JSONField(default=list, help_text="Omaha target numbers.")
    editor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["note", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="practice_version_once"),
        ]

    def __str__(self) -> str:
        return f"{self.note_id} v{self.number}"


class Answer(models.Model):
    """An answer to a question (Markdown, rendered at write time like a note)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField()
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"body": ANSWER_LIMIT}
    body_html = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"Answer {self.pk} to {self.note_id}"


class Comment(models.Model):
    """A short plain-text comment on a note."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"body": COMMENT_LIMIT}
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.note_id}"


class Useful(models.Model):
    """A person found a note useful (once each)."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="useful_marks")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        constraints = [
            models.UniqueConstraint(fields=["note", "person"], name="practice_useful_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} found {self.note_id} useful"


class Follow(models.Model):
    """A person follows a tag, an Omaha problem or a team: exactly one of them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="practice_follows")
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    problem = models.ForeignKey(
        OmahaProblem, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["created", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tag__isnull=False, problem__isnull=True, team__isnull=True)
                | Q(tag__isnull=True, problem__isnull=False, team__isnull=True)
                | Q(tag__isnull=True, problem__isnull=True, team__isnull=False),
                name="practice_follow_one_thing",
            ),
            models.UniqueConstraint(
                fields=["person", "tag"],
                condition=Q(tag__isnull=False),
                name="practice_follow_tag_once",
            ),
            models.UniqueConstraint(
                fields=["person", "problem"],
                condition=Q(problem__isnull=False),
                name="practice_follow_problem_once",
            ),
            models.UniqueConstraint(
                fields=["person", "team"],
                condition=Q(team__isnull=False),
                name="practice_follow_team_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} follows {self.tag_id or self.problem_id or self.team_id}"


class Pointer(models.Model):
    """A coach points a question to a team that solved something like it before."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE, related_name="pointers")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    note_text = models.CharField(max_length=POINTER_NOTE_LIMIT, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "coordination"
        ordering = ["created", "id"]
        constraints = [
            models.UniqueConstraint(fields=["note", "team"], name="practice_point_team_once"),
        ]

    def __str__(self) -> str:
        return f"{self.note_id} pointed to team {self.team_id}"


class FeedItem(models.Model):
    """One entry of the network feed, newest first, paged by (created, id)."""

    class Kind(models.TextChoices):
        NOTE = "note", "Note"
        ANSWER = "answer", "Answer"
        FIGURES = "figures", "Shared team figures"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The id of the note, the answer or the shared figures it is about.
    ref_id = models.BigIntegerField()
    note = models.ForeignKey(
        Note, null=True, blank=True, on_delete=models.CASCADE, related_name="feed_items"
    )
    answer = models.ForeignKey(
        Answer, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    public = models.BooleanField(default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="+")
    problems = models.ManyToManyField(OmahaProblem, blank=True, related_name="+")
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)
    # Not a column: a figures item's month in words (the feed page).
    period_label: str

    class Meta:
        app_label = "coordination"
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "ref_id"], name="practice_feed_once"),
            models.CheckConstraint(
                condition=Q(kind="note", note__isnull=False, answer__isnull=True)
                | Q(kind="answer", note__isnull=False, answer__isnull=False)
                | Q(kind="figures", note__isnull=True, answer__isnull=True),
                name="practice_feed_item_refers",
            ),
        ]
        indexes = [
            models.Index(fields=["-created", "-id"], name="practice_feed_newest"),
            models.Index(fields=["public", "-created", "-id"], name="practice_feed_public"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.ref_id}"
