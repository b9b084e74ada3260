"""API of practice across the network, under /api/v1/practice/.

Team members and coaches read everything and write; inspectors, clients and their
network read public notes (with their answers and comments), the public feed and the
tags, and write nothing (403); a note they may not read is 404, like one that does not
exist. Anonymous callers get 401.

Edits carry the version seen (If-Match or ``version``); a stale one is 409 with the
note as it is now. A note, answer, comment, pointer or tag name that seems to identify
a client is held (``coordination.privacy``): a 400 naming what was found under each
field, and under ``extra.fields.confirm_no_client_data`` whether confirming can
publish it (``confirm_no_client_data: true``: only for softer hits, never for a
client's identifiers). Lists are keyset pages: pass ``next`` back as ``cursor``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from coordination.practice import access, feed, search, selectors, services
from coordination.practice.models import (
    ANSWER_LIMIT,
    BODY_LIMIT,
    COMMENT_LIMIT,
    TITLE_LIMIT,
    Note,
)
from teams.api.core import IdField, PersonRef, WholeNumberField, bounded, found, if_match_version
from teams.api.texts import HELD, confirm_field
from teams.http import ApiRequest

KINDS = ", ".join(Note.Kind.values)
IF_MATCH = OpenApiParameter(
    "If-Match", str, OpenApiParameter.HEADER, description="The version you saw (or send version)."
)


# --- what goes out ----------------------------------------------------------------------


class PracticeTeamRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PracticeTagOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class PracticeTagListOut(PracticeTagOut):
    notes = serializers.IntegerField(source="notes_count", help_text="Notes you can read.")


class PracticeOmahaRefOut(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()


class PracticeNoteListOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text=KINDS)
    title = serializers.CharField()
    author = PersonRef()
    team = PracticeTeamRefOut(allow_null=True)
    tags = PracticeTagOut(many=True)
    public = serializers.BooleanField()
    answers = serializers.IntegerField(source="answer_count")
    useful = serializers.IntegerField(source="useful_count")
    answered = serializers.SerializerMethodField(help_text="The asker marked an answer.")
    version = serializers.IntegerField()
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_answered(self, note) -> bool:
        return note.accepted_answer_id is not None


class PracticeNoteListPageOut(serializers.Serializer):
    results = PracticeNoteListOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="Send as ?cursor= for the next page.")


class PracticeSearchHitOut(PracticeNoteListOut):
    title_html = serializers.CharField(help_text="The title, escaped, matches in <mark>.")
    snippet = serializers.CharField(help_text="Part of the body, escaped, matches in <mark>.")
    rank = serializers.FloatField(allow_null=True, help_text="Relevance (PostgreSQL, with q).")


class PracticeSearchPageOut(serializers.Serializer):
    results = PracticeSearchHitOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="Send as ?cursor= for the next page.")
    ranked = serializers.BooleanField(help_text="Ordered by relevance (else newest first).")
    bounded = serializers.BooleanField(
        help_text=(
            f"More notes matched than a search ranks: these are the best of the newest"
            f" {search.CANDIDATES:,} matches. Narrow the search (from, to, team, kind) to"
            " reach older ones."
        )
    )


class PracticePointerOut(serializers.Serializer):
    id = serializers.IntegerField()
    team = PracticeTeamRefOut()
    by = PersonRef()
    note = serializers.CharField(source="note_text")
    created = serializers.DateTimeField()


class PracticeNoteOut(PracticeNoteListOut):
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.CharField(help_text="The body as sanitised HTML.")
    team_owned = serializers.BooleanField(help_text="Any member of its team may edit it.")
    problems = PracticeOmahaRefOut(many=True)
    targets = PracticeOmahaRefOut(many=True)
    accepted_answer = serializers.IntegerField(source="accepted_answer_id", allow_null=True)
    pointers = PracticePointerOut(many=True, help_text="Teams a coach pointed this question to.")
    marked_useful = serializers.BooleanField(help_text="You marked it useful.")
    can_edit = serializers.SerializerMethodField()

    def get_can_edit(self, note) -> bool:
        return access.can_edit_note(self.context["request"].user, note)


class PracticeVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    kind = serializers.CharField(help_text=KINDS)
    title = serializers.CharField()
    body = serializers.CharField()
    body_html = serializers.CharField()
    public = serializers.BooleanField()
    tags = serializers.ListField(child=serializers.CharField())
    problems = serializers.ListField(child=serializers.IntegerField())
    targets = serializers.ListField(child=serializers.IntegerField())
    editor = PersonRef()
    created = serializers.DateTimeField()


class PracticeAnswerOut(serializers.Serializer):
    id = serializers.IntegerField()
    note = serializers.IntegerField(source="note_id")
    author = PersonRef()
    team = PracticeTeamRefOut(allow_null=True)
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.CharField()
    accepted = serializers.SerializerMethodField(help_text="The asker marked it as the one.")
    created = serializers.DateTimeField()

    def get_accepted(self, answer) -> bool:
        return answer.note.accepted_answer_id == answer.pk


class PracticeCommentOut(serializers.Serializer):
    id = serializers.IntegerField()
    note = serializers.IntegerField(source="note_id")
    author = PersonRef()
    body = serializers.CharField()
    created = serializers.DateTimeField()


class PracticeUsefulOut(serializers.Serializer):
    note = serializers.IntegerField()
    marked_useful = serializers.BooleanField()
    useful = serializers.IntegerField(help_text="How many marked it useful.")


class PracticeFollowOut(serializers.Serializer):
    id = serializers.IntegerField()
    tag = PracticeTagOut(allow_null=True)
    problem = PracticeOmahaRefOut(allow_null=True)
    team = PracticeTeamRefOut(allow_null=True)
    created = serializers.DateTimeField()


class PracticeFeedItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="note, answer or figures.")
    created = serializers.DateTimeField()
    team = PracticeTeamRefOut(allow_null=True)
    note = PracticeNoteListOut(allow_null=True, help_text="The note, or the question answered.")
    answer = PracticeAnswerOut(allow_null=True)
    tags = PracticeTagOut(many=True)
    data = serializers.DictField(help_text='For figures: {"period": "YYYY-MM"}.')  # type: ignore[assignment]  # a declared field: the metaclass lifts it off the class
    shared_figures = serializers.SerializerMethodField(help_text="For figures: their id.")

    def get_shared_figures(self, item) -> int | None:
        return item.ref_id if item.kind == "figures" else None


class PracticeFeedPageOut(serializers.Serializer):
    results = PracticeFeedItemOut(many=True)
    next = serializers.CharField(allow_null=True, help_text="Send as ?cursor= for the next page.")
    stream = serializers.CharField(
        allow_null=True, help_text="Follow it live over /ws/live/ (members and coaches)."
    )


class PracticeConflictOut(serializers.Serializer):
    message = serializers.CharField()
    extra = serializers.DictField(help_text='{"current": the note as it is now}.')


CONFLICT = OpenApiResponse(
    PracticeConflictOut, description="Changed meanwhile: extra.current is now."
)


# --- what comes in ----------------------------------------------------------------------


class PracticeNoteIn(serializers.Serializer):
    kind = serializers.CharField(help_text=KINDS)
    title = serializers.CharField(allow_blank=True, help_text=f"At most {TITLE_LIMIT} characters.")
    body = serializers.CharField(allow_blank=True, help_text=f"Markdown, at most {BODY_LIMIT:,}.")
    # Lists are checked by the service, which names what is wrong with them.
    tags = serializers.ListField(required=False, default=list, help_text="Tag slugs.")
    problems = serializers.ListField(
        required=False, default=list, help_text="Omaha problem numbers."
    )
    targets = serializers.ListField(
        required=False, default=list, help_text="Omaha intervention target numbers."
    )
    team = IdField(
        required=False, allow_null=True, help_text="One of your teams (default: your only one)."
    )
    team_owned = serializers.BooleanField(required=False, default=False)
    public = serializers.BooleanField(required=False, default=False)
    confirm_no_client_data = confirm_field()


class PracticeNotePatchIn(serializers.Serializer):
    kind = serializers.CharField(required=False, help_text=KINDS)
    title = serializers.CharField(required=False, allow_blank=True)
    body = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(required=False, help_text="Tag slugs.")
    problems = serializers.ListField(required=False, help_text="Omaha problem numbers.")
    targets = serializers.ListField(required=False, help_text="Omaha intervention target numbers.")
    team_owned = serializers.BooleanField(required=False)
    public = serializers.BooleanField(required=False)
    confirm_no_client_data = confirm_field()
    version = WholeNumberField(required=False, help_text="Or send If-Match.")


class PracticeAnswerIn(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, help_text=f"Markdown, at most {ANSWER_LIMIT:,}.")
    confirm_no_client_data = confirm_field()


class PracticeAcceptIn(serializers.Serializer):
    accepted = serializers.BooleanField(
        required=False, default=True, help_text="false takes the mark back."
    )


class PracticeCommentIn(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, help_text=f"At most {COMMENT_LIMIT:,}.")
    confirm_no_client_data = confirm_field()


class PracticePointerIn(serializers.Serializer):
    team = IdField(help_text="The team that solved it before.")
    note = serializers.CharField(required=False, allow_blank=True, default="")
    confirm_no_client_data = confirm_field()


class PracticeFollowIn(serializers.Serializer):
    tag = serializers.CharField(required=False, help_text="A tag's slug.")
    problem = IdField(required=False, help_text="An Omaha problem's number.")
    team = IdField(required=False, help_text="A team's id.")


class PracticeTagIn(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    slug = serializers.CharField(required=False, allow_blank=True)
    confirm_no_client_data = confirm_field()


def _body(serializer_class, request, *, partial: bool = False) -> dict:
    if isinstance(request.data, dict):
        unknown = sorted(set(request.data) - set(serializer_class().fields))
        if unknown:
            raise serializers.ValidationError({name: ["Not a field here."] for name in unknown})
    body = serializer_class(data=request.data, partial=partial)
    body.is_valid(raise_exception=True)
    return body.validated_data


# --- lookups ----------------------------------------------------------------------------


def _note(request, pk: int) -> Note:
    return found(selectors.note_for(request.user, pk), "No such note among those you can read.")


def _note_response(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    note = _note(request, pk)
    body = PracticeNoteOut(note, context={"request": request}).data
    return Response(body, status=code, headers={"ETag": f'"{note.version}"'})


FILTERS = [
    OpenApiParameter("kind", str, description=KINDS),
    OpenApiParameter("tag", str, description="A tag's slug."),
    OpenApiParameter("problem", bounded(1), description="An Omaha problem's number."),
    OpenApiParameter("team", bounded(1), description="A team's id."),
    OpenApiParameter("from", str, description="Written on or after this day (YYYY-MM-DD)."),
    OpenApiParameter("to", str, description="Written on or before this day (YYYY-MM-DD)."),
    OpenApiParameter("cursor", str, description="The previous page's next."),
    OpenApiParameter(
        "limit",
        bounded(1, search.MAX_PAGE_SIZE),
        description=f"1 to {search.MAX_PAGE_SIZE} (default 20).",
    ),
]


# --- notes ------------------------------------------------------------------------------


class NotesView(APIView):
    @extend_schema(
        summary="Practice notes you can read, newest first",
        operation_id="practice_notes_list",
        parameters=FILTERS,
        responses=PracticeNoteListPageOut,
    )
    def get(self, request: ApiRequest):
        params = request.query_params.copy()
        params.pop("q", None)
        page = search.search(request.user, search.parse_filters(params))
        return Response(PracticeNoteListPageOut({"results": page.items, "next": page.next}).data)

    @extend_schema(
        summary="Publish a practice note to the network",
        request=PracticeNoteIn,
        responses={201: PracticeNoteOut, 400: HELD},
    )
    def post(self, request: ApiRequest):
        services.require_writer(request.user, "write practice notes")
        note = services.note_publish(actor=request.user, **_body(PracticeNoteIn, request))
        return _note_response(request, note.pk, status.HTTP_201_CREATED)


class NoteView(APIView):
    @extend_schema(summary="A practice note", responses=PracticeNoteOut)
    def get(self, request: ApiRequest, pk: int):
        return _note_response(request, pk)

    @extend_schema(
        summary="Edit a practice note (a new version; what is left out stays)",
        request=PracticeNotePatchIn,
        responses={200: PracticeNoteOut, 400: HELD, 409: CONFLICT},
        parameters=[IF_MATCH],
    )
    def patch(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        data = _body(PracticeNotePatchIn, request, partial=True)
        data.pop("version", None)
        services.note_revise(
            actor=request.user, note=note, version=if_match_version(request), **data
        )
        return _note_response(request, pk)


class NoteVersionsView(APIView):
    @extend_schema(
        summary="Every version of a note, newest first", responses=PracticeVersionOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        versions = selectors.versions_of(note)
        if not access.is_participant(request.user):
            versions = versions.filter(public=True)  # what was never public stays unseen
        return Response(PracticeVersionOut(versions, many=True).data)


class AnswersView(APIView):
    @extend_schema(
        summary="The answers to a question, oldest first", responses=PracticeAnswerOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        answers = list(selectors.answers_of(note))
        for answer in answers:
            answer.note = note
        return Response(PracticeAnswerOut(answers, many=True).data)

    @extend_schema(
        summary="Answer a question",
        request=PracticeAnswerIn,
        responses={201: PracticeAnswerOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        data = _body(PracticeAnswerIn, request)
        answer = services.answer_post(actor=request.user, note=note, **data)
        answer.note = note
        return Response(PracticeAnswerOut(answer).data, status=status.HTTP_201_CREATED)


class AnswerAcceptView(APIView):
    @extend_schema(
        summary="Mark the answer that helped (the asker only)",
        request=PracticeAcceptIn,
        responses=PracticeAnswerOut,
    )
    def post(self, request: ApiRequest, pk: int):
        answer = found(
            selectors.answer_for(request.user, pk), "No such answer among those you can read."
        )
        data = _body(PracticeAcceptIn, request)
        services.answer_accept(actor=request.user, answer=answer, accepted=data["accepted"])
        return Response(PracticeAnswerOut(selectors.answer_for(request.user, pk)).data)


class NoteUsefulView(APIView):
    def _answer(self, request, pk: int) -> Response:
        note = _note(request, pk)
        return Response(
            {"note": note.pk, "marked_useful": note.marked_useful, "useful": note.useful_count}
        )

    @extend_schema(
        summary="Mark a note useful (once; again changes nothing)",
        request=None,
        responses=PracticeUsefulOut,
    )
    def post(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        services.note_mark_useful(actor=request.user, note=note)
        return self._answer(request, pk)

    @extend_schema(summary="Take your useful mark back", request=None, responses=PracticeUsefulOut)
    def delete(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        services.note_unmark_useful(actor=request.user, note=note)
        return self._answer(request, pk)


class CommentsView(APIView):
    @extend_schema(
        summary="Comments on a note, oldest first", responses=PracticeCommentOut(many=True)
    )
    def get(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        return Response(PracticeCommentOut(selectors.comments_of(note), many=True).data)

    @extend_schema(
        summary="Comment on a note",
        request=PracticeCommentIn,
        responses={201: PracticeCommentOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        data = _body(PracticeCommentIn, request)
        comment = services.comment_add(actor=request.user, note=note, **data)
        return Response(PracticeCommentOut(comment).data, status=status.HTTP_201_CREATED)


class PointersView(APIView):
    @extend_schema(
        summary="Point a question to a team that solved it before (coaches)",
        request=PracticePointerIn,
        responses={201: PracticePointerOut, 400: HELD},
    )
    def post(self, request: ApiRequest, pk: int):
        note = _note(request, pk)
        if not access.can_point(request.user):
            raise PermissionDenied("Only coaches point questions to teams.")
        data = _body(PracticePointerIn, request)
        team = selectors.team_by_id(data["team"])
        if team is None:
            raise serializers.ValidationError({"team": ["No such team."]})
        pointer = services.note_point(
            actor=request.user,
            note=note,
            team=team,
            note_text=data["note"],
            confirm_no_client_data=data["confirm_no_client_data"],
        )
        return Response(PracticePointerOut(pointer).data, status=status.HTTP_201_CREATED)


# --- follows and tags -------------------------------------------------------------------


# What one follows: how it is found, and what is said when it is not.
FOLLOWED: dict[str, tuple[Callable[[Any], Any], str]] = {
    "tag": (selectors.tag_by_slug, "No tag “{}”."),
    "problem": (selectors.problem_by_number, "An Omaha problem's number, 1 to 42."),
    "team": (selectors.team_by_id, "No such team."),
}


class FollowsView(APIView):
    @extend_schema(
        summary="The tags, Omaha problems and teams you follow",
        responses=PracticeFollowOut(many=True),
    )
    def get(self, request: ApiRequest):
        return Response(PracticeFollowOut(selectors.follows_of(request.user), many=True).data)

    @extend_schema(
        summary="Follow a tag, an Omaha problem or a team (one at a time)",
        request=PracticeFollowIn,
        responses={201: PracticeFollowOut, 200: PracticeFollowOut},
    )
    def post(self, request: ApiRequest):
        services.require_writer(request.user, "follow tags, problems and teams")
        data = _body(PracticeFollowIn, request)
        if len(data) != 1:
            raise serializers.ValidationError(
                "Send one of tag, problem or team: follow one thing at a time."
            )
        ((what, value),) = data.items()
        find, unknown = FOLLOWED[what]
        followed = find(value)
        if followed is None:
            raise serializers.ValidationError({what: [unknown.format(value)]})
        follow, created = services.follow_add(actor=request.user, **{what: followed})
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(PracticeFollowOut(follow).data, status=code)


class FollowView(APIView):
    @extend_schema(summary="Stop following", request=None, responses={204: None})
    def delete(self, request: ApiRequest, pk: int):
        follow = found(selectors.follow_of(request.user, pk), "No such follow among yours.")
        services.follow_remove(actor=request.user, follow=follow)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagsView(APIView):
    @extend_schema(summary="The network's tags", responses=PracticeTagListOut(many=True))
    def get(self, request: ApiRequest):
        return Response(PracticeTagListOut(selectors.tags(request.user), many=True).data)

    @extend_schema(
        summary="Add a tag to the network's list (team members)",
        request=PracticeTagIn,
        responses={201: PracticeTagOut, 400: HELD},
    )
    def post(self, request: ApiRequest):
        tag = services.tag_create(actor=request.user, **_body(PracticeTagIn, request))
        return Response(PracticeTagOut(tag).data, status=status.HTTP_201_CREATED)


# --- search and the feed ----------------------------------------------------------------


class SearchView(APIView):
    @extend_schema(
        summary="Search practice notes",
        description=(
            'q is read like a web search box: words, "a phrase", or, -leave-out. On'
            " PostgreSQL the results are ranked (title, then tags and Omaha names, then"
            " body) among the newest matches (see bounded); without q, or on the embedded"
            " database, newest first."
        ),
        parameters=[OpenApiParameter("q", str, description="What to look for."), *FILTERS],
        responses=PracticeSearchPageOut,
    )
    def get(self, request: ApiRequest):
        page = search.search(request.user, search.parse_filters(request.query_params))
        body = {
            "results": page.items,
            "next": page.next,
            "ranked": page.ranked,
            "bounded": page.bounded,
        }
        return Response(PracticeSearchPageOut(body).data)


class PracticeFeedQuery(serializers.Serializer):
    cursor = serializers.CharField(required=False)
    following = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(
        required=False, min_value=1, max_value=feed.MAX_PAGE_SIZE, default=feed.PAGE_SIZE
    )


class FeedView(APIView):
    @extend_schema(
        summary="The network feed: new notes, answers and shared team figures, newest first",
        parameters=[
            OpenApiParameter("following", bool, description="Only what you follow."),
            OpenApiParameter("cursor", str, description="The previous page's next."),
            OpenApiParameter(
                "limit", bounded(1, feed.MAX_PAGE_SIZE), description=f"1 to {feed.MAX_PAGE_SIZE}."
            ),
        ],
        responses=PracticeFeedPageOut,
    )
    def get(self, request: ApiRequest):
        query = PracticeFeedQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = feed.feed(request.user, **query.validated_data)
        for item in page.items:
            if item.answer is not None and item.note is not None:
                item.answer.note = item.note
        live = access.reads_live(request.user)
        body = {
            "results": page.items,
            "next": page.next,
            "stream": feed.NETWORK_STREAM if live else None,
        }
        return Response(PracticeFeedPageOut(body).data)
