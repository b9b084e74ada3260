"""Every write of practice across the network.

House rules as everywhere: keyword-only arguments, the actor first, one transaction,
permission through ``practice.access``, an audit row, and at most one event per change,
on the network stream (``coordination.events.NETWORK_STREAM``), carrying ids only:

- ``note.published``  {"note", "kind", "team", "version", "public"}
- ``note.revised``    {"note", "kind", "team", "version", "public"}
- ``answer.posted``   {"note", "answer", "team"}
- ``answer.accepted`` {"note", "answer", "accepted"}
- ``note.pointed``    {"note", "team", "pointer"}, also on the pointed team's stream,
  which is how that team hears of it.

Comments, useful marks, follows and tags change nobody's live view and publish
nothing.

A note is validated as a whole (every field's problem at once, named by field), then
checked for client data (``coordination.privacy``), as are answers, comments, coaches'
pointers and tag names: what seems to identify a client stops the write with a
``ClientDataWarning``; ``confirm_no_client_data`` lets through only the softer hits
(a surname alone, a phone number that is no client's), never a client's identifiers.
Edits carry the version the editor saw; a stale one is a ``Conflict`` with the note as
it is now. Each publish or edit writes a ``NoteVersion``, renders the body to safe HTML
(``render``), rewrites the search vector (``search.index_note``) and keeps the note's
feed entries in step (team, tags, Omaha problems, public).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from care.models import OmahaProblem, OmahaTarget
from coordination import privacy
from coordination.events import NETWORK_STREAM, Event, publish
from coordination.practice import access, render, search
from coordination.practice.models import (
    ANSWER_LIMIT,
    BODY_LIMIT,
    COMMENT_LIMIT,
    POINTER_NOTE_LIMIT,
    TITLE_LIMIT,
    Answer,
    Comment,
    FeedItem,
    Follow,
    Note,
    NoteVersion,
    Pointer,
    Tag,
    Useful,
)
from teams.cleaning import clean_text, limit_of, raise_errors, text
from teams.models import Person, Team
from teams.numbers import is_id
from teams.services.common import audit
from teams.versioning import check_version, lock, require_version, save_new_version

MAX_TAGS = 8
MAX_LINKS = 8  # Omaha problems, and targets, each
UNSET = object()
CONFIRM = privacy.CONFIRM
ClientDataWarning = privacy.ClientDataWarning
NOTE_LABELS = {"title": "title", "body": "text"}  # as the note form names its fields

Errors = dict[str, list[str]]


# --- state ------------------------------------------------------------------------------


def note_state(note: Note) -> dict[str, Any]:
    """What a client of the API needs to redraw a note (also the 409 body)."""
    return {
        "id": note.pk,
        "kind": note.kind,
        "title": note.title,
        "body": note.body,
        "team": note.team_id,
        "team_owned": note.team_owned,
        "public": note.public,
        "tags": sorted(t.slug for t in note.tags.all()),
        "problems": sorted(p.number for p in note.problems.all()),
        "targets": sorted(t.number for t in note.targets.all()),
        "version": note.version,
        "updated": note.updated.isoformat(),
    }


def _note_data(note: Note) -> dict[str, Any]:
    return {
        "note": note.pk,
        "kind": note.kind,
        "team": note.team_id,
        "version": note.version,
        "public": note.public,
    }


def _publish(
    kind: str,
    target: Note | Answer | Pointer,
    data: dict[str, Any],
    actor: Person,
    *,
    audited: dict[str, Any] | None = None,
    streams: Sequence[str] = (),
) -> None:
    """The change's audit row (its data, or ``audited``) and its event on the network
    stream (and ``streams``)."""
    audit(actor=actor, action=kind, target=target, data=data if audited is None else audited)
    publish(Event(kind, data, actor=actor.pk), streams=[NETWORK_STREAM, *streams])


# --- cleaning ---------------------------------------------------------------------------


def _flag(errors: Errors, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        errors.setdefault(name, []).append("Must be true or false.")
        return False
    return value


def _tags(errors: Errors, value: object) -> list[Tag]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors["tags"] = ["A list of tag slugs (see the list of tags)."]
        return []
    slugs = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(slugs) > MAX_TAGS:
        errors["tags"] = [f"At most {MAX_TAGS} tags."]
        return []
    found = {t.slug: t for t in Tag.objects.filter(slug__in=slugs)}
    unknown = [s for s in slugs if s not in found]
    if unknown:
        names = ", ".join(f"“{s}”" for s in unknown)
        errors["tags"] = [
            f"Unknown tag{'s' if len(unknown) > 1 else ''}: {names}. Choose from the list,"
            " or add the tag there first."
        ]
        return []
    return [found[s] for s in slugs]


def _omaha[Row: (OmahaProblem, OmahaTarget)](
    errors: Errors, name: str, value: object, model: type[Row], what: str
) -> list[Row]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        errors[name] = [f"A list of Omaha {what} numbers."]
        return []
    numbers = list(dict.fromkeys(value))
    if len(numbers) > MAX_LINKS:
        errors[name] = [f"At most {MAX_LINKS} {what}s."]
        return []
    keys = [n for n in numbers if is_id(n)]  # past a key's range: unknown, said below
    found = {row.number: row for row in model.objects.filter(number__in=keys)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        highest = model.objects.order_by("-number").values_list("number", flat=True).first() or 0
        listed = ", ".join(str(n) for n in unknown)
        errors[name] = [
            f"No Omaha {what} {listed}: {what}s are numbered 1 to {highest}."
            if len(unknown) == 1
            else f"No Omaha {what}s {listed}: {what}s are numbered 1 to {highest}."
        ]
        return []
    return [found[n] for n in numbers]


def _team(errors: Errors, actor: Person, value: object) -> Team | None:
    """The team a note is written for: one of the author's own (None for coaches)."""
    mine = access.writing_teams(actor)
    team_id = getattr(value, "pk", value)
    if team_id is None:
        if len(mine) == 1:
            return Team.objects.get(pk=next(iter(mine)))
        if mine:
            errors["team"] = ["Choose which of your teams writes this note."]
        return None
    if isinstance(team_id, bool) or not isinstance(team_id, int) or team_id not in mine:
        errors["team"] = [
            "One of your own teams." if mine else "Coaches write for themselves, not a team."
        ]
        return None
    return value if isinstance(value, Team) else Team.objects.get(pk=team_id)


