"""Reads of the team board. Permission is the caller's (members of the team only:
``teams.access.can_view_team``); the board shows scheduling, not care records (names,
windows, who goes, status), like the team's client list, so no access-log rows.

Below the board: the network's requests for help (``help_board``), which show other
teams when, how long, the area and the skills, never who the client is.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    F,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.expressions import RawSQL
from django.utils import timezone

from care import access as care_access
from care.models import Visit
from care.models.clients import client_display_name
from care.selectors import visits as visit_selectors
from coordination import access, events
from coordination.events import streams
from coordination.models import HandoverOffer, HelpOffer, HelpRequest
from teams import access as team_access
from teams.models import Membership, Person, Team, person_display_name

MAX_DAYS = 7


@dataclass
class Board:
    """A snapshot of a team's visits over some days, and where its stream was."""

    team: Team
    start: datetime.date
    days: int
    stream: str
    seq: int
    visits: list[BoardVisit] = field(default_factory=list)

    @property
    def end(self) -> datetime.date:
        """The last day shown."""
        return self.start + datetime.timedelta(days=self.days - 1)


@dataclass(eq=False)
class BoardVisit:
    """A visit as the board shows it: what a row of the board needs, read as values.

    Every phone on the team reads the board at every change, and making a model
    instance for each visit, its client and its carer was the larger part of reading
    it; a visit read this way costs a tuple's worth. The attributes are the model's
    (``pk``, ``client_id``, ``client.display_name``, ``assignee.display_name``,
    ``get_status_display``, ...), so pages and serializers read either alike.
    """

    # The visit's own columns, read as they are; the names around them are composed.
    PLAIN = (
        "window_start",
        "window_end",
        "expected_minutes",
        "tasks",
        "status",
        "late_until",
        "late_note",
        "actual_start",
        "actual_end",
        "version",
    )
    COLUMNS = (
        "id",
        *PLAIN,
        "client_id",
        "client__preferred_name",
        "client__first_name",
        "client__last_name",
        "assignee_id",
        "assignee__preferred_name",
        "assignee__first_name",
        "assignee__last_name",
        "assignee__username",
        "has_open_offers",
    )

    pk: int
    window_start: datetime.datetime
    window_end: datetime.datetime
    expected_minutes: int
    tasks: str
    status: str
    late_until: datetime.datetime | None
    late_note: str
    actual_start: datetime.datetime | None
    actual_end: datetime.datetime | None
    version: int
    client: Named
    assignee: Named | None
    has_open_offers: bool
    open_offers: list[HandoverOffer] = field(default_factory=list)
    # The board page's: whether the reader holds it, and the offer of it they made.
    mine: bool = False
    offer_out: HandoverOffer | None = None
    # The reader's: another visit of theirs on the board this one clashes with.
    clashes_with: BoardVisit | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> BoardVisit:
        assignee_id = row["assignee_id"]
        return cls(
            pk=row["id"],
            **{name: row[name] for name in cls.PLAIN},
            client=Named(
                row["client_id"],
                client_display_name(
                    row["client__preferred_name"],
                    row["client__first_name"],
                    row["client__last_name"],
                ),
            ),
            assignee=None
            if assignee_id is None
            else Named(
                assignee_id,
                person_display_name(
                    row["assignee__preferred_name"],
                    row["assignee__first_name"],
                    row["assignee__last_name"],
                    row["assignee__username"],
                ),
            ),
            has_open_offers=row["has_open_offers"],
        )

    @property
    def id(self) -> int:
        return self.pk

    @property
    def client_id(self) -> int:
        return self.client.pk

    @property
    def assignee_id(self) -> int | None:
        return None if self.assignee is None else self.assignee.pk

    def get_status_display(self) -> str:
        return Visit.Status(self.status).label


@dataclass(frozen=True)
class Named:
    """A client or person on the board: who, and what the team calls them."""

    pk: int
    display_name: str

    @property
    def id(self) -> int:
        return self.pk


def _open_offers(visit_ids: list[int]) -> QuerySet[HandoverOffer]:
    """The open handover and swap offers of these visits, oldest first."""
    return (
        HandoverOffer.objects.filter(status=HandoverOffer.Status.OFFERED)
        .filter(Q(visit__in=visit_ids) | Q(swap_visit__in=visit_ids))
        .select_related("from_person", "to_person")
        .order_by("created", "id")
    )


