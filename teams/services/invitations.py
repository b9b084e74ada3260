"""Invitations: asking someone in by email, and their accepting.

One machinery for every purpose (``teams.invitations``): a signed link that works
once and until it expires, resend (a new link; the old one stops), withdraw, and
accept, which creates the invitee's account (their own name and password, Django's
password validators) or links the account their address already has, then does what
the invitation is for, in one transaction with its audit row.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from teams import cleaning, mail
from teams import invitations as registry
from teams.cleaning import limit_of, refused
from teams.models import Invitation, Person, Proposal, Team
from teams.services.common import audit
from teams.versioning import lock, save_new_version

SALT = "kith.invitation"


class LinkNotValid(Exception):
    """The link cannot be used: forged, used, withdrawn, expired or replaced."""

    def __init__(self, message: str, *, invitation: Invitation | None = None):
        super().__init__(message)
        self.message = message
        self.invitation = invitation


def invitation_days() -> int:
    return settings.INVITATION_DAYS


def normal_email(value: str) -> str:
    """An address as Kith keeps it: trimmed, its domain in lower case and in its ASCII
    (IDNA) form. The part before the @ must be ASCII: case-insensitive comparison of
    other letters differs between Python and the databases (the Kelvin sign, the long
    s), and one account per address must mean the same everywhere."""
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    local, _, domain = value.rpartition("@")
    if not local.isascii():
        raise ValidationError(
            {"email": ["Kith takes addresses whose part before the @ is plain letters."]}
        )
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    return f"{local}@{domain.lower()}"


def account_for(email: str) -> Person | None:
    """The account an address has, compared as the database's constraint compares
    (lower case)."""
    return (
        Person.objects.annotate(address=Lower("email"))
        .filter(address=email.strip().lower())
        .first()
    )


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def _new_link(invitation: Invitation) -> str:
    """A new nonce for ``invitation`` (not saved here) and the token of its link."""
    nonce = secrets.token_urlsafe(24)
    invitation.nonce_digest = _digest(nonce)
    return signing.dumps([invitation.pk, nonce], salt=SALT)


def link(token: str) -> str:
    return mail.link("invitation", token=token)


def _purpose(invitation: Invitation) -> registry.Purpose:
    purpose = registry.get(invitation.purpose)
    if purpose is None:  # a purpose whose app is gone: nothing can accept it
        raise LinkNotValid("This invitation is for something Kith no longer offers.")
    return purpose


def _send(invitation: Invitation, token: str, *, inviter: Person | None) -> None:
    purpose = _purpose(invitation)
    invitation.sent_at = timezone.now()
    invitation.send_count += 1
    invitation.expires_at = invitation.sent_at + datetime.timedelta(days=invitation_days())
    mail.send_on_commit(
        "invitation",
        to=invitation.email,
        context={
            "name": invitation.name,
            "inviter": inviter.display_name if inviter else "",
            "what": purpose.describe(invitation),
            "link": link(token),
            "expires": invitation.expires_at,
            "has_account": account_for(invitation.email) is not None,
        },
        language=invitation.team.language if invitation.team and invitation.team.language else None,
    )


def _key(purpose: str, team: Team | None, target: int | None) -> str:
    return f"{purpose}:{team.pk if team else ''}:{target if target is not None else ''}"


def invitation_create(
    *,
    actor: Person | None,
    purpose: str,
    email: str,
    name: str = "",
    team: Team | None = None,
    target: int | None = None,
    payload: dict[str, Any] | None = None,
    decision: Proposal | None = None,
    why: str = "",
) -> tuple[Invitation, str]:
    """Invite ``email`` for ``purpose`` and mail them the link; (invitation, token).

    Callers check who may invite for their purpose; this checks the address. An
    address with an open invitation for the same purpose is refused (resend that one);
    one whose invitation expired unanswered gets a new one."""
    kind = registry.get(purpose)
    if kind is None:
        raise ValidationError({"purpose": [f"One of {', '.join(registry.keys())}."]})
    email = normal_email(email)
    name = cleaning.text("name", name, limit=cleaning.limit_of(Invitation, "name"), one_line=True)
    existing = account_for(email)
    if existing is not None and existing.kind != kind.kind:
        # Colleagues may know what kind of account an address has; a client inviting
        # their network is not told whether, or as what, an address uses Kith.
        insider = actor is None or actor.kind in {Person.Kind.MEMBER, Person.Kind.OPERATOR}
        detail = (
            f"{email} already has a Kith account of another kind "
            f"({existing.get_kind_display().lower()}); invite another address."
            if insider
            else f"{email} cannot be invited for this: ask them for another address."
        )
        raise ValidationError({"email": [detail]})
    if existing is not None and not existing.is_active:
        raise ValidationError({"email": [f"The Kith account of {email} is closed."]})
    key = _key(purpose, team, target)
    now = timezone.now()
    with transaction.atomic():
        open_one = (
            Invitation.objects.select_for_update()
            .filter(
                key=key, email__iexact=email, accepted_at__isnull=True, withdrawn_at__isnull=True
            )
            .first()
        )
        if open_one is not None:
            if open_one.expires_at > now:
                raise ValidationError(
                    {
                        "email": [
                            f"{email} was invited already "
                            f"({timezone.localtime(open_one.sent_at or open_one.created):%d %b %Y})"
                            ": resend that invitation instead."
                        ]
                    }
                )
            save_new_version(open_one, withdrawn_at=now)
            audit(actor=actor, action="invitation.expired", target=open_one)
        invitation = Invitation(
            purpose=purpose,
            email=email,
            name=name,
            team=team,
            target=target,
            payload=payload or {},
            key=key,
            invited_by=actor,
            decision=decision,
            why=why,
            expires_at=now,
        )
        try:
            with transaction.atomic():
                invitation.save()
        except IntegrityError:  # the same invitation, sent at the same moment
            raise ValidationError(
                {"email": [f"{email} was invited already: resend that invitation instead."]}
            ) from None
        token = _new_link(invitation)
        _send(invitation, token, inviter=actor)
        invitation.save(update_fields=["nonce_digest", "sent_at", "send_count", "expires_at"])
        audit(
            actor=actor,
            action="invitation.sent",
            target=invitation,
            data={"purpose": purpose, "team": team.pk if team else None, "target": target},
        )
    return invitation, token


def may_manage(person: Person, invitation: Invitation) -> bool:
    if not getattr(person, "is_authenticated", False) or not person.is_active:
        return False
    purpose = registry.get(invitation.purpose)
    return purpose is not None and purpose.may_manage(person, invitation)


def _locked_for(actor: Person, invitation: Invitation) -> Invitation:
    locked = lock(invitation, "team")
    if not may_manage(actor, locked):
        raise PermissionDenied("Only those who may invite for this may resend or withdraw it.")
    if locked.accepted_at is not None:
        raise refused("invitation", "This invitation was accepted already.")
    if locked.withdrawn_at is not None:
        raise refused("invitation", "This invitation was withdrawn.")
    return locked


def invitation_resend(*, actor: Person, invitation: Invitation) -> tuple[Invitation, str]:
    """A new link with a new expiry; the link sent before stops working."""
    with transaction.atomic():
        locked = _locked_for(actor, invitation)
        token = _new_link(locked)
        _send(locked, token, inviter=actor)
        save_new_version(locked, "nonce_digest", "sent_at", "send_count", "expires_at")
        audit(actor=actor, action="invitation.resent", target=locked)
    return locked, token


def invitation_withdraw(*, actor: Person, invitation: Invitation) -> Invitation:
    with transaction.atomic():
        locked = _locked_for(actor, invitation)
        save_new_version(locked, withdrawn_at=timezone.now(), withdrawn_by=actor)
        audit(actor=actor, action="invitation.withdrawn", target=locked)
    return locked


def invitation_from_link(token: str, *, lock: bool = False) -> Invitation:
    """The invitation a link opens, if it can still be accepted; else LinkNotValid
    with a message for the invitee."""
    try:
        pk, nonce = signing.loads(token, salt=SALT)
        pk, nonce = int(pk), str(nonce)
    except (signing.BadSignature, ValueError, TypeError):
        raise LinkNotValid(
            "This link is not a Kith invitation, or it was not copied whole."
        ) from None
    query = Invitation.objects.select_related("team", "invited_by")
    if lock:
        query = query.select_for_update(of=("self",))
    invitation = query.filter(pk=pk).first()
    if invitation is None:
        raise LinkNotValid("This link is not a Kith invitation, or it was not copied whole.")
    if invitation.accepted_at is not None:
        raise LinkNotValid(
            "This invitation has been accepted already: sign in instead.", invitation=invitation
        )
    if invitation.withdrawn_at is not None:
        raise LinkNotValid(
            "This invitation was withdrawn. Ask the person who invited you if that is a mistake.",
            invitation=invitation,
        )
    if not hmac.compare_digest(invitation.nonce_digest, _digest(nonce)):
        raise LinkNotValid(
            "A newer invitation was sent to you since this one: use the link in the newest mail.",
            invitation=invitation,
        )
    if invitation.expires_at <= timezone.now():
        raise LinkNotValid(
            f"This invitation expired on {timezone.localtime(invitation.expires_at):%d %b %Y}. "
            "Ask the person who invited you to send it again.",
            invitation=invitation,
        )
    reason = _purpose(invitation).still_stands(invitation)
    if reason:
        raise LinkNotValid(reason, invitation=invitation)
    return invitation


def describe(invitation: Invitation) -> str:
    return _purpose(invitation).describe(invitation)


def _new_account(invitation: Invitation, details: dict[str, Any]) -> Person:
    errors: dict[str, list[str]] = {}
    username = (details.get("username") or "").strip()
    first_name = " ".join((details.get("first_name") or "").split())
    last_name = " ".join((details.get("last_name") or "").split())
    password = details.get("password") or ""
    username_field = Person._meta.get_field("username")
    if not username:
        errors["username"] = ["Choose a username to sign in with."]
    else:
        try:
            username_field.run_validators(username)
            if len(username) > (limit := limit_of(Person, "username")):
                raise ValidationError(f"At most {limit} characters.")
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
        else:
            if Person.objects.filter(username__iexact=username).exists():
                errors["username"] = ["This username is taken: choose another."]
    if not first_name:
        errors["first_name"] = ["Your first name, as colleagues and clients will see it."]
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value) > (limit := limit_of(Person, field)):
            errors[field] = [f"At most {limit} characters."]
    person = Person(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=invitation.email,
        kind=_purpose(invitation).kind,
    )
    if not password:
        errors["password"] = ["Choose a password."]
    else:
        try:
            password_validation.validate_password(password, user=person)
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    cleaning.raise_errors(errors)
    person.set_password(password)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:  # the same username or address, taken at the same moment
        raise ValidationError(
            {"username": ["This username or address was just taken: try again."]}
        ) from None
    return person


def invitation_accept(
    *, token: str, person: Person | None = None, details: dict[str, Any] | None = None
) -> tuple[Invitation, Person, dict[str, Any]]:
    """Accept the invitation of ``token``: as ``person`` (signed in, the invitation's
    address theirs) or as a new account made from ``details`` (username, first_name,
    last_name, password). (invitation, the account, what accepting did)."""
    with transaction.atomic():
        invitation = invitation_from_link(token, lock=True)
        purpose = _purpose(invitation)
        existing = account_for(invitation.email)
        if person is not None and getattr(person, "is_authenticated", False):
            if existing is None or existing.pk != person.pk:
                raise refused(
                    "invitation",
                    f"This invitation is for {invitation.email}, and you are signed in "
                    "with another account: sign out first.",
                )
            account = existing
            if account.kind != purpose.kind:
                raise refused(
                    "invitation", "Your account is of another kind: this invitation is not for it."
                )
        elif existing is not None:
            raise refused(
                "invitation", f"{invitation.email} has a Kith account already: sign in to accept."
            )
        else:
            account = _new_account(invitation, details or {})
            audit(
                actor=account,
                action="person.joined",
                target=account,
                data={"invitation": invitation.pk},
            )
        done = purpose.accept(invitation, account)
        save_new_version(invitation, accepted_at=timezone.now(), accepted_by=account)
        audit(actor=account, action="invitation.accepted", target=invitation, data=done)
    return invitation, account, done