def _check_client_data(
    actor: Person,
    texts: dict[str, str],
    confirmed: object,
    labels: dict[str, str] | None = None,
    team: Team | None = None,
) -> None:
    """Texts of practice are read across the network: hold what seems to identify a
    client (``coordination.privacy``); ``team``: whose clients count too."""
    privacy.check(author=actor, texts=texts, confirmed=confirmed is True, labels=labels, team=team)


# --- versions, the search vector and the feed -------------------------------------------


def _record_version(note: Note, editor: Person) -> NoteVersion:
    return NoteVersion.objects.create(
        note=note,
        number=note.version,
        kind=note.kind,
        title=note.title,
        body=note.body,
        body_html=note.body_html,
        public=note.public,
        tags=sorted(t.slug for t in note.tags.all()),
        problems=sorted(p.number for p in note.problems.all()),
        targets=sorted(t.number for t in note.targets.all()),
        editor=editor,
        created=note.updated,
    )


def feed_add(
    *,
    kind: str,
    ref_id: int,
    note: Note | None = None,
    answer: Answer | None = None,
    team_id: int | None = None,
    public: bool = False,
    tag_ids: Iterable[int] = (),
    problem_ids: Iterable[int] = (),
    data: dict[str, Any] | None = None,
    created: datetime.datetime | None = None,
) -> FeedItem:
    """Add an entry to the network feed (once per kind and ref_id: adding it again
    returns the entry there is). Called by the services here, and for shared team
    figures by the feed's listener on ``figures.shared`` events (``feed.on_event``)."""
    with transaction.atomic():
        item, created_now = FeedItem.objects.get_or_create(
            kind=kind,
            ref_id=ref_id,
            defaults={
                "note": note,
                "answer": answer,
                "team_id": team_id,
                "public": public,
                "data": data or {},
                "created": created or timezone.now(),
            },
        )
        if created_now:
            if tag_ids:
                item.tags.set(tag_ids)
            if problem_ids:
                item.problems.set(problem_ids)
    return item


