"""A person's own account: changing their email address (confirmed at the new
address) and closing their account.

The pages and the API check the person's password first, as a sign-in does (a wrong
one counts towards the lockout): a stolen session alone cannot move the account to
another address, where a password reset would then arrive, nor close it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from teams import mail
from teams.cleaning import limit_of, too_long
from teams.models import Person
from teams.services.common import audit
from teams.versioning import save_fields

EMAIL_SALT = "kith.email-change"
TAKEN = (
    "Another account uses that address already. Use another address, or ask your"
    " service's operator if it is yours."
)
EXPIRED = "This link has expired. Ask for a new one on your account page."
INVALID = "This link is not valid. Ask for a new one on your account page."
USED = "This link was used already, or your address changed since it was sent."


def password_reset_send(*, actor: Person | None, person: Person) -> bool:
    """Mail ``person`` a link to choose a new password (Django's token: it works once,
    for ``KITH_PASSWORD_RESET_HOURS``). ``actor`` is None when the person asked from
    the sign-in page, or the operator who sent it. Whether a mail went: an inactive
    account, or one without an address or a usable password, gets none."""
    if not (person.is_active and person.email and person.has_usable_password()):
        return False
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    context = {
        "person": person,
        "link": mail.link("password-reset", uidb64=uid, token=token),
        "hours": settings.PASSWORD_RESET_HOURS,
    }
    audit(
        actor=actor,
        action="person.password_reset_sent",
        target=person,
        data={"by_operator": actor is not None},
    )
    return mail.send("password_reset", to=person.email, context=context)


def confirm_hours() -> int:
    return settings.EMAIL_CONFIRM_HOURS


def _taken(email: str, person: Person) -> bool:
    return Person.objects.filter(email__iexact=email).exclude(pk=person.pk).exists()


def _clean_email(value: object) -> str:
    email = BaseUserManager.normalize_email(" ".join(str(value or "").split()))
    if not email:
        raise ValidationError({"email": ["Enter the new address."]})
    if len(email) > limit_of(Person, "email"):
        raise ValidationError({"email": [too_long(limit_of(Person, "email"), len(email))]})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": ["Enter a valid email address."]}) from None
    return email


def email_change_request(*, actor: Person, email: str) -> str:
    """Send a link that confirms ``email`` as the actor's new address to that address,
    and a notice to the current one; nothing changes until the link is opened by the
    actor, signed in. Returns the address the link went to."""
    if not actor.is_active:
        raise PermissionDenied("This account is deactivated.")
    email = _clean_email(email)
    if email.lower() == (actor.email or "").lower():
        raise ValidationError({"email": ["That is your address already."]})
    if _taken(email, actor):
        raise ValidationError({"email": [TAKEN]})
    # The current address in the link makes it single-use: once the address changed,
    # the link no longer matches.
    token = signing.dumps({"p": actor.pk, "from": actor.email, "to": email}, salt=EMAIL_SALT)
    link = mail.link("email-confirm", token=token)
    context = {"person": actor, "new": email, "link": link, "hours": confirm_hours()}
    with transaction.atomic():
        audit(actor=actor, action="person.email_change_requested", target=actor, data={"to": email})
        mail.send_on_commit("email_change_confirm", to=email, context=context)
        if actor.email:
            mail.send_on_commit("email_change_notice", to=actor.email, context=context)
    return email


def email_change_read(token: str) -> dict[str, Any]:
    """The change a link asks for ({"p", "from", "to"}), or a ValidationError."""
    try:
        payload = signing.loads(token, salt=EMAIL_SALT, max_age=confirm_hours() * 60 * 60)
    except signing.SignatureExpired:
        raise ValidationError(EXPIRED) from None
    except signing.BadSignature:
        raise ValidationError(INVALID) from None
    if not isinstance(payload, dict) or not {"p", "from", "to"} <= set(payload):
        raise ValidationError(INVALID)
    return payload


def email_change_confirm(*, actor: Person, token: str) -> Person:
    """Make the address in the link the actor's, if the link is theirs, unexpired and
    not used (their address is still the one it was sent from)."""
    payload = email_change_read(token)
    if payload["p"] != actor.pk:
        raise PermissionDenied(
            "This link is for another account. Sign out, and open it signed in as the"
            " person who asked for it."
        )
    try:
        with transaction.atomic():
            person = Person.objects.select_for_update().get(pk=actor.pk)
            if person.email != payload["from"]:
                raise ValidationError(USED)
            if _taken(payload["to"], person):
                raise ValidationError({"email": [TAKEN]})
            save_fields(person, email=payload["to"])
            audit(
                actor=person,
                action="person.email_changed",
                target=person,
                data={"from": payload["from"], "to": payload["to"]},
            )
    except IntegrityError:
        # Another account took the address at the same moment (one address, one person).
        raise ValidationError({"email": [TAKEN]}) from None
    actor.email = person.email
    return person


def person_close_account(*, actor: Person) -> None:
    """The actor closes their own account (the caller has checked their password):
    they can no longer sign in, and every session, token and open socket of theirs
    ends (``Person.save``). Their memberships, roles and records stay as they are:
    what happens to those is their team's decision, as when anyone leaves."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=actor.pk)
        if not person.is_active:
            return
        save_fields(person, is_active=False)
        audit(actor=person, action="person.closed_own_account", target=person, data={})
        if person.email:
            mail.send_on_commit("account_closed", to=person.email, context={"person": person})
    actor.is_active = False
