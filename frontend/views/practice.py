"""Practice across the network: the feed (/practice/), search, a note's page (answers,
the asker's mark, useful, comments, versions, editing, coaches' pointers), the new note
form and what the person follows.

Team members and coaches read everything and write; inspectors, clients and their
network read public notes (a note that is not public is 404 for them, as if it did not
exist) and write nothing. The feed and the note page are snapshots read with the
network stream's head (one transaction); their sections re-read themselves on the
stream's events (``kith:refresh``), for members and coaches only: nobody else follows
that stream.

Writes go through ``coordination.practice.services``: refused input comes back with
the service's field messages and everything typed (400), a refusal is a 403 saying
why, an edit made stale by someone else's a 409 showing the note as it is now beside
what was typed. A note, answer, comment or pointer that seems to identify a client
(``coordination.privacy``) comes back (400) with the typed text, the reasons beside
it, and a box to tick to publish it anyway only when every reason is one the author
may confirm.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coordination.events import NETWORK_STREAM
from coordination.practice import access, feed, search, selectors, services
from coordination.practice.models import BODY_LIMIT, TITLE_LIMIT, Note
from frontend import writes
from frontend.forms import Field
from frontend.views.common import Held, found_or_404, live
from teams import selectors as team_selectors
from teams.http import PageRequest

FEED_PAGE = "frontend/practice.html"
SEARCH_PAGE = "frontend/practice_search.html"
NOTE_PAGE = "frontend/practice_note.html"
FORM_PAGE = "frontend/practice_form.html"
FOLLOWS_PAGE = "frontend/practice_follows.html"
LIVE_TYPES = " ".join(feed.LIVE_TYPES)


def _reader_or_404(request: PageRequest) -> None:
    if not access.can_read_public(request.user):
        raise Http404("Nothing here.")


def _live(request: PageRequest) -> dict | None:
    """The network stream's head, for members and coaches (call inside the snapshot's
    transaction); None for everyone else, whose pages are not live."""
    return live(NETWORK_STREAM) if access.reads_live(request.user) else None


def _figures_url(request: PageRequest) -> str:
    """Where a feed entry of shared figures leads: the reader's own team's figures,
    which show every team's shared figures beside the network median."""
    teams = list(team_selectors.teams_of(request.user)[:1])
    if not teams:
        return ""
    try:
        return reverse("team-figures", args=[teams[0].slug])
    except NoReverseMatch:  # figures not installed
        return ""


def _period_label(period: str) -> str:
    """ "2026-11" as "November 2026" (as it came, if it is not a month)."""
    try:
        return datetime.date.fromisoformat(f"{period}-01").strftime("%B %Y")
    except ValueError:
        return period


# --- the feed ---------------------------------------------------------------------------


def _feed_context(request: PageRequest) -> tuple[dict, int]:
    following = request.GET.get("following") == "1"
    cursor = request.GET.get("cursor", "")
    problem = None
    read = writes.perform(
        lambda: feed.feed(request.user, cursor=cursor or None, following=following)
    )
    if read.ok:
        page = read.result
    else:  # a cursor that is not ours: the first page, and why
        problem, cursor = read.problem, ""
        page = feed.feed(request.user, following=following)
    for item in page.items:
        if item.kind == "figures":
            item.period_label = _period_label(item.data.get("period", ""))
    context = {
        "page": page,
        "cursor": cursor,
        "following": following,
        "problem": problem,
        "figures_url": _figures_url(request),
        "live_types": LIVE_TYPES,
        "participant": access.is_participant(request.user),
    }
    return context, 400 if problem else 200


@login_required
@require_GET
def practice_page(request: PageRequest) -> HttpResponse:
    _reader_or_404(request)
    if request.htmx and request.GET.get("part") == "feed":
        context, status = _feed_context(request)
        return render(request, f"{FEED_PAGE}#feed", context, status=status)
    with transaction.atomic():
        heads = _live(request)
        context, status = _feed_context(request)
    context["live"] = heads
    return render(request, FEED_PAGE, context, status=status)


# --- search -----------------------------------------------------------------------------


def _options(request: PageRequest) -> dict[str, list[tuple[str, str]]]:
    """What a search filter or a follow form offers, by field: each value and its words."""
    return {
        "kind": list(Note.Kind.choices),
        "tag": [(t.slug, t.name) for t in selectors.tags(request.user)],
        "problem": [(str(p.number), f"{p.number:02d} {p.name}") for p in selectors.problems()],
        "team": [(str(t.pk), t.name) for t in selectors.teams()],
    }


