"""Founding: the operator founds the network once and its first teams; a team's
founders come in by invitation. After that a team runs itself: further members come
in only by its admit decision (``teams.services.effects``), whose invitation to an
address without an account is the "admit" purpose below.

The operator runs the service and holds no authority in any team: founding names a
team's patch, locale and first members, and is recorded with who asked and why (a
network's own decision, taken outside Kith or in a team's log)."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from teams import access, cleaning
from teams import invitations as registry
from teams.cleaning import raise_errors
from teams.models import CoachTerm, Invitation, Membership, Network, Person, Team
from teams.services.common import audit
from teams.services.effects import coach_term_start, membership_changed, roles_ensure_standard
from teams.services.invitations import invitation_create, normal_email

MAX_FOUNDERS = 12
# Who asked for a team is kept in the audit only (the why also in each invitation).
ASKED_BY_LIMIT = 120


def is_operator(person: Person) -> bool:
    """Operators are a kind of person (made by an operator invitation), not a staff
    flag: no product flow reads Django's is_staff or is_superuser."""
    return bool(
        getattr(person, "is_authenticated", False)
        and person.is_active
        and person.kind == Person.Kind.OPERATOR
    )


def network_found(*, name: str, operator_email: str) -> tuple[Network, Invitation, str]:
    """Name the network and invite its first operator; once per deployment."""
    name = cleaning.text(
        "name",
        name,
        limit=cleaning.limit_of(Network, "name"),
        required=True,
        required_message="Name the network.",
        one_line=True,
    )
    with transaction.atomic():
        if Network.objects.select_for_update().filter(pk=1).exists():
            raise ValidationError({"name": ["The network was founded already."]})
        network = Network.objects.create(pk=1, name=name)
        invitation, token = invitation_create(
            actor=None, purpose="operator", email=operator_email, why="founding the network"
        )
        audit(actor=None, action="network.founded", target=network, data={"name": name})
    return network, invitation, token


def operator_invite(*, actor: Person | None, email: str, why: str = "") -> tuple[Invitation, str]:
    """Another operator (``actor`` None: from the command line of the server)."""
    if actor is not None and not is_operator(actor):
        raise PermissionDenied("Only an operator invites operators.")
    return invitation_create(actor=actor, purpose="operator", email=email, why=why)


def team_found(
    *,
    actor: Person | None,
    name: str,
    founders: list[str],
    asked_by: str,
    why: str,
    town: str = "",
    patch: str = "",
    postcodes: str = "",
    language: str = "",
    time_zone: str = "",
    slug: str = "",
) -> tuple[Team, list[tuple[Invitation, str]]]:
    """Found a team and invite its founding members; (team, [(invitation, token)]).

    ``actor`` is the operator (None from the server's command line). ``asked_by`` and
    ``why`` record the network's decision this carries out, in the audit."""
    if actor is not None and not is_operator(actor):
        raise PermissionDenied("Only an operator founds a team.")
    errors: cleaning.Errors = {}

    def field(value: object, key: str, limit: int, required: bool = False) -> str:
        # A name is one line; the patch may run over several.
        return cleaning.clean_text(
            errors, key, value, limit=limit, required=required, one_line=key != "patch"
        )

    name = field(name, "name", cleaning.limit_of(Team, "name"), True)
    town = field(town, "town", cleaning.limit_of(Team, "town"))
    patch = field(patch, "patch", cleaning.limit_of(Team, "patch"))
    postcodes = field(postcodes, "postcodes", cleaning.limit_of(Team, "postcodes"))
    asked_by = field(asked_by, "asked_by", ASKED_BY_LIMIT, True)
    why = field(why, "why", cleaning.limit_of(Invitation, "why"), True)
    slug = slugify(slug or name)[:80]
    if name and not slug:
        errors["slug"] = ["Give the team an address of letters and digits."]
    elif slug and Team.objects.filter(slug=slug).exists():
        errors["slug"] = [f"A team with the address {slug} exists already."]
    if name and Team.objects.filter(name__iexact=name).exists():
        errors["name"] = ["A team of this name exists already."]
    languages = dict(settings.LANGUAGES)
    language = (language or settings.LANGUAGE_CODE).strip().lower()
    if language not in languages:
        errors["language"] = [f"One of {', '.join(languages)}."]
    time_zone = (time_zone or settings.TIME_ZONE).strip()
    if time_zone not in zoneinfo.available_timezones():
        errors["time_zone"] = ["A time zone such as Europe/London or Europe/Amsterdam."]
    addresses: list[str] = []
    bad: list[str] = []
    for raw in founders:
        for part in str(raw).replace(";", ",").replace("\n", ",").split(","):
            if not part.strip():
                continue
            try:
                address = normal_email(part)
            except ValidationError:
                bad.append(part.strip())
                continue
            if address.lower() not in {a.lower() for a in addresses}:
                addresses.append(address)
    if bad:
        errors["founders"] = [f"Not an email address: {', '.join(bad[:5])}."]
    elif not addresses:
        errors["founders"] = ["At least one founding member's email address."]
    elif len(addresses) > MAX_FOUNDERS:
        errors["founders"] = [f"At most {MAX_FOUNDERS}: a team grows by its own decisions."]
    else:
        for address in addresses:
            account = Person.objects.filter(email__iexact=address).first()
            if account is not None and not access.may_join_teams(account):
                errors.setdefault("founders", []).append(
                    f"{address} has a Kith account that is not a nurse's or carer's."
                )
    raise_errors(errors)
    with transaction.atomic():
        team = Team.objects.create(
            name=name,
            slug=slug,
            town=town,
            patch=patch,
            postcodes=postcodes,
            language=language,
            time_zone=time_zone,
        )
        roles_ensure_standard(team)
        sent = [
            invitation_create(actor=actor, purpose="founding", email=address, team=team, why=why)
            for address in addresses
        ]
        audit(
            actor=actor,
            action="team.founded",
            target=team,
            data={"asked_by": asked_by, "why": why, "founders": len(addresses)},
        )
    return team, sent


