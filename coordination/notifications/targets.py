"""Where a notification leads, said without naming a page.

A rule gives each notification a target: what it is about, as a kind and ids
(``board(team, day)``, ``proposal(pk)``, ``HELP``), stored with it. Which address
shows that is the pages' business: the frontend registers one resolver when it is
ready (``register``), and everything that gives a person a link asks here: the
notifications page and the API (``Notification.url``, resolved a page at a time by
``resolve``) and the daily digest, whose links to the list and the preferences are
targets too (``LIST``, ``PREFERENCES``). A target the resolver does not know (or whose
team is gone) leads to the list of notifications.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured

Target = dict
Resolver = Callable[[list[Target]], list[str]]

HELP: Target = {"to": "help"}  # the help page, where helpers find the visits lent to them
LIST: Target = {"to": "notifications"}
PREFERENCES: Target = {"to": "preferences"}


def board(team_id: int, day: datetime.date) -> Target:
    """A team's board on one day."""
    return {"to": "board", "team": team_id, "day": day.isoformat()}


def proposal(proposal_id: int) -> Target:
    return {"to": "proposal", "proposal": proposal_id}


_resolvers: list[Resolver] = []


def register(resolver: Resolver) -> Resolver:
    """The pages' resolver: targets in, their addresses (paths) out, in order."""
    _resolvers[:] = [resolver]
    return resolver


def urls(targets: list[Target]) -> list[str]:
    if not _resolvers:
        raise ImproperlyConfigured("No pages resolve notification targets (frontend not ready).")
    return _resolvers[0](targets) if targets else []


def url(target: Target) -> str:
    return urls([target])[0]


def resolve(notifications: Iterable) -> None:
    """Resolve the links of many notifications at once (``notification.url``)."""
    notifications = list(notifications)
    for notification, link in zip(
        notifications, urls([n.target for n in notifications]), strict=True
    ):
        notification.url = link