@login_required
@require_GET
def practice_search(request: PageRequest) -> HttpResponse:
    _reader_or_404(request)
    found = writes.perform(lambda: search.search(request.user, search.parse_filters(request.GET)))
    page, errors, status = found.value, found.errors, found.status
    given = {k: request.GET.get(k, "") for k in search.PARAMS if k not in {"cursor", "limit"}}
    more = None
    if page is not None and page.next:
        query = QueryDict(mutable=True)
        query.update({k: v for k, v in given.items() if v})
        query["cursor"] = page.next
        more = query.urlencode()
    searched = any(given.values())
    context: dict[str, Any] = {
        "page": page,
        "given": given,
        "errors": errors,
        "more": more,
        "searched": searched,
        "candidates": f"{search.CANDIDATES:,}",
        "query_limit": search.QUERY_LIMIT,
        "participant": access.is_participant(request.user),
    }
    options = _options(request)
    labels = {"kind": "Kind", "tag": "Tag", "problem": "Omaha problem", "team": "Team"}
    context["form"] = {"values": given, "errors": errors}  # for the filters' fields
    context["filters"] = [(name, label, options[name]) for name, label in labels.items()]
    return render(request, SEARCH_PAGE, context, status=status)


# --- a note -----------------------------------------------------------------------------


def _note_or_404(request: PageRequest, pk: int) -> Note:
    note = selectors.note_for(request.user, pk)
    return found_or_404(note, "No such note among those you can read.")


def _note_context(request: PageRequest, note: Note) -> dict:
    user = request.user
    answers = list(selectors.answers_of(note))
    versions = selectors.versions_of(note)
    if not access.is_participant(user):
        versions = versions.filter(public=True)
    follows = selectors.followed(user) if access.can_write(user) else None
    return {
        "note": note,
        "answers": answers,
        "comments": list(selectors.comments_of(note)),
        "versions": list(versions),
        "can_write": access.can_write(user),
        "can_edit": access.can_edit_note(user, note),
        "can_accept": access.can_accept_answer(user, note) and note.is_question,
        "can_point": access.can_point(user) and note.is_question,
        "point_teams": [t for t in selectors.teams() if t.pk != note.team_id]
        if access.can_point(user) and note.is_question
        else [],
        "follows": follows,
        "live_types": "answer. note.revised note.pointed",
    }


NOTE_PARTS = {"answers", "comments", "head"}


@login_required
@require_GET
def practice_note(request: PageRequest, pk: int) -> HttpResponse:
    _reader_or_404(request)
    part = request.GET.get("part")
    if request.htmx and part in NOTE_PARTS:
        note = _note_or_404(request, pk)
        return render(request, f"{NOTE_PAGE}#{part}", _note_context(request, note))
    with transaction.atomic():
        heads = _live(request)
        note = _note_or_404(request, pk)
        context = _note_context(request, note)
    context["live"] = heads
    return render(request, NOTE_PAGE, context)


def _answer_note(
    request: PageRequest,
    note: Note,
    part: str,
    outcome: writes.Outcome,
    form: str = "",
    text: str = "",
):
    """The section the action came from (htmx) or the note's page (no JavaScript).
    A text held by the privacy check is shown again in its ``form`` with the reasons,
    on the page itself: a redirect would lose it."""
    held = {form: Held(text, outcome.held)} if outcome.held else None
    if not request.htmx and held is None:
        return outcome.back(request, reverse("practice-note", args=[note.pk]) + f"#{part}")
    if not request.htmx:
        with transaction.atomic():
            heads = _live(request)
            context = _note_context(request, _note_or_404(request, note.pk))
        context |= {"live": heads, "held": held}
        return render(request, NOTE_PAGE, context, status=outcome.status)
    fresh = _note_or_404(request, note.pk)
    said = {"flash": outcome.done or None, "problem": None if held else outcome.problem or None}
    context = _note_context(request, fresh) | said | {"held": held}
    return render(request, f"{NOTE_PAGE}#{part}", context, status=outcome.status)


@login_required
@require_POST
def practice_note_action(request: PageRequest, pk: int, action: str) -> HttpResponse:
    """answer, comment, useful, unuseful, point: each through its service."""
    note = _note_or_404(request, pk)
    user = request.user
    body = request.POST.get("body", "")
    confirmed = request.POST.get("confirm_no_client_data") == "on"
    if action in {"answer", "comment"}:
        post = services.answer_post if action == "answer" else services.comment_add
        outcome = writes.perform(
            lambda: post(actor=user, note=note, body=body, confirm_no_client_data=confirmed),
            done="Your answer is posted." if action == "answer" else "Comment added.",
        )
        # The section is the answers or the comments; the held text goes back in its form.
        return _answer_note(request, note, f"{action}s", outcome, action, body)
    if action in {"useful", "unuseful"}:
        service = services.note_mark_useful if action == "useful" else services.note_unmark_useful
        done = "Marked useful." if action == "useful" else "Your useful mark is taken back."
        marked = writes.perform(lambda: service(actor=user, note=note), done=done)
        return _answer_note(request, note, "head", marked)
    if action == "point":
        raw = request.POST.get("team", "")
        team = selectors.team_by_id(int(raw)) if raw.isdecimal() else None
        text = request.POST.get("note", "")
        pointed = writes.perform(
            lambda: services.note_point(
                actor=user, note=note, team=team, note_text=text, confirm_no_client_data=confirmed
            ),
            done=f"Pointed to team {team.name}: the team hears of it." if team else "",
        )
        return _answer_note(request, note, "head", pointed, "point", text)
    raise Http404("No such action.")