# --- what accepting does -------------------------------------------------------------


def _team(invitation: Invitation) -> Team:
    """The team a team's invitation is for: a team purpose always names one (and a
    team is never deleted), so its absence is a bug, not a stale link."""
    if invitation.team is None:
        raise ValueError(f"Invitation {invitation.pk} ({invitation.purpose}) names no team.")
    return invitation.team


def _join(invitation: Invitation, person: Person, *, how: str) -> dict[str, Any]:
    team = _team(invitation)
    if Membership.objects.current().filter(team=team, person=person).exists():
        return {"team": team.pk, "membership": "already"}
    membership = Membership.objects.create(
        team=team, person=person, joined=timezone.localdate(), admitted_by=invitation.decision
    )
    audit(
        actor=person,
        action=f"membership.{how}",
        target=membership,
        data={"invitation": invitation.pk, "decision": invitation.decision_id},
    )
    membership_changed(team, person.pk, "admitted", invitation.decision_id, actor=person)
    return {"team": team.pk, "membership": membership.pk}


def _team_may_manage(person: Person, invitation: Invitation) -> bool:
    return is_operator(person) or _members_manage(person, invitation)


def _members_manage(person: Person, invitation: Invitation) -> bool:
    return invitation.team_id is not None and access.is_member(person, invitation.team_id)


def _team_still_stands(invitation: Invitation) -> str | None:
    return None if invitation.team_id else "This invitation's team no longer exists."


def _coach_term(invitation: Invitation) -> tuple[datetime.date, datetime.date]:
    starts = datetime.date.fromisoformat(invitation.payload["starts"])
    ends = datetime.date.fromisoformat(invitation.payload["ends"])
    return max(starts, timezone.localdate()), ends


def _coach(invitation: Invitation, person: Person) -> dict[str, Any]:
    team = _team(invitation)
    if CoachTerm.objects.filter(team=team, coach=person, ended__isnull=True).exists():
        return {"team": team.pk, "coach_term": "already"}
    if invitation.decision is None:
        raise ValueError(f"Coach invitation {invitation.pk} names no decision of the team.")
    starts, ends = _coach_term(invitation)
    term = coach_term_start(team, person, starts=starts, ends=ends, proposal=invitation.decision)
    return {"team": team.pk, "coach_term": term.pk}


def _coach_still_stands(invitation: Invitation) -> str | None:
    if not invitation.team_id:
        return "This invitation's team no longer exists."
    _, ends = _coach_term(invitation)
    if ends < timezone.localdate():
        return f"The coaching the team asked for ended on {ends:%-d %b %Y}: the team may ask again."
    return None


def _become_operator(invitation: Invitation, person: Person) -> dict[str, Any]:
    # The account was made as an operator's (the purpose's kind); the admin lets
    # operators in by that kind (teams.admin).
    return {"operator": person.pk}


registry.register(
    registry.Purpose(
        key="founding",
        kind=Person.Kind.MEMBER,
        accept=lambda invitation, person: _join(invitation, person, how="founded"),
        may_manage=_team_may_manage,
        describe=lambda invitation: f"to found team {_team(invitation).name} in Kith",
        still_stands=_team_still_stands,
        team_sends=True,
    )
)
registry.register(
    registry.Purpose(
        key="admit",
        kind=Person.Kind.MEMBER,
        accept=lambda invitation, person: _join(invitation, person, how="admitted"),
        may_manage=_members_manage,
        describe=lambda invitation: (
            f"to join team {_team(invitation).name} in Kith: the team decided to admit you"
        ),
        still_stands=_team_still_stands,
        team_sends=True,
    )
)
registry.register(
    registry.Purpose(
        key="coach",
        kind=Person.Kind.COACH,
        accept=_coach,
        may_manage=_members_manage,
        describe=lambda invitation: (
            f"to coach team {_team(invitation).name} in Kith: the team decided to invite you"
        ),
        still_stands=_coach_still_stands,
        team_sends=True,
    )
)
registry.register(
    registry.Purpose(
        key="operator",
        kind=Person.Kind.OPERATOR,
        accept=_become_operator,
        may_manage=lambda person, invitation: is_operator(person),
        describe=lambda invitation: "to run Kith for the network as an operator",
    )
)