def _feed_follow_note(note: Note, tags: list[Tag], problems: list[OmahaProblem]) -> None:
    """The note's feed entries (its own and its answers') take its tags, problems and
    public flag: a constant number of queries whatever the number of answers."""
    items = FeedItem.objects.filter(note=note)
    items.exclude(public=note.public).update(public=note.public)
    ids = list(items.values_list("pk", flat=True))
    tag_through = FeedItem.tags.through
    problem_through = FeedItem.problems.through
    tag_through.objects.filter(feeditem_id__in=ids).delete()
    problem_through.objects.filter(feeditem_id__in=ids).delete()
    tag_through.objects.bulk_create(
        [tag_through(feeditem_id=i, tag_id=t.pk) for i in ids for t in tags]
    )
    problem_through.objects.bulk_create(
        [problem_through(feeditem_id=i, omahaproblem_id=p.pk) for i in ids for p in problems]
    )


# --- notes ------------------------------------------------------------------------------


def require_writer(actor: Person, doing: str) -> None:
    if not access.can_write(actor):
        raise PermissionDenied(f"Only members of a team and coaches can {doing}.")


def note_publish(
    *,
    actor: Person,
    kind: str,
    title: str,
    body: str,
    tags: Iterable[object] = (),
    problems: Iterable[object] = (),
    targets: Iterable[object] = (),
    team: Team | int | None = None,
    team_owned: bool = False,
    public: bool = False,
    confirm_no_client_data: bool = False,
) -> Note:
    """Publish a note to the network. ``team``: one of the author's teams (their only
    one when not given; coaches write without a team). ``team_owned``: any member of
    that team may edit it. ``public``: inspectors and clients may read it too."""
    require_writer(actor, "write practice notes")
    errors: Errors = {}
    if kind not in Note.Kind.values:
        errors["kind"] = [f"One of {', '.join(Note.Kind.values)}."]
    title = clean_text(errors, "title", title, limit=TITLE_LIMIT, required=True)
    body = clean_text(errors, "body", body, limit=BODY_LIMIT, required=True)
    tag_rows = _tags(errors, list(tags))
    problem_rows = _omaha(errors, "problems", list(problems), OmahaProblem, "problem")
    target_rows = _omaha(errors, "targets", list(targets), OmahaTarget, "target")
    team_row = _team(errors, actor, team)
    team_owned = _flag(errors, "team_owned", team_owned)
    public = _flag(errors, "public", public)
    if team_owned and team_row is None and "team" not in errors:
        errors["team_owned"] = ["Only a note written for a team can be owned by it."]
    raise_errors(errors)
    _check_client_data(actor, {"title": title, "body": body}, confirm_no_client_data, NOTE_LABELS)
    now = timezone.now()
    with transaction.atomic():
        note = Note.objects.create(
            kind=kind,
            title=title,
            body=body,
            body_html=render.render(body),
            author=actor,
            team=team_row,
            team_owned=team_owned,
            public=public,
            created=now,
            updated=now,
        )
        note.tags.set(tag_rows)
        note.problems.set(problem_rows)
        note.targets.set(target_rows)
        _record_version(note, actor)
        search.index_note(note)
        feed_add(
            kind=FeedItem.Kind.NOTE,
            ref_id=note.pk,
            note=note,
            team_id=note.team_id,
            public=note.public,
            tag_ids=[t.pk for t in tag_rows],
            problem_ids=[p.pk for p in problem_rows],
            created=now,
        )
        _publish("note.published", note, _note_data(note), actor)
    return note


