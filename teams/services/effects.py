"""What adopted decisions do. Nothing here runs except through an adopted proposal:
no single member can change membership, roles, the agreement, coaches or the
team's shape on their own.

Each kind has a ``validate`` (raise time, amend time and again at adoption) and an
``apply`` (inside the adoption's transaction); both raise ValidationError naming
the payload field, so nothing is half-applied. The kinds themselves (their words,
fields and summaries, and which validate and apply are theirs) are ``teams.kinds``.
"""

from __future__ import annotations

import datetime
from typing import Any, overload

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.text import slugify

from coordination.events import notify_access_changed
from teams import access, cleaning, decisions
from teams.cleaning import raise_errors
from teams.models import (
    Agreement,
    CoachTerm,
    Invitation,
    Membership,
    Person,
    Proposal,
    Role,
    RoleTerm,
    Team,
)
from teams.services.common import audit, publish_team
from teams.services.invitations import account_for, invitation_create, normal_email
from teams.versioning import save_fields, save_new_version

STANDARD_ROLES = [
    (Role.PLANNER, "Planner", "Keeps the rota: who visits whom and when, cover for absences."),
    (Role.HOUSEKEEPER, "Housekeeper", "Looks after the office, expenses and the team budget."),
    (
        Role.INFORMER,
        "Informer",
        "Keeps the team's figures and prepares what the team publishes.",
    ),
    (Role.DEVELOPER, "Developer", "Brings learning in from other teams and the wider network."),
    (Role.MENTOR, "Mentor", "Welcomes new colleagues and offers peer coaching."),
]
DEFAULT_TERM_DAYS = 365


def roles_ensure_standard(team: Team) -> None:
    """Every team starts with the five standard roles (idempotent)."""
    for key, name, description in STANDARD_ROLES:
        Role.objects.get_or_create(
            team=team,
            key=key,
            defaults={"name": name, "description": description, "standard": True},
        )


# --- payload helpers ---------------------------------------------------------------


def _int(payload: dict[str, Any], field: str) -> int:
    value = payload.get(field)
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdecimal():
        raise ValidationError({field: ["Choose a person."]})
    return int(value)


@overload
def _date(payload: dict[str, Any], field: str) -> datetime.date: ...
@overload
def _date(payload: dict[str, Any], field: str, *, required: bool) -> datetime.date | None: ...
def _date(payload: dict[str, Any], field: str, *, required: bool = True) -> datetime.date | None:
    value = payload.get(field)
    if value in (None, ""):
        if required:
            raise ValidationError({field: ["Required: a date (YYYY-MM-DD)."]})
        return None
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({field: ["Not a date (YYYY-MM-DD)."]}) from None


def _text(
    payload: dict[str, Any],
    field: str,
    model: type[Model],
    name: str,
    *,
    required: bool = True,
) -> str:
    """The payload's text ``field``, cleaned, at most what ``model.name`` holds once
    the decision is carried out."""
    limit = cleaning.limit_of(model, name)
    return cleaning.text(field, payload.get(field, ""), limit=limit, required=required)


def _current_member(team: Team, person_id: int, field: str) -> Person:
    membership = (
        Membership.objects.current().filter(team=team, person_id=person_id).select_related("person")
    ).first()
    if membership is None:
        raise ValidationError({field: ["Not a current member of this team."]})
    return membership.person


def membership_changed(
    team: Team,
    person_id: int,
    change: str,
    decision: int | None,
    *,
    until: datetime.date | None = None,
    actor: Person | None = None,
) -> None:
    """Tell the team (and the person's open sockets) that a membership changed."""
    data = {"team": team.pk, "person": person_id, "change": change, "decision": decision}
    if until is not None:
        data["until"] = until.isoformat()
    publish_team(team, "membership.changed", data, actor=actor, shared=True)
    notify_access_changed(person_id)


def _record(
    proposal: Proposal, event: str, target: Any, data: dict[str, Any], *, team: Team | None = None
) -> None:
    """Audit and publish what an adopted decision did: the audit's action is the event's type."""
    audit(actor=None, action=event, target=target, data={"decision": proposal.pk})
    publish_team(team or proposal.team, event, data, actor=None, shared=True)


