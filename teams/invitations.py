"""What an invitation is for: a registry of purposes, as ``teams.decisions`` is of
decision kinds.

Each app registers the purposes it owns (teams: founding a team, joining by an admit
decision; care: a client's own account, their representative, a network member). A
purpose says which kind of account it makes, what accepting does (inside the accept's
transaction, with the invitee's account), who may resend or withdraw it, and how the
mail and the page name it. The invitation machinery (signed links, expiry, resend,
withdraw, accept) is the same for all of them: ``teams.services.invitations``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from teams.models import Invitation, Person


@dataclass(frozen=True)
class Purpose:
    key: str
    # The kind of account it makes (a value of Person.Kind); an existing account of
    # another kind cannot accept it.
    kind: str
    # What accepting does, inside the transaction: returns what to audit.
    accept: Callable[[Invitation, Person], dict]
    # Who may resend or withdraw it (besides the operator, for founding).
    may_manage: Callable[[Person, Invitation], bool]
    # "to join team Noord", "to see your own record in Kith": the mail and the page.
    describe: Callable[[Invitation], str]
    # Checked again when the link is opened and accepted: None, or why it no longer
    # stands (the client left the team, the network entry was removed).
    still_stands: Callable[[Invitation], str | None] = field(default=lambda invitation: None)
    # Listed on the team's invitations page, where any member resends or withdraws
    # it (an invitation the team sent); otherwise only its own door lists it.
    team_sends: bool = False


_PURPOSES: dict[str, Purpose] = {}


def register(purpose: Purpose) -> Purpose:
    if purpose.key in _PURPOSES:
        raise ValueError(f"Invitation purpose {purpose.key!r} is registered twice.")
    _PURPOSES[purpose.key] = purpose
    return purpose


def get(key: str) -> Purpose | None:
    return _PURPOSES.get(key)


def keys() -> list[str]:
    return sorted(_PURPOSES)


def team_purposes() -> list[str]:
    return sorted(key for key, purpose in _PURPOSES.items() if purpose.team_sends)