def note_revise(
    *,
    actor: Person,
    note: Note,
    version: int | None,
    kind: object = UNSET,
    title: object = UNSET,
    body: object = UNSET,
    # Iterables when given (the API's lists); Any because the UNSET default is not one.
    tags: Any = UNSET,
    problems: Any = UNSET,
    targets: Any = UNSET,
    team_owned: object = UNSET,
    public: object = UNSET,
    confirm_no_client_data: bool = False,
) -> Note:
    """Edit a note: its author, or any current member of its team when the team owns
    it. What is not given stays. ``version`` is the one the editor saw: a stale one is
    a ``Conflict`` with the note as it is now. Each edit that changes something is a
    new version."""
    version = require_version(version)
    if not access.can_edit_note(actor, note):
        who = f"members of team {note.team.name}" if note.team_owned and note.team else "its author"
        raise PermissionDenied(f"Only {who} can edit this note.")
    errors: Errors = {}
    changes: dict[str, Any] = {}
    if kind is not UNSET:
        if kind not in Note.Kind.values:
            errors["kind"] = [f"One of {', '.join(Note.Kind.values)}."]
        changes["kind"] = kind
    if title is not UNSET:
        changes["title"] = clean_text(errors, "title", title, limit=TITLE_LIMIT, required=True)
    if body is not UNSET:
        changes["body"] = clean_text(errors, "body", body, limit=BODY_LIMIT, required=True)
    if team_owned is not UNSET:
        changes["team_owned"] = _flag(errors, "team_owned", team_owned)
        if changes["team_owned"] and note.team_id is None:
            errors["team_owned"] = ["Only a note written for a team can be owned by it."]
    if public is not UNSET:
        changes["public"] = _flag(errors, "public", public)
    links: dict[str, list[Any]] = {}  # the tags, problems and targets given, to set anew
    if tags is not UNSET:
        links["tags"] = _tags(errors, list(tags))
    for name, value, model, what in (
        ("problems", problems, OmahaProblem, "problem"),
        ("targets", targets, OmahaTarget, "target"),
    ):
        if value is not UNSET:
            links[name] = _omaha(errors, name, list(value), model, what)
    raise_errors(errors)
    with transaction.atomic():
        note = lock(note, "team")
        check_version(note, version, note_state)
        if (
            changes.get("kind", note.kind) != Note.Kind.QUESTION
            and note.kind == Note.Kind.QUESTION
            and note.answer_count
        ):
            raise ValidationError({"kind": ["This question has answers: it stays a question."]})
        old = {name: list(getattr(note, name).all()) for name in ("tags", "problems", "targets")}
        changed = [name for name, value in changes.items() if getattr(note, name) != value]
        changed += [
            name
            for name, rows in links.items()
            if {r.pk for r in rows} != {r.pk for r in old[name]}
        ]
        if not changed:
            return note  # nothing changes: no new version
        if "title" in changed or "body" in changed:
            texts = {
                "title": changes.get("title", note.title),
                "body": changes.get("body", note.body),
            }
            _check_client_data(actor, texts, confirm_no_client_data, NOTE_LABELS)
        html = render.render(changes["body"]) if "body" in changed else note.body_html
        save_new_version(note, **changes, body_html=html, updated=timezone.now())
        for name, rows in links.items():
            getattr(note, name).set(rows)
        _record_version(note, actor)
        search.index_note(note)
        if {"tags", "problems", "public"} & set(changed):
            linked = {**old, **links}
            _feed_follow_note(note, linked["tags"], linked["problems"])
        data = _note_data(note)
        _publish("note.revised", note, data, actor, audited={**data, "changed": changed})
    return note


# --- answers ----------------------------------------------------------------------------