def _has_open_offers() -> RawSQL:
    """Whether a visit is part of an open handover or swap offer, as a plain SQL
    EXISTS (read with every board; the ORM's Exists cost more to build than to run)."""
    offers = HandoverOffer._meta.db_table
    visit = f"{Visit._meta.db_table}.id"  # the board's base table keeps its own name
    return RawSQL(  # noqa: S611 -- table names from the models, the status a parameter
        f"EXISTS (SELECT 1 FROM {offers} o WHERE o.status = %s"  # noqa: S608
        f" AND (o.visit_id = {visit} OR o.swap_visit_id = {visit}))",
        (HandoverOffer.Status.OFFERED.value,),
        output_field=BooleanField(),
    )


def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_default_timezone())


def board_team(person: Person, *, pk: int | None = None, slug: str | None = None) -> Team | None:
    """The team whose board the person asks for, if they may see it, with the head of
    its stream read in the same query (``team.board_head``): the first read of
    ``board`` (see there), so the board costs one query fewer."""
    table = events.Stream._meta.db_table
    lookup: dict[str, str | int]
    params: tuple[str, ...]
    if slug is not None:
        lookup = {"slug": slug}
        team = f"{Team._meta.db_table}.id"
        name, params = streams.team_stream_sql(team), ()
    elif pk is not None:
        # The stream's name is known: a parameter.
        lookup, name, params = {"pk": pk}, "%s", (streams.team_stream(pk),)
    else:
        raise TypeError("board_team needs the team's pk or its slug.")
    # Plain SQL, not the ORM's Subquery: the board is read at every change on every
    # phone, and building that expression cost more than running it.
    head = RawSQL(  # noqa: S611 -- table and column names from the models
        f"SELECT last_seq FROM {table} WHERE name = {name}",  # noqa: S608
        params,
        output_field=BigIntegerField(),
    )
    found = list(
        team_access.teams_visible_to(person)
        .filter(**lookup)
        .annotate(board_head=head)
        .order_by()[:1]
    )
    if found:
        found[0].board_head = found[0].board_head or 0  # no event yet: no stream row
    return found[0] if found else None


def board(team: Team, start_date: datetime.date, days: int = 1) -> Board:
    """The team's visits whose window starts on ``start_date`` or the ``days - 1`` days
    after (team's clock), each with its client, carer, status, lateness and the open
    handover offers it is part of (``visit.open_offers``). Two queries however many
    visits when the team came from ``board_team`` (the head came with it) and no
    visit of the day has an open offer, one more for the offers when some do.

    The snapshot-then-subscribe handshake, which loses no event and applies none twice:

    1. ``seq`` is the head of the team's stream, read BEFORE the visits. Every event up
       to ``seq`` was committed before the visits were read (``publish`` appends in the
       writer's transaction and a stream's numbers commit in order), so the rows
       already show its change.
    2. The page subscribes with ``/ws/live/?since=team.<id>:<seq>``. The socket replays
       every event after ``seq`` from the log, then forwards live ones, dropping
       duplicates by sequence number: every change committed after the head was read
       reaches the page, exactly once per event.
    3. A change committed between reading the head and reading the rows is in both the
       rows and the replay. The page applies a ``visit.*`` event only when its
       ``data.version`` is newer than the version of the visit it holds (and a
       ``handover.*`` event only when the offer's ``version`` is newer), so such an
       event is recognised as already applied and skipped.
    """
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}")
    stream = team.stream
    seq = getattr(team, "board_head", None)
    if seq is None:
        seq = events.head(stream)  # first: see the docstring
    visits = [
        BoardVisit.from_row(row)
        for row in Visit.objects.filter(
            client__team=team,
            window_start__gte=_midnight(start_date),
            window_start__lt=_midnight(start_date + datetime.timedelta(days=days)),
        )
        .annotate(has_open_offers=_has_open_offers())
        .order_by("window_start", "id")
        .values(*BoardVisit.COLUMNS)
    ]
    by_visit: dict[int, list[HandoverOffer]] = {v.pk: [] for v in visits}
    offered = [v.pk for v in visits if v.has_open_offers]
    if offered:
        for offer in _open_offers(offered):
            for visit_id in (offer.visit_id, offer.swap_visit_id):
                if visit_id in by_visit:
                    by_visit[visit_id].append(offer)
    for visit in visits:
        visit.open_offers = by_visit[visit.pk]
    return Board(team=team, start=start_date, days=days, stream=stream, seq=seq, visits=visits)


