"""The network feed: new notes, answers and shared team figures, newest first.

Entries are ``FeedItem`` rows. The practice services add one for every note and answer
(``services.feed_add``). Shared team figures are kept in ``care``, which may not import
``coordination``; so the feed listens to the event log instead (``on_publish``, set up
when the coordination app is ready) and adds an entry for every event

    type "figures.shared", on the network stream,
    data {"team": <team id>, "period": "YYYY-MM", "shared_figures": <its id>}

(an optional "url" in the data is where the entry links). An event missing those, or
naming no team, is logged and skipped; a second event for the same ``shared_figures``
adds nothing. Figures are for the network: never in the public feed.

Reading (``feed``): every team member and coach sees every entry; inspectors, clients
and their network see the entries of public notes only. ``following`` narrows it to
entries whose team, tags or Omaha problems the person follows. Pages are keyset pages
on (created, id), no OFFSET: the thousandth page costs what the first does, and the
number of queries stays the same however many rows there are.
"""

from __future__ import annotations

import logging
import re

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from coordination import cursors
from coordination.events import NETWORK_STREAM, Event, EventRecord, on_publish
from coordination.practice import access, selectors, services
from coordination.practice.models import FeedItem
from teams.models import Person, Team

logger = logging.getLogger("kith.practice")

PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
FIGURES_SHARED = "figures.shared"
# The events that change what the feed shows (its page re-reads itself on these).
LIVE_TYPES = ("note.published", "note.revised", "answer.", "note.pointed", FIGURES_SHARED)
BAD_CURSOR = "Not a cursor this feed gave out: start again without one."
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _visible(person: Person):
    if access.is_participant(person):
        return FeedItem.objects.all()
    if access.can_read_public(person):
        return FeedItem.objects.filter(public=True)
    return FeedItem.objects.none()


def _following(person: Person):
    """The condition "about something the person follows" (None: they follow nothing)."""
    ids = selectors.followed(person)
    condition = Q()
    if ids["team"]:
        condition |= Q(team_id__in=ids["team"])
    if ids["tag"]:
        condition |= Q(
            Exists(
                FeedItem.tags.through.objects.filter(
                    feeditem_id=OuterRef("pk"), tag_id__in=ids["tag"]
                )
            )
        )
    if ids["problem"]:
        condition |= Q(
            Exists(
                FeedItem.problems.through.objects.filter(
                    feeditem_id=OuterRef("pk"), omahaproblem_id__in=ids["problem"]
                )
            )
        )
    return condition if condition.children else None


def feed(
    person: Person, *, cursor: str | None = None, following: bool = False, limit: int = PAGE_SIZE
) -> cursors.Page:
    """One page of the feed the person may read, newest first (see the module)."""
    rows = _visible(person)
    if following:
        condition = _following(person)
        rows = rows.none() if condition is None else rows.filter(condition)
    rows = rows.select_related(
        "note__author", "note__team", "answer__author", "answer__team", "team"
    ).prefetch_related("tags", "note__tags")
    return cursors.newest_first(rows, cursor, limit, bad=BAD_CURSOR)


# --- shared team figures, heard from the event log --------------------------------------


def _figures_item(event: Event) -> None:
    data = event.data or {}
    team_id, shared, period = data.get("team"), data.get("shared_figures"), data.get("period")
    if not (
        isinstance(team_id, int)
        and isinstance(shared, int)
        and isinstance(period, str)
        and PERIOD.match(period)
        and Team.objects.filter(pk=team_id).exists()
    ):
        logger.warning("figures.shared event without a team, period and figures: %r", data)
        return
    extra = {"period": period}
    if isinstance(data.get("url"), str) and data["url"].startswith("/"):
        extra["url"] = data["url"]
    services.feed_add(
        kind=FeedItem.Kind.FIGURES, ref_id=shared, team_id=team_id, public=False, data=extra
    )


def on_event(event: Event, records: list[EventRecord]) -> None:
    """The log's hook: a ``figures.shared`` event on the network stream adds a feed
    entry, in the publisher's transaction; a failure here never fails that write."""
    if event.type != FIGURES_SHARED or not any(r.stream == NETWORK_STREAM for r in records):
        return
    try:
        with transaction.atomic():
            _figures_item(event)
    except Exception:
        logger.exception("the feed entry for %s failed", event.type)


def register() -> None:
    on_publish(on_event)
