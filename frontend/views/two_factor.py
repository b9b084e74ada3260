"""Two-step sign-in pages under ``/account/two-factor/``: set it up (a QR code and
the key for an authenticator app, confirmed with a first code and the password, then
recovery codes shown once), make new recovery codes, turn it off (password and a code).

Each acts on the signed-in person's own account only. Turning it on ends the person's
other sessions (they signed in with one step); this one stays, verified.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from frontend import writes
from frontend.views.account import WRONG_PASSWORD, password_confirmed
from teams import signin, two_factor
from teams.http import PageRequest
from teams.services import two_factor as services


def _status(request: PageRequest, errors: dict | None = None, status: int = 200) -> HttpResponse:
    person = request.user
    context = {
        "enabled": two_factor.enabled(person),
        "required": two_factor.required(person),
        "codes_left": two_factor.recovery_codes_left(person),
        "errors": errors or {},
        "code_max": two_factor.CODE_MAX,
    }
    return render(request, "frontend/two_factor.html", context, status=status)


@login_required
@require_GET
def two_factor_page(request: PageRequest) -> HttpResponse:
    return _status(request)


# The key being set up, held in the session until a first code confirms it: showing
# the set-up page writes nothing.
SETUP_KEY = "kith_two_factor_key"


def _setup_page(request, device, errors=None) -> HttpResponse:
    context = {
        "qr": two_factor.qr_svg(device),
        "secret": two_factor.secret(device),
        "errors": errors or {},
        "required": two_factor.required(request.user),
        "code_max": two_factor.APP_CODE_MAX,
    }
    return render(request, "frontend/two_factor_setup.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: PageRequest) -> HttpResponse:
    person = request.user
    if two_factor.enabled(person):
        messages.info(request, "Two-step sign-in is on already.")
        return redirect("two-factor")
    key = request.session.get(SETUP_KEY)
    if not isinstance(key, str):
        key = request.session[SETUP_KEY] = two_factor.new_key()
    device = two_factor.setup_device(person, key)
    if request.method == "GET":
        return _setup_page(request, device)
    if not password_confirmed(request, request.POST.get("password", "")):
        return _setup_page(request, device, {"password": [WRONG_PASSWORD]})
    enabled = writes.perform(
        lambda: services.two_factor_enable(actor=person, key=key, code=request.POST.get("code", ""))
    )
    if not enabled.ok:
        return _setup_page(request, device, enabled.errors)
    device, codes = enabled.result
    request.session.pop(SETUP_KEY, None)
    # The other sessions ended with the new generation; this one stays, verified.
    person.refresh_from_db()
    update_session_auth_hash(request, person)
    otp_login(request, device)
    request.session[two_factor.OWED] = True
    return render(request, "frontend/two_factor_codes.html", {"codes": codes, "new": True})


@login_required
@require_POST
def two_factor_recovery_codes(request: PageRequest) -> HttpResponse:
    if not password_confirmed(request, request.POST.get("password", "")):
        return _status(request, {"regenerate_password": [WRONG_PASSWORD]}, 400)
    made = writes.perform(lambda: services.recovery_codes_regenerate(actor=request.user))
    if not made.ok:
        return _status(request, {"regenerate_password": [made.problem]}, made.status)
    return render(request, "frontend/two_factor_codes.html", {"codes": made.value, "new": False})


@login_required
@require_POST
def two_factor_disable(request: PageRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if two_factor.required(request.user):
        errors["disable_code"] = ["Your service requires two-step sign-in for your account."]
        return _status(request, errors, 400)
    if not password_confirmed(request, request.POST.get("password", "")):
        return _status(request, {"disable_password": [WRONG_PASSWORD]}, 400)

    def disable() -> None:
        services.two_factor_check(person=request.user, code=request.POST.get("code", ""))
        services.two_factor_disable(actor=request.user)

    outcome = writes.perform(
        disable, done="Two-step sign-in is off. You sign in with your password alone."
    )
    if not outcome.ok:
        signin.count_failure(request, request.user.get_username())
        return _status(request, {"disable_code": [outcome.problem]}, outcome.status)
    request.session[two_factor.OWED] = False
    return outcome.back(request, reverse("two-factor"))