def _invite(proposal: Proposal, purpose: str, done: str, **extra: Any) -> dict[str, Any]:
    """Invite the address an adopted decision names, which has no account yet."""
    email = proposal.payload["email"]
    name = proposal.payload.get("name", "")
    invitation, _ = invitation_create(
        actor=None,
        purpose=purpose,
        email=email,
        name=name,
        team=proposal.team,
        decision=proposal,
        **extra,
    )
    return {"invitation": invitation.pk, "summary": f"{email} {done}"}


# --- general -------------------------------------------------------------------------


def validate_general(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    return {}


def apply_general(proposal: Proposal) -> dict[str, Any]:
    return {"summary": "Recorded as the team's decision."}


# --- admit / remove a member ------------------------------------------------------------


def validate_admit(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    """Someone with an account (``person``), or an address (``email``, maybe with a
    ``name``): adoption admits the account the address has, or invites the address."""
    if payload.get("person") in (None, "") and payload.get("email") not in (None, ""):
        return _validate_admit_email(team, payload)
    if payload.get("email") not in (None, ""):
        raise ValidationError(
            {"email": ["Choose someone in Kith or type a new address, not both."]}
        )
    person_id = _int(payload, "person")
    person = Person.objects.filter(pk=person_id, is_active=True).first()
    if person is None or not access.may_join_teams(person):
        raise ValidationError({"person": ["No nurse or carer with this id."]})
    if Membership.objects.current().filter(team=team, person=person).exists():
        raise ValidationError({"person": ["Already a member of this team."]})
    return {"person": person_id}


def _invitee(payload: dict[str, Any]) -> tuple[str, str, Person | None]:
    """A decision naming someone by address: the address, their name, their account if any."""
    if not isinstance(payload.get("email"), str):
        raise ValidationError({"email": ["Enter a valid email address."]})
    email = normal_email(payload["email"])
    return email, _text(payload, "name", Invitation, "name", required=False), account_for(email)


def _validate_admit_email(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    email, name, account = _invitee(payload)
    if account is not None:
        if not account.is_active or not access.may_join_teams(account):
            raise ValidationError(
                {"email": [f"{email} has a Kith account that is not a nurse's or carer's."]}
            )
        if Membership.objects.current().filter(team=team, person=account).exists():
            raise ValidationError({"email": ["Already a member of this team."]})
    if Invitation.objects.filter(
        key=f"admit:{team.pk}:",
        email__iexact=email,
        accepted_at__isnull=True,
        withdrawn_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists():
        raise ValidationError({"email": [f"{email} has been invited to the team already."]})
    return {"email": email, "name": name}


def apply_admit(proposal: Proposal) -> dict[str, Any]:
    team = proposal.team
    if proposal.payload.get("email") and not proposal.payload.get("person"):
        account = account_for(proposal.payload["email"])
        if account is None:
            return _invite(proposal, "admit", "was invited to join")
        person = account
    else:
        person = Person.objects.get(pk=proposal.payload["person"])
    membership = Membership.objects.create(
        team=team, person=person, joined=timezone.localdate(), admitted_by=proposal
    )
    audit(
        actor=None, action="membership.admitted", target=membership, data={"decision": proposal.pk}
    )
    membership_changed(team, person.pk, "admitted", proposal.pk)
    return {
        "membership": membership.pk,
        "person": person.pk,
        "summary": f"{person.display_name} joined",
    }


MAX_NOTICE_DAYS = 366  # a last day agreed ahead is at most a year away


def validate_remove(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    person_id = _int(payload, "person")
    _current_member(team, person_id, "person")
    reason = _text(payload, "reason", Membership, "left_reason", required=False)
    until = _date(payload, "until", required=False)
    # A last day that has passed by adoption means at once: a proposal may wait past it.
    if until is not None and until > timezone.localdate() + datetime.timedelta(
        days=MAX_NOTICE_DAYS
    ):
        raise ValidationError({"until": ["At most a year ahead."]})
    data = {"person": person_id, "reason": reason}
    if until is not None:
        data["until"] = until.isoformat()
    return data


def _end_membership(
    membership: Membership, *, reason: str, proposal: Proposal | None, left: datetime.date
) -> None:
    """Close the row: ``left`` is the first day no longer a member."""
    membership.left = left
    if reason:
        membership.left_reason = reason
    if proposal is not None:
        membership.ended_by = proposal
    membership.save(update_fields=["left", "left_reason", "ended_by"])
    # Roles a leaving member held end with the membership.
    RoleTerm.objects.filter(
        role__team=membership.team, person=membership.person, ended__isnull=True
    ).update(ended=left)


def apply_remove(proposal: Proposal) -> dict[str, Any]:
    team = proposal.team
    payload = proposal.payload
    membership = Membership.objects.current().get(team=team, person_id=payload["person"])
    reason = payload.get("reason") or "left the team"
    until = datetime.date.fromisoformat(payload["until"]) if payload.get("until") else None
    name = membership.person.display_name
    done = {"membership": membership.pk, "person": membership.person_id}
    if until is not None and until >= timezone.localdate():
        # Agreed ahead: a member to the end of that day, then access ends at every door
        # (Membership.current_lookup), open sockets included (each socket keeps a timer
        # for the earliest end of what it may read).
        save_fields(membership, until=until, left_reason=reason, ended_by=proposal)
        data = {"decision": proposal.pk, "until": until.isoformat()}
        audit(actor=None, action="membership.ending", target=membership, data=data)
        membership_changed(team, membership.person_id, "leaving", proposal.pk, until=until)
        summary = f"{name} is a member until {until:%-d %b %Y}"
        return {**done, "until": until.isoformat(), "summary": summary}
    _end_membership(membership, reason=reason, proposal=proposal, left=timezone.localdate())
    audit(actor=None, action="membership.ended", target=membership, data={"decision": proposal.pk})
    membership_changed(team, membership.person_id, "left", proposal.pk)
    return {**done, "summary": f"{name} left the team"}


def memberships_end_due(*, today: datetime.date | None = None) -> list[int]:
    """Close the memberships whose agreed last day has passed (the clock calls this).
    Their access ended when that day did; this writes the row's end, ends the roles
    they held, and tells the team. Returns the memberships closed."""
    today = today or timezone.localdate()
    closed = []
    due = Membership.objects.filter(left__isnull=True, until__lt=today).order_by("pk")
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            membership = (
                Membership.objects.select_for_update(of=("self",))
                .select_related("team", "person")
                .get(pk=pk)
            )
            if membership.left is not None or membership.until is None:
                continue  # closed, or its end lifted, by another write meanwhile
            left = membership.until + datetime.timedelta(days=1)
            _end_membership(membership, reason="", proposal=None, left=left)
            audit(
                actor=None,
                action="membership.ended",
                target=membership,
                data={"decision": membership.ended_by_id, "until": membership.until.isoformat()},
            )
            membership_changed(
                membership.team, membership.person_id, "left", membership.ended_by_id
            )
            closed.append(membership.pk)
    return closed


# --- roles ------------------------------------------------------------------------------


def validate_handover(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    key = _text(payload, "role", Role, "key")
    if not Role.objects.filter(team=team, key=key).exists():
        raise ValidationError({"role": ["No such role in this team."]})
    person_id = _int(payload, "person")
    _current_member(team, person_id, "person")
    starts = _date(payload, "starts", required=False) or timezone.localdate()
    ends = _date(payload, "ends", required=False) or starts + datetime.timedelta(
        days=DEFAULT_TERM_DAYS
    )
    if ends < starts:
        raise ValidationError({"ends": ["The term ends before it starts."]})
    if ends > starts + datetime.timedelta(days=3 * 365):
        raise ValidationError({"ends": ["A term is at most three years; rotate roles."]})
    notes = _text(payload, "handover_notes", RoleTerm, "handover_notes", required=False)
    return {
        "role": key,
        "person": person_id,
        "starts": starts.isoformat(),
        "ends": ends.isoformat(),
        "handover_notes": notes,
    }


def _hand_over(
    role: Role,
    person: Person,
    *,
    starts: datetime.date,
    ends: datetime.date,
    notes: str,
    proposal: Proposal,
) -> RoleTerm:
    today = timezone.localdate()
    previous = RoleTerm.objects.filter(role=role, ended__isnull=True).first()
    if previous is not None:
        save_fields(previous, ended=today)
        # The notes travel with the role: earlier notes stay readable in the history.
    return RoleTerm.objects.create(
        role=role, person=person, starts=starts, ends=ends, handover_notes=notes, decision=proposal
    )


def apply_handover(proposal: Proposal) -> dict[str, Any]:
    payload = proposal.payload
    role = Role.objects.get(team=proposal.team, key=payload["role"])
    person = Person.objects.get(pk=payload["person"])
    term = _hand_over(
        role,
        person,
        starts=datetime.date.fromisoformat(payload["starts"]),
        ends=datetime.date.fromisoformat(payload["ends"]),
        notes=payload.get("handover_notes", ""),
        proposal=proposal,
    )
    data = {"role": role.key, "term": term.pk, "person": person.pk, "ends": payload["ends"]}
    _record(proposal, "role.handed_over", term, data)
    return {
        "term": term.pk,
        "summary": f"{person.display_name} holds {role.name} until {term.ends:%-d %b %Y}",
    }


def validate_role_create(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    name = _text(payload, "name", Role, "name")
    description = _text(payload, "description", Role, "description")
    key = slugify(payload.get("key") or name)[:40]
    if not key:
        raise ValidationError({"name": ["Use letters or digits."]})
    if Role.objects.filter(team=team, key=key).exists():
        raise ValidationError({"name": ["The team already has a role with this name."]})
    return {"key": key, "name": name, "description": description}


def apply_role_create(proposal: Proposal) -> dict[str, Any]:
    payload = proposal.payload
    role = Role.objects.create(
        team=proposal.team,
        key=payload["key"],
        name=payload["name"],
        description=payload["description"],
        created_by=proposal,
    )
    _record(proposal, "role.created", role, {"role": role.key})
    return {"role": role.key, "summary": f"New role: {role.name}"}


# --- the team agreement -------------------------------------------------------------------


def validate_agreement(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    return {"text": _text(payload, "text", Agreement, "text")}


def apply_agreement(proposal: Proposal) -> dict[str, Any]:
    team = proposal.team
    number = (Agreement.objects.filter(team=team).aggregate(n=Max("number"))["n"] or 0) + 1
    agreement = Agreement.objects.create(
        team=team, number=number, text=proposal.payload["text"], decision=proposal
    )
    _record(proposal, "agreement.adopted", agreement, {"number": number})
    return {"agreement": number, "summary": f"Team agreement version {number}"}


# --- coaches ------------------------------------------------------------------------------


def validate_coach_invite(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    """A coach in Kith (``coach``), or the address of one who is not (``email``,
    maybe with a ``name``): adoption invites them by email, and their term starts
    when they accept."""
    by_email = payload.get("coach") in (None, "") and payload.get("email") not in (None, "")
    if by_email:
        email, name, coach = _invitee(payload)
        if coach is not None and (not coach.is_active or coach.kind != Person.Kind.COACH):
            raise ValidationError({"email": [f"{email} has a Kith account that is not a coach's."]})
    else:
        if payload.get("email") not in (None, ""):
            raise ValidationError(
                {"email": ["Choose a coach in Kith or type a new address, not both."]}
            )
        coach_id = _int(payload, "coach")
        coach = Person.objects.filter(pk=coach_id, is_active=True, kind=Person.Kind.COACH).first()
        if coach is None:
            raise ValidationError({"coach": ["No coach with this id."]})
    if (
        coach is not None
        and CoachTerm.objects.filter(team=team, coach=coach, ended__isnull=True).exists()
    ):
        raise ValidationError({"coach": ["This coach is already invited."]})
    starts = _date(payload, "starts", required=False) or timezone.localdate()
    ends = _date(payload, "ends")
    if ends < starts:
        raise ValidationError({"ends": ["The term ends before it starts."]})
    term = {"starts": starts.isoformat(), "ends": ends.isoformat()}
    if coach is None:  # only a new address by email has no account yet
        return {"email": email, "name": name, **term}
    return {"coach": coach.pk, **term}


def coach_term_start(
    team: Team, coach: Person, *, starts: datetime.date, ends: datetime.date, proposal: Proposal
) -> CoachTerm:
    """The coach's term, as the team's decision set it (on adoption, or when the
    coach it invited by email accepts)."""
    term = CoachTerm.objects.create(
        team=team, coach=coach, starts=starts, ends=ends, invited_by=proposal
    )
    _record(
        proposal,
        "coach.invited",
        term,
        {"coach": term.coach_id, "ends": ends.isoformat()},
        team=team,
    )
    notify_access_changed(term.coach_id)
    return term


def apply_coach_invite(proposal: Proposal) -> dict[str, Any]:
    payload = proposal.payload
    starts = datetime.date.fromisoformat(payload["starts"])
    ends = datetime.date.fromisoformat(payload["ends"])
    if payload.get("email") and not payload.get("coach"):
        coach = account_for(payload["email"])
        if coach is None:
            dates = {"starts": payload["starts"], "ends": payload["ends"]}
            return _invite(proposal, "coach", "was invited", payload=dates)
    else:
        coach = Person.objects.get(pk=payload["coach"])
    term = coach_term_start(proposal.team, coach, starts=starts, ends=ends, proposal=proposal)
    return {
        "coach_term": term.pk,
        "summary": f"{term.coach.display_name} coaches the team until {term.ends:%-d %b %Y}",
    }


def validate_coach_end(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    coach_id = _int(payload, "coach")
    if not CoachTerm.objects.filter(team=team, coach_id=coach_id, ended__isnull=True).exists():
        raise ValidationError({"coach": ["This coach is not invited by the team."]})
    return {"coach": coach_id}


def apply_coach_end(proposal: Proposal) -> dict[str, Any]:
    term = CoachTerm.objects.get(
        team=proposal.team, coach_id=proposal.payload["coach"], ended__isnull=True
    )
    save_fields(term, ended=timezone.localdate(), ended_by=proposal)
    _record(proposal, "coach.ended", term, {"coach": term.coach_id})
    notify_access_changed(term.coach_id)
    return {
        "coach_term": term.pk,
        "summary": f"{term.coach.display_name} no longer coaches the team",
    }


# --- team split -----------------------------------------------------------------------------


def validate_split(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    new_name = _text(payload, "new_name", Team, "name")
    stays_name = _text(payload, "stays_name", Team, "name", required=False) or team.name
    new_slug = slugify(payload.get("new_slug") or new_name)[:80]
    errors: dict[str, list[str]] = {}
    if not new_slug:
        errors["new_name"] = ["Use letters or digits."]
    if (
        Team.objects.filter(name__iexact=new_name).exists()
        or new_name.lower() == stays_name.lower()
    ):
        errors["new_name"] = ["Another team already has this name."]
    if Team.objects.filter(slug=new_slug).exists():
        errors.setdefault("new_name", []).append("Another team already has this address.")
    if stays_name != team.name and Team.objects.filter(name__iexact=stays_name).exists():
        errors["stays_name"] = ["Another team already has this name."]
    moving = payload.get("moving")
    if not isinstance(moving, list) or not all(str(m).isdecimal() for m in moving):
        errors["moving"] = ["Choose the members who move to the new team."]
        raise ValidationError(errors)
    moving = sorted({int(m) for m in moving})
    members = set(
        Membership.objects.current().filter(team=team).values_list("person_id", flat=True)
    )
    if not set(moving) <= members:
        errors["moving"] = ["Only current members can move."]
    elif not moving or set(moving) == members:
        errors["moving"] = ["Both teams need at least one member."]
    roles = payload.get("roles") or {}
    if not isinstance(roles, dict) or not all(v in {"stay", "move", "end"} for v in roles.values()):
        errors["roles"] = ["For each role: stay, move or end."]
    elif set(roles) - set(Role.objects.filter(team=team).values_list("key", flat=True)):
        errors["roles"] = ["Unknown role."]
    cleaned: dict[str, Any] = {
        "new_name": new_name,
        "new_slug": new_slug,
        "stays_name": stays_name,
        "moving": moving,
        "roles": roles,
    }
    for participant in decisions.split_participants():
        if participant.key not in payload and errors:
            continue  # no suggestion for a split that cannot stand as it is
        try:
            cleaned[participant.key] = _participant_value(participant, team, moving, payload)
        except ValidationError as exc:
            for name, messages in _named(exc, participant.key).items():
                errors.setdefault(name, []).extend(messages)
    raise_errors(errors)
    return cleaned


def _participant_value(
    participant: decisions.SplitParticipant, team: Team, moving: list[int], payload: dict[str, Any]
) -> Any:
    """The participant's part, checked; its suggestion when the payload leaves it out, so
    what the team adopts always says it explicitly."""
    if participant.key in payload:
        value = payload[participant.key]
    else:
        value = participant.suggest(team, moving)
    return participant.validate(team, moving, value)


def _named(exc: ValidationError, field: str) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {field: list(exc.messages)}


def apply_split(proposal: Proposal) -> dict[str, Any]:
    old = proposal.team
    payload = proposal.payload
    today = timezone.localdate()
    # Checked again before anything changes: the team may have changed since the
    # proposal was raised (a client named in it may no longer be the team's).
    moving_ids = sorted(payload["moving"])
    parts = [
        (participant, _participant_value(participant, old, moving_ids, payload))
        for participant in decisions.split_participants()
    ]
    new = Team.objects.create(
        name=payload["new_name"],
        slug=payload["new_slug"],
        town=old.town,
        size_norm=old.size_norm,
        split_from=old,
    )
    roles_ensure_standard(new)
    for role in Role.objects.filter(team=old, standard=False):
        Role.objects.create(team=new, key=role.key, name=role.name, description=role.description)
    moving = set(payload["moving"])
    moved, reason = [], f"moved to {new.name} when the team split"
    for membership in Membership.objects.current().filter(team=old, person_id__in=moving):
        save_fields(membership, left=today, left_reason=reason, ended_by=proposal)
        moved.append(
            Membership.objects.create(
                team=new,
                person=membership.person,
                joined=today,
                continues=membership,
                admitted_by=proposal,
            )
        )
    # Roles: "move" takes the holder's term to the new team; "end" closes it; "stay"
    # keeps it; a role whose holder moves without saying ends.
    choices = payload.get("roles", {})
    for term in RoleTerm.objects.filter(role__team=old, ended__isnull=True).select_related("role"):
        choice = choices.get(term.role.key, "stay")
        holder_moves = term.person_id in moving
        if choice == "stay" and not holder_moves:
            continue
        save_fields(term, ended=today)
        if choice == "move" and holder_moves:
            RoleTerm.objects.create(
                role=Role.objects.get(team=new, key=term.role.key),
                person_id=term.person_id,
                starts=today,
                ends=max(term.ends, today),
                handover_notes=term.handover_notes,
                decision=proposal,
            )
    if payload["stays_name"] != old.name:
        save_new_version(old, name=payload["stays_name"])
    outcome: dict[str, Any] = {
        "new_team": new.pk,
        "moved": sorted(moving),
        "summary": f"Split: {len(moving)} members formed {new.name}",
    }
    for participant, value in parts:
        part = dict(participant.apply(old, new, moving_ids, value, proposal) or {})
        # A participant's summary adds to the split's, it does not replace it.
        summary = part.pop("summary", "")
        if summary:
            outcome["summary"] += f"; {summary}"
        outcome.update(part)
    audit(
        actor=None,
        action="team.split",
        target=old,
        data={"decision": proposal.pk, "new_team": new.pk},
    )
    data = {"team": old.pk, "new_team": new.pk, "moved": sorted(moving), "decision": proposal.pk}
    publish_team(old, "team.split", data, actor=None, shared=True)
    publish_team(new, "team.split", data, actor=None, shared=True)
    for person_id in moving:
        notify_access_changed(person_id)
    return outcome
