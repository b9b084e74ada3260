"""Every write to a person's two-step sign-in: turning it on, checking a code,
new recovery codes, turning it off, and an operator's reset after a lost phone.

The person's devices are django-otp's: one authenticator (``TOTPDevice``, which
refuses a code it already accepted: ``last_t``) and one set of recovery codes
(``StaticDevice``, each code deleted as it is used). A wrong code is counted by the
device's own throttle (``OTP_TOTP_THROTTLE_FACTOR``: 1, 2, 4, ... seconds between
tries); the sign-in page also counts it towards the sign-in lockout.
"""

from __future__ import annotations

import time
from binascii import unhexlify
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice, key_validator

from coordination.events import notify_access_changed
from teams import two_factor
from teams.models import Person
from teams.services.common import audit
from teams.services.credentials import _next_session_generation

WRONG_CODE = "That code is not right, or was used already. Wait for the next code and try again."
WAIT = "Too many wrong codes just now: wait {seconds} seconds before the next try."


def _code(value: object) -> str:
    return "".join(str(value or "").split()).lower()


def _new_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(two_factor.RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _throttled(device: Any) -> str | None:
    allowed, data = device.verify_is_allowed()
    if allowed:
        return None
    until = (data or {}).get("locked_until")
    seconds = max(1, int((until - timezone.now()).total_seconds()) + 1) if until else 1
    return WAIT.format(seconds=seconds)


def two_factor_enable(*, actor: Person, key: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Turn two-step sign-in on with the key the actor's app was given
    (``teams.two_factor.new_key``, held by the page until now) and a first code from
    that app: the authenticator is saved, confirmed, and the actor gets recovery
    codes, shown once. Every other session of theirs ends (they signed in with one
    step); the caller keeps this one (``update_session_auth_hash``) and marks it
    verified. The first code cannot be used again to sign in."""
    if not actor.is_active:
        raise PermissionDenied("This account is deactivated.")
    try:
        key_validator(key)
        bin_key = unhexlify(key.encode())
    except (ValidationError, ValueError, TypeError):
        raise ValidationError({"code": ["Start setting up two-step sign-in again."]}) from None
    code = _code(code)
    checker = TOTP(bin_key, step=30, t0=0, digits=6)
    checker.time = time.time()
    if not (code.isdigit() and len(code) == 6 and checker.verify(int(code), tolerance=1)):
        raise ValidationError({"code": [WRONG_CODE]})
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=actor.pk).get()
        if two_factor.enabled(actor):
            raise ValidationError("Two-step sign-in is on already.")
        TOTPDevice.objects.filter(user=actor).delete()
        device = TOTPDevice.objects.create(
            user=actor,
            name=two_factor.APP_NAME,
            key=key,
            confirmed=True,
            # The step the first code matched: it cannot sign in again. (Its offset
            # from now is one reading, not yet a clock's drift: the device learns that
            # from the codes that follow.)
            last_t=checker.t(),
        )
        StaticDevice.objects.filter(user=actor).delete()
        recovery = StaticDevice.objects.create(
            user=actor, name=two_factor.RECOVERY_NAME, confirmed=True
        )
        codes = _new_codes(recovery)
        _next_session_generation(actor)
        audit(actor=actor, action="two_factor.enabled", target=actor, data={})
        notify_access_changed(actor.pk)
    return device, codes


def two_factor_check(*, person: Person, code: str) -> Device:
    """The device of ``person`` that accepts ``code`` (an app's code or a recovery
    code, which is used up), or a ValidationError saying why not. A code the app
    already gave once is refused."""
    code = _code(code)
    refusal = WRONG_CODE
    # As above: the throttle's count of a wrong code stays, the refusal comes after.
    with transaction.atomic():
        app = TOTPDevice.objects.select_for_update().filter(user=person, confirmed=True).first()
        if app is None:
            refusal = "Two-step sign-in is not on for this account."
        elif code.isdigit() and len(code) == app.digits:
            refusal = _throttled(app) or WRONG_CODE
            if refusal == WRONG_CODE and app.verify_token(code):
                return app
        else:
            recovery = (
                StaticDevice.objects.select_for_update().filter(user=person, confirmed=True).first()
            )
            if recovery is not None:
                refusal = _throttled(recovery) or WRONG_CODE
                if refusal == WRONG_CODE and recovery.verify_token(code):
                    audit(
                        actor=person,
                        action="two_factor.recovery_code_used",
                        target=person,
                        data={"left": recovery.token_set.count()},
                    )
                    return recovery
    raise ValidationError({"code": [refusal]})


def recovery_codes_regenerate(*, actor: Person) -> list[str]:
    """New recovery codes for the actor; the old ones stop working."""
    with transaction.atomic():
        recovery = StaticDevice.objects.select_for_update().filter(user=actor).first()
        if recovery is None or not two_factor.enabled(actor):
            raise ValidationError("Two-step sign-in is not on for this account.")
        codes = _new_codes(recovery)
        audit(actor=actor, action="two_factor.recovery_codes_renewed", target=actor, data={})
    return codes


def _remove_devices(person: Person) -> int:
    removed = 0
    for model in (TOTPDevice, StaticDevice):
        count, _ = model.objects.filter(user=person).delete()
        removed += count
    return removed


def two_factor_disable(*, actor: Person) -> None:
    """Turn the actor's two-step sign-in off (the caller has checked their password
    and a code). Their other sessions that a device verified end with it."""
    with transaction.atomic():
        if not two_factor.enabled(actor):
            raise ValidationError("Two-step sign-in is not on for this account.")
        _remove_devices(actor)
        audit(actor=actor, action="two_factor.disabled", target=actor, data={})
        notify_access_changed(actor.pk)


def two_factor_reset(*, actor: Person, person: Person, reason: str = "") -> bool:
    """An operator turns off ``person``'s two-step sign-in (they lost their phone and
    their recovery codes): the sessions it verified end; they sign in with their
    password and set it up again. Whether there was anything to reset. Its one door
    is the admin (teams/admin.py), which admits operators only, signed in with two
    steps; a person turns off their own with ``two_factor_disable``."""
    if not actor.is_active or actor.pk == person.pk:
        raise PermissionDenied("Turn your own two-step sign-in off on your account page.")
    with transaction.atomic():
        removed = _remove_devices(person)
        if removed:
            audit(
                actor=actor,
                action="two_factor.reset",
                target=person,
                # The admin's own words, not a person's input: kept short, never refused.
                data={"reason": " ".join(reason.split())[:200]},
            )
            notify_access_changed(person.pk)
    return bool(removed)