def answer_post(
    *, actor: Person, note: Note, body: str, confirm_no_client_data: bool = False
) -> Answer:
    """Answer a question (any team member or coach). Held, like a note, when it seems
    to identify a client."""
    require_writer(actor, "answer questions")
    body = text("body", body, limit=ANSWER_LIMIT, required=True)
    _check_client_data(actor, {"body": body}, confirm_no_client_data, {"body": "answer"})
    mine = sorted(access.writing_teams(actor))
    team_id = note.team_id if note.team_id in mine else (mine[0] if mine else None)
    with transaction.atomic():
        # Locked as note_revise locks it: an edit turning the question into another
        # kind cannot slip in between this check and the answer.
        note = lock(note, "team")
        if note.kind != Note.Kind.QUESTION:
            raise ValidationError("Only questions take answers: comment on this note instead.")
        answer = Answer.objects.create(
            note=note, author=actor, team_id=team_id, body=body, body_html=render.render(body)
        )
        Note.objects.filter(pk=note.pk).update(answer_count=F("answer_count") + 1)
        feed_add(
            kind=FeedItem.Kind.ANSWER,
            ref_id=answer.pk,
            note=note,
            answer=answer,
            team_id=team_id,
            public=note.public,
            tag_ids=list(note.tags.values_list("pk", flat=True)),
            problem_ids=list(note.problems.values_list("pk", flat=True)),
            created=answer.created,
        )
        data = {"note": note.pk, "answer": answer.pk, "team": team_id}
        _publish("answer.posted", answer, data, actor)
    return answer


def answer_accept(*, actor: Person, answer: Answer, accepted: bool = True) -> Answer:
    """The asker marks the answer that helped (moving the mark from any other), or
    takes the mark back (``accepted`` false). Marking it again changes nothing."""
    if not isinstance(accepted, bool):
        raise ValidationError({"accepted": ["Must be true or false."]})
    with transaction.atomic():
        note = lock(answer.note, "team")
        if not access.can_accept_answer(actor, note):
            raise PermissionDenied(
                f"Only {note.author.display_name}, who asked, can mark the answer that helped."
            )
        is_marked = note.accepted_answer_id == answer.pk
        if accepted == is_marked:
            return answer
        note.accepted_answer = answer if accepted else None
        note.save(update_fields=["accepted_answer"])
        data = {"note": note.pk, "answer": answer.pk, "accepted": accepted}
        _publish("answer.accepted", answer, data, actor)
    return answer


# --- useful, comments, follows, pointers, tags ------------------------------------------


def note_mark_useful(*, actor: Person, note: Note) -> bool:
    """I found this note useful (once: marking it again changes nothing). Whether the
    mark is new."""
    require_writer(actor, "mark notes useful")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Useful.objects.create(note=note, person=actor)
        except IntegrityError:
            return False  # marked already (a double tap, another tab)
        Note.objects.filter(pk=note.pk).update(useful_count=F("useful_count") + 1)
        audit(actor=actor, action="note.marked_useful", target=note)
    return True


def note_unmark_useful(*, actor: Person, note: Note) -> bool:
    """Take my useful mark back (none: nothing changes). Whether there was one."""
    require_writer(actor, "mark notes useful")
    with transaction.atomic():
        gone, _ = Useful.objects.filter(note=note, person=actor).delete()
        if not gone:
            return False
        Note.objects.filter(pk=note.pk, useful_count__gt=0).update(
            useful_count=F("useful_count") - 1
        )
        audit(actor=actor, action="note.unmarked_useful", target=note)
    return True


def comment_add(
    *, actor: Person, note: Note, body: str, confirm_no_client_data: bool = False
) -> Comment:
    """Comment on a note. Held, like a note, when it seems to identify a client."""
    require_writer(actor, "comment on practice notes")
    body = text("body", body, limit=COMMENT_LIMIT, required=True)
    _check_client_data(actor, {"body": body}, confirm_no_client_data, {"body": "comment"})
    with transaction.atomic():
        comment = Comment.objects.create(note=note, author=actor, body=body)
        audit(actor=actor, action="note.commented", target=comment, data={"note": note.pk})
    return comment