@login_required
@require_POST
def practice_answer_accept(request: PageRequest, pk: int) -> HttpResponse:
    answer = selectors.answer_for(request.user, pk)
    if answer is None:
        raise Http404("No such answer among those you can read.")
    accepted = request.POST.get("accepted", "1") == "1"
    outcome = writes.perform(
        lambda: services.answer_accept(actor=request.user, answer=answer, accepted=accepted),
        done="Marked as the answer that helped." if accepted else "Mark taken back.",
    )
    return _answer_note(request, answer.note, "answers", outcome)


# --- writing and editing a note ---------------------------------------------------------


def _values(note: Note | None = None, post: QueryDict | None = None) -> dict:
    """The form's values: what was typed, or the note as it is, or a fresh form."""
    if post is not None:
        return {
            "kind": post.get("kind", ""),
            "title": post.get("title", ""),
            "body": post.get("body", ""),
            "tags": post.getlist("tags"),
            "problems": post.getlist("problems"),
            "targets": post.getlist("targets"),
            "team": post.get("team", ""),
            "team_owned": post.get("team_owned") == "on",
            "public": post.get("public") == "on",
            "version": post.get("version", ""),
        }
    if note is not None:
        return {
            "kind": note.kind,
            "title": note.title,
            "body": note.body,
            "tags": [t.slug for t in note.tags.all()],
            "problems": [str(p.number) for p in note.problems.all()],
            "targets": [str(t.number) for t in note.targets.all()],
            "team": str(note.team_id or ""),
            "team_owned": note.team_owned,
            "public": note.public,
            "version": str(note.version),
        }
    return {
        "kind": "practice",
        "title": "",
        "body": "",
        "tags": [],
        "problems": [],
        "targets": [],
        "team": "",
        "team_owned": False,
        "public": False,
        "version": "",
    }


def _numbers(raw: list[str]) -> list:
    # Digits become numbers; anything else goes on as typed, for the service to refuse.
    return [int(v) if v.isdecimal() else v for v in raw]


def _fields(request: PageRequest, values: dict, errors: dict, *, editing: bool) -> dict:
    """The form's fields (frontend.forms.Field) and its choice lists."""
    my_teams = [t for t in selectors.teams() if t.pk in access.writing_teams(request.user)]
    fields = {
        "kind": Field(
            "kind",
            "Kind",
            widget="select",
            value=values["kind"],
            choices=Note.Kind.choices,
        ),
        "title": Field(
            "title",
            "Title",
            value=values["title"],
            attrs={"maxlength": TITLE_LIMIT, "required": "required"},
        ),
        "body": Field(
            "body",
            "Text",
            widget="textarea",
            value=values["body"],
            rows=12,
            help=f"Markdown: **bold**, *italic*, lists, links. At most {BODY_LIMIT:,} characters."
            " Write about practice, not about clients: every team and coach reads it.",
            attrs={"maxlength": BODY_LIMIT},
        ),
        "tags": Field(
            "tags",
            "Tags",
            widget="checkboxes",
            choices=[
                (t.slug, t.name, t.slug in values["tags"]) for t in selectors.tags(request.user)
            ],
        ),
    }
    # The Omaha problems and intervention targets: numbered, and ticked as chosen.
    for name, label, rows in (
        ("problems", "Omaha problems", selectors.problems()),
        ("targets", "Omaha intervention targets", selectors.targets()),
    ):
        fields[name] = Field(
            name,
            label,
            widget="checkboxes",
            choices=[
                (str(r.number), f"{r.number:02d} {r.name}", str(r.number) in values[name])
                for r in rows
            ],
        )
    if not editing and len(my_teams) > 1:
        fields["team"] = Field(
            "team",
            "For which of your teams",
            widget="select",
            value=values["team"],
            choices=[(str(t.pk), t.name) for t in my_teams],
        )
    for name, shown in fields.items():
        shown.errors = errors.get(name, [])
    return {"fields": fields, "my_teams": my_teams}