def mark_clashes(board: Board, person: Person) -> None:
    """Mark each undone visit ``person`` holds on the board that clashes with another
    of theirs on it (``clashes_with``: the first such, by time), by the one rule
    (``care.selectors.visits.visits_clash``). No query: the board has the windows."""
    held = [
        v for v in board.visits if v.assignee_id == person.pk and v.status in Visit.UNDONE_STATUSES
    ]
    for visit in held:
        visit.clashes_with = next(
            (o for o in held if o is not visit and visit_selectors.visits_clash(visit, o)), None
        )


def board_visit(pk: int) -> Visit:
    """One visit as the board shows it (after a write): one query, and one more for
    its open offers when it has any."""
    visit = (
        Visit.objects.select_related("client", "assignee")
        .annotate(has_open_offers=_has_open_offers())
        .get(pk=pk)
    )
    visit.open_offers = list(_open_offers([visit.pk])) if visit.has_open_offers else []
    return visit


# --- help across teams ------------------------------------------------------------------

# Km per radian of a great circle on the earth (mean radius).
EARTH_RADIUS_KM = 6371.0088
ASK_AHEAD_DAYS = 7


def distance_km(a: Team, b: Team) -> float | None:
    """Great-circle distance between two teams' locations; None if either is unknown."""
    if a.latitude is None or a.longitude is None or b.latitude is None or b.longitude is None:
        return None
    lat1, lon1, lat2, lon2 = (
        math.radians(float(x)) for x in (a.latitude, a.longitude, b.latitude, b.longitude)
    )
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def district(postcode: str) -> str:
    """The outward part of a postcode ("7413 EW" -> "7413", "DA1 2AB" -> "DA1"): an area,
    not an address."""
    parts = (postcode or "").split()
    return parts[0].upper() if parts else ""


def _help_visits() -> QuerySet[Visit]:
    # Times and the postcode's area only: the help board never loads who the client is.
    # (The annotation fills client_postcode, declared on Visit: not the clash mypy sees.)
    return (
        Visit.objects.annotate(client_postcode=F("client__postcode"))  # type: ignore[no-redef]
        .only("id", "window_start", "window_end", "expected_minutes", "status", "assignee_id")
        .order_by("window_start", "id")
    )


def _dress(request: HelpRequest, reader_teams: list[Team], reader_id: int) -> HelpRequest:
    """What one reader sees of a request: the distance from their nearest team, the
    area, and the offers (all of them for the asking team, their own for anyone else)."""
    visits = request.visit_list
    mine = any(t.pk == request.team_id for t in reader_teams)
    distances = [d for d in (distance_km(t, request.team) for t in reader_teams) if d is not None]
    request.mine = mine
    request.distance_km = min(distances) if distances else None
    districts = sorted({district(v.client_postcode) for v in visits} - {""})
    request.area = ", ".join([request.team.town, *districts] if request.team.town else districts)
    request.first_start = visits[0].window_start if visits else None
    request.minutes = sum(v.expected_minutes for v in visits)
    request.visible_offers = request.open_offers if mine else []
    request.my_offer = next((o for o in request.open_offers if o.person_id == reader_id), None)
    request.visible_note = request.note if mine else ""
    return request


def help_board(person: Person, *, now: datetime.datetime | None = None) -> list[HelpRequest]:
    """The network's open requests for help a member of any team sees, nearest first
    (great-circle distance from the nearest of the reader's teams; teams with no
    location last), then soonest. Four queries however many requests, visits and
    offers: the reader's teams, the requests, their visits, their open offers.

    Requests whose first visit's window has ended are left out (the clock lapses them).
    Nobody but a current member of some team gets anything: an empty list.
    """
    now = now or timezone.now()
    reader_teams = list(
        Team.objects.filter(
            Q(memberships__person=person) & Membership.current_lookup("memberships__")
        )
        if getattr(person, "is_authenticated", False) and person.is_active
        else Team.objects.none()
    )
    if not reader_teams:
        return []
    requests = (
        HelpRequest.objects.filter(status=HelpRequest.Status.OPEN)  # type: ignore[no-redef]  # to_attr fills the declared attribute
        .select_related("team")
        .prefetch_related(
            Prefetch("visits", queryset=_help_visits(), to_attr="visit_list"),
            Prefetch(
                "offers",
                queryset=HelpOffer.objects.filter(status=HelpOffer.Status.OFFERED)
                .select_related("person")
                .order_by("created", "id"),
                to_attr="open_offers",
            ),
        )
    )
    shown = [
        _dress(r, reader_teams, person.pk)
        for r in requests
        if r.visit_list and min(v.window_end for v in r.visit_list) > now
    ]
    return sorted(
        shown,
        key=lambda r: (
            r.distance_km is None,
            r.distance_km or 0.0,
            r.first_start,
            r.pk,
        ),
    )