def follow_add(
    *,
    actor: Person,
    tag: Tag | None = None,
    problem: OmahaProblem | None = None,
    team: Team | None = None,
) -> tuple[Follow, bool]:
    """Follow one tag, Omaha problem or team (following it already: nothing changes).
    The follow, and whether it is new."""
    require_writer(actor, "follow tags, problems and teams")
    given = {k: v for k, v in {"tag": tag, "problem": problem, "team": team}.items() if v}
    if len(given) != 1:
        raise ValidationError("Follow one thing at a time: a tag, an Omaha problem or a team.")
    with transaction.atomic():
        existing = Follow.objects.filter(person=actor, **given).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                follow = Follow.objects.create(person=actor, **given)
        except IntegrityError:
            return Follow.objects.get(person=actor, **given), False
        what = next(iter(given))
        audit(actor=actor, action="follow.added", target=follow, data={what: given[what].pk})
    return follow, True


def follow_remove(*, actor: Person, follow: Follow) -> None:
    if follow.person_id != actor.pk:
        raise PermissionDenied("Only the person who follows it can stop following it.")
    with transaction.atomic():
        audit(actor=actor, action="follow.removed", target=follow)
        follow.delete()


def note_point(
    *,
    actor: Person,
    note: Note,
    team: Team | None,
    note_text: str = "",
    confirm_no_client_data: bool = False,
) -> Pointer:
    """A coach points a question to a team that solved something like it before; the
    team hears of it on its own stream. The word for the asker is read by everyone who
    reads the question: held when it seems to identify someone, that team's clients
    included (a coach knows no client by their work, but knows the teams they coach)."""
    if not access.can_point(actor):
        raise PermissionDenied("Only coaches point questions to teams.")
    errors: Errors = {}
    note_text = clean_text(errors, "note", note_text, limit=POINTER_NOTE_LIMIT)
    if note.kind != Note.Kind.QUESTION:
        errors[NON_FIELD_ERRORS] = ["Only questions are pointed to teams."]
    if team is None:
        errors["team"] = ["Choose the team that solved it."]
    elif team.pk == note.team_id:
        errors["team"] = [f"Team {team.name} asked this question."]
    raise_errors(errors)
    assert team is not None
    _check_client_data(
        actor, {"note": note_text}, confirm_no_client_data, {"note": "note"}, team=team
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                pointer = Pointer.objects.create(
                    note=note, team=team, by=actor, note_text=note_text
                )
        except IntegrityError:
            raise ValidationError(
                {"team": [f"This question is pointed to team {team.name} already."]}
            ) from None
        data = {"note": note.pk, "team": team.pk, "pointer": pointer.pk}
        _publish("note.pointed", pointer, data, actor, streams=[team.stream])
    return pointer


def tag_create(
    *, actor: Person, name: str, slug: str | None = None, confirm_no_client_data: bool = False
) -> Tag:
    """A team member adds a tag to the network's list (a tag is never made by using it
    in a note, so a typo is an error, not a new tag). Everyone who reads practice reads
    the list: a name that seems to identify a client is held."""
    if not access.can_add_tag(actor):
        raise PermissionDenied("Only members of a team add tags.")
    errors: Errors = {}
    name = clean_text(errors, "name", name, limit=limit_of(Tag, "name"), required=True)
    slug = slugify(slug or name)[:40].strip("-")
    if not errors and len(slug) < 2:
        errors["slug" if slug else "name"] = ["At least two letters or digits."]
    raise_errors(errors)
    _check_client_data(actor, {"name": name}, confirm_no_client_data, {"name": "tag"})
    same = Tag.objects.filter(slug=slug).first() or Tag.objects.filter(name__iexact=name).first()
    if same is not None:
        raise ValidationError({"name": [f"There is a tag “{same.name}” ({same.slug}) already."]})
    with transaction.atomic():
        try:
            with transaction.atomic():
                tag = Tag.objects.create(slug=slug, name=name, created_by=actor)
        except IntegrityError:
            raise ValidationError({"name": ["There is a tag like this already."]}) from None
        audit(actor=actor, action="tag.created", target=tag, data={"slug": slug})
    return tag
