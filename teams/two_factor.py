"""Two-step sign-in: who needs it, whether a session has done it, and what a person has
set up (django-otp: an authenticator app's TOTP device and a set of recovery codes).

A person with a confirmed authenticator signs in with their password, then a code
(from the app, or one of their recovery codes); only then is the session signed in
(``frontend.views.account``). A session carries a mark, set whenever Django signs a
person in, that says whether its person had two-step sign-in then: such a session
counts as signed in only while a device of theirs has verified it, at every door
(pages and the API through ``config.two_factor``, the live socket through
``session_complete``). A device that goes away (the person turned two-step sign-in
off elsewhere, an operator reset it after a lost phone) ends the sessions it verified.

Two-step sign-in is optional for everyone, required for operators to use the admin,
and required for team members and/or coaches when ``KITH_REQUIRE_TWO_FACTOR`` says so:
they may do nothing else until they have set it up.
"""

from __future__ import annotations

from django.conf import settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from teams.models import Person

# Set at every sign-in: whether the person then had two-step sign-in.
OWED = "kith_two_factor"
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
RECOVERY_CODES = 10
# A code as typed, no model keeps: longer is none (an app's six digits, a recovery
# code with its spaces; setting an app up takes only the app's).
CODE_MAX = 20
APP_CODE_MAX = 10

_REQUIRED_KINDS = {"members": Person.Kind.MEMBER, "coaches": Person.Kind.COACH}


def required(person) -> bool:
    """Whether ``person`` must sign in with two steps: operators always (they run the
    service for everyone; the admin checks it again: ``config.admin``), team members
    and coaches where this deployment says so."""
    kinds = {_REQUIRED_KINDS[name] for name in settings.REQUIRE_TWO_FACTOR}
    kinds.add(Person.Kind.OPERATOR)
    return getattr(person, "kind", None) in kinds


def enabled(person) -> bool:
    return TOTPDevice.objects.filter(user=person, confirmed=True).exists()


def recovery_codes_left(person) -> int:
    return StaticToken.objects.filter(device__user=person, device__confirmed=True).count()


def verified_by(session, person) -> Device | None:
    """The confirmed device of ``person`` that verified ``session``, if any."""
    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    if not persistent_id or person is None or not person.is_authenticated:
        return None
    device = Device.from_persistent_id(persistent_id)
    if device is None or device.user_id != person.pk or not device.confirmed:
        return None
    return device


def owed(session, person, verified: bool) -> str | None:
    """What ``session`` of signed-in ``person`` still owes: "code" (they signed in
    with two-step sign-in and no device of theirs has verified this session: it counts
    as not signed in), "setup" (this deployment requires it of them and they have not
    set it up: they may only set it up), or None."""
    if verified:
        return None
    if session.get(OWED):
        return "code"
    if required(person):
        return "setup"
    return None


def session_complete(session, person) -> bool:
    """Whether ``session`` of ``person`` counts as signed in (the live socket asks)."""
    if person is None or not person.is_authenticated:
        return False
    return owed(session, person, verified_by(session, person) is not None) is None


def on_sign_in(sender, request, user, **kwargs) -> None:
    """``user_logged_in`` receiver: mark whether this session owes a second step."""
    session = getattr(request, "session", None)
    if session is not None and getattr(user, "pk", None) is not None:
        session[OWED] = enabled(user)


def new_key() -> str:
    """A new authenticator key (hex, 20 random bytes), for a set-up to show."""
    from django_otp.plugins.otp_totp.models import default_key

    return default_key()


def setup_device(person, key: str) -> TOTPDevice:
    """The authenticator being set up, unsaved: what its QR code and key show."""
    return TOTPDevice(user=person, name=APP_NAME, key=key)


def qr_svg(device: TOTPDevice) -> str:
    """The device's set-up address as an inline SVG QR code (the page's CSP allows
    inline markup, not a data: image from an unknown source)."""
    import segno

    code = segno.make(device.config_url, error="m")
    return code.svg_inline(scale=5, border=2, dark="#1f2328", light="#ffffff", omitsize=True)


def secret(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32, in groups of four."""
    from base64 import b32encode

    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def is_recovery(device) -> bool:
    return isinstance(device, StaticDevice)