def _form_response(request, note, values, outcome=None, conflict=None):
    """The note's form, fresh or as a write sent it back (after a conflict with no
    messages at the fields: the other edit is what to look at)."""
    refused = outcome is not None and conflict is None
    errors = dict(outcome.errors) if refused else {}
    problem = " ".join(errors.pop("__all__", []))
    context = {
        "note": note,
        "values": values,
        "errors": errors,
        "problem": problem,
        "held": outcome.held if refused else None,
        "conflict": conflict,
        **_fields(request, values, errors, editing=note is not None),
    }
    return render(request, FORM_PAGE, context, status=outcome.status if outcome else 200)


def _arguments(values: dict, request: PageRequest) -> dict:
    return {
        "kind": values["kind"],
        "title": values["title"],
        "body": values["body"],
        "tags": values["tags"],
        "problems": _numbers(values["problems"]),
        "targets": _numbers(values["targets"]),
        "team_owned": values["team_owned"],
        "public": values["public"],
        "confirm_no_client_data": request.POST.get("confirm_no_client_data") == "on",
    }


@login_required
@require_http_methods(["GET", "POST"])
def practice_note_new(request: PageRequest) -> HttpResponse:
    if not access.can_write(request.user):
        raise PermissionDenied("Only members of a team and coaches write practice notes.")
    if request.method == "GET":
        values = _values()
        if request.GET.get("kind") in Note.Kind.values:
            values["kind"] = request.GET["kind"]
        return _form_response(request, None, values)
    values = _values(post=request.POST)
    team = int(values["team"]) if values["team"].isdecimal() else None
    outcome = writes.perform(
        lambda: services.note_publish(actor=request.user, team=team, **_arguments(values, request)),
        done="Your note is published: every team and coach can read it now.",
    )
    if not outcome.ok:
        return _form_response(request, None, values, outcome)
    return outcome.back(request, reverse("practice-note", args=[outcome.result.pk]))


@login_required
@require_http_methods(["GET", "POST"])
def practice_note_edit(request: PageRequest, pk: int) -> HttpResponse:
    note = _note_or_404(request, pk)
    if not access.can_edit_note(request.user, note):
        raise PermissionDenied(
            "Only its author can edit this note."
            if not note.team_owned or note.team is None  # a team's note has its team
            else f"Only members of team {note.team.name} can edit this note."
        )
    if request.method == "GET":
        return _form_response(request, note, _values(note))
    values = _values(post=request.POST)
    arguments = _arguments(values, request)
    outcome = writes.perform(
        lambda: services.note_revise(
            actor=request.user, note=note, version=writes.version_from(values), **arguments
        ),
        done="Your edit is saved as a new version.",
    )
    if outcome.status == 409:
        # What was typed stays in the form, now against the version there is: sending it
        # again is a deliberate choice to replace the other edit.
        values["version"] = str((outcome.current or {}).get("version", values["version"]))
        fresh = _note_or_404(request, pk)
        return _form_response(request, fresh, values, outcome, conflict=outcome.problem)
    if not outcome.ok:
        return _form_response(request, note, values, outcome)
    return outcome.back(request, reverse("practice-note", args=[note.pk]))


# --- follows ----------------------------------------------------------------------------


def _back(request: PageRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("practice-follows")


@login_required
@require_http_methods(["GET", "POST"])
def practice_follows(request: PageRequest) -> HttpResponse:
    """What I follow; POST follows a tag, problem or team, or stops following one."""
    _reader_or_404(request)
    if request.method == "POST":
        user = request.user
        if not access.can_write(user):
            raise PermissionDenied("Only members of a team and coaches follow practice.")
        outcome: writes.Outcome[Any]
        if "unfollow" in request.POST:
            raw = request.POST["unfollow"]
            follow = selectors.follow_of(user, int(raw)) if raw.isdecimal() else None
            if follow is None:
                raise Http404("No such follow among yours.")
            outcome = writes.perform(
                lambda: services.follow_remove(actor=user, follow=follow),
                done="No longer followed.",
            )
        else:
            found: dict[str, Any] = {}
            tag, problem_no, team = (request.POST.get(k, "") for k in ("tag", "problem", "team"))
            if tag:
                found["tag"] = selectors.tag_by_slug(tag)
            if problem_no.isdecimal():
                found["problem"] = selectors.problem_by_number(int(problem_no))
            if team.isdecimal():
                found["team"] = selectors.team_by_id(int(team))
            outcome = writes.perform(
                lambda: services.follow_add(actor=user, **found),
                done="Followed: see it under Following.",
            )
        return outcome.back(request, _back(request))
    options = _options(request)
    labels = {"tag": "A tag", "problem": "An Omaha problem", "team": "A team"}
    follow_forms = [(name, label, options[name]) for name, label in labels.items()]
    context = {"follows": list(selectors.follows_of(request.user)), "follow_forms": follow_forms}
    context["can_write"] = access.can_write(request.user)
    return render(request, FOLLOWS_PAGE, context)
