"""Checks of the texts a team's coaches read.

A team shares its decisions with the coaches it invites (``access.can_view_shared``,
the ``shared.<id>`` stream): a proposal's title, purpose and details, the free texts of
its kind's payload (``decisions.DecisionKind.texts``), the objections members raise
and the questions and comments of members and coaches. Coaches never see a client's
record unless the team and the client agree, so none of these texts may name one.

The write services ask ``check`` before they store any of them. The checks themselves
belong to other apps, which register them from their AppConfig.ready()
(``coordination.privacy`` registers the client-data check), so ``teams`` never
imports them. A check raises a ``ValidationError`` naming the fields it holds; nothing
is stored then. It may let the author confirm softer findings (``confirmed``, sent as
``CONFIRM``), never a client's identifiers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from teams.models import Person, Team

# The flag an author sends to publish a text whose every finding they may confirm.
CONFIRM = "confirm_no_client_data"


class TextCheck(Protocol):
    def __call__(
        self,
        *,
        author: Person,
        team: Team,
        texts: Mapping[str, str],
        confirmed: bool,
        labels: Mapping[str, str],
    ) -> None:
        """Raise ``ValidationError`` (field -> messages) to hold the texts
        (field -> text), whose fields ``labels`` names as a person would."""


_CHECKS: dict[str, TextCheck] = {}


def register(key: str, check: TextCheck) -> TextCheck:
    known = _CHECKS.get(key)
    if known is not None and known is not check:
        raise ValueError(f"text check {key!r} is registered twice")
    _CHECKS[key] = check
    return check


def unregister(key: str) -> None:
    _CHECKS.pop(key, None)


def registered() -> list[str]:
    return list(_CHECKS)


def check(
    *,
    author: Person,
    team: Team,
    texts: Mapping[str, str],
    confirmed: bool = False,
    labels: Mapping[str, str] | None = None,
) -> None:
    """Run every registered check over the texts a team's coaches will read; the first
    that holds them raises. Empty texts are left out."""
    given = {name: text for name, text in texts.items() if isinstance(text, str) and text}
    if not given:
        return
    for text_check in _CHECKS.values():
        text_check(
            author=author, team=team, texts=given, confirmed=confirmed is True, labels=labels or {}
        )