def team_visit_for(person: Person, pk: int) -> Visit | None:
    """A visit of a client the person's team looks after (the board's visits); None
    for everyone else, so the caller answers 404."""
    visit = Visit.objects.select_related("client__team", "assignee").filter(pk=pk).first()
    if visit is None or not care_access.can_keep_record(person, visit.client):
        return None
    return visit


def handover_offer_for(person: Person, pk: int) -> HandoverOffer | None:
    """A handover or swap offer on a visit of the person's team; None otherwise."""
    offer = (
        HandoverOffer.objects.select_related(
            "visit__client__team", "swap_visit", "from_person", "to_person"
        )
        .filter(pk=pk)
        .first()
    )
    if offer is None or not care_access.can_keep_record(person, offer.visit.client):
        return None
    return offer


def help_request_for(person: Person, pk: int) -> HelpRequest | None:
    """A request a member of any team may see (to offer on it, or, for the asking
    team, to withdraw it); None for everyone else."""
    if not access.is_network_member(person):
        return None
    return HelpRequest.objects.select_related("team").filter(pk=pk).first()


def help_offer_for(person: Person, pk: int) -> HelpOffer | None:
    """An offer its helper or a member of the asking team may act on; None otherwise."""
    offer = HelpOffer.objects.select_related("request__team", "person").filter(pk=pk).first()
    if offer is None:
        return None
    if offer.person_id == person.pk and access.is_network_member(person):
        return offer
    return offer if access.can_ask_for_help(person, offer.request.team_id) else None


@dataclass
class TeamHelp:
    """The board's help section: what the team asked and what it may still ask for."""

    team: Team
    requests: Sequence[HelpRequest] = field(default_factory=list)
    askable: list[Visit] = field(default_factory=list)


def team_help(team: Team, *, now: datetime.datetime | None = None) -> TeamHelp:
    """For the team's own members (the caller checks): its requests still open, and
    those filled whose visits are still to come, each with its visits (and clients:
    the team's own) and offers; and the visits of the coming week nobody has taken
    and no open request asks for. Four queries, however many rows."""
    now = now or timezone.now()
    requests = list(
        HelpRequest.objects.filter(team=team)  # type: ignore[no-redef]  # to_attr fills the declared attribute
        .filter(
            Q(status=HelpRequest.Status.OPEN)
            | Q(status=HelpRequest.Status.FILLED, visits__window_end__gt=now)
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "visits",
                queryset=Visit.objects.select_related("client", "assignee").order_by(
                    "window_start", "id"
                ),
                to_attr="visit_list",
            ),
            Prefetch(
                "offers",
                queryset=HelpOffer.objects.filter(
                    status__in=[HelpOffer.Status.OFFERED, HelpOffer.Status.ACCEPTED]
                )
                .select_related("person")
                .order_by("created", "id"),
                to_attr="live_offers",
            ),
        )
        .order_by("created", "id")
    )
    for request in requests:
        request.team = team
        request.accepted = next(
            (o for o in request.live_offers if o.status == HelpOffer.Status.ACCEPTED), None
        )
        request.open_offers = [o for o in request.live_offers if o.status == "offered"]
    askable = list(
        Visit.objects.filter(
            client__team=team,
            status=Visit.Status.PLANNED,
            assignee__isnull=True,
            window_end__gt=now,
            window_start__lt=now + datetime.timedelta(days=ASK_AHEAD_DAYS),
        )
        .exclude(help_requests__status=HelpRequest.Status.OPEN)
        .select_related("client")
        .order_by("window_start", "id")
    )
    return TeamHelp(team=team, requests=requests, askable=askable)


def visit_by_id(pk: int) -> Visit | None:
    """A visit by id, with its client (whoever asks is the caller's check)."""
    return Visit.objects.select_related("client__team", "assignee").filter(pk=pk).first()
