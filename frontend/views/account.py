"""The account pages: signing in (with a second step for those who set up two-step
sign-in) and out, one's own API tokens, changing one's password, resetting a
forgotten one, changing one's email address, signing out everywhere and closing
one's account.

Everyone signed in reaches ``/account/`` from the header. A person sees and revokes
their own tokens only (another's id is 404); tokens are made through the API
(``POST /api/v1/auth/token``), which shows each once. Every page here acts on the
signed-in person's own account only.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login

from frontend import writes
from frontend.views.common import found_or_404
from teams import selectors, signin, two_factor
from teams.http import PageRequest
from teams.models import Person
from teams.services import accounts
from teams.services import credentials as credential_services
from teams.services import two_factor as two_factor_services

TEMPLATE = "frontend/account.html"


def _count(n: int, unit: str) -> str:
    """ "1 hour", "8 hours"."""
    return f"{n} {unit}{'s' if n != 1 else ''}"


def ended_message(reason: str) -> str | None:
    """Why the sign-in page is shown after a session ended (``?ended=``)."""
    return {
        "idle": f"You were signed out after {_count(settings.SESSION_IDLE_HOURS, 'hour')}"
        " of inactivity. Please sign in again.",
        "age": f"You were signed out: a sign-in lasts at most"
        f" {_count(settings.SESSION_MAX_DAYS, 'day')}. Please sign in again.",
        "everywhere": "You were signed out everywhere, and your API tokens were revoked.",
        "closed": "Your account is closed. You are signed out everywhere.",
    }.get(reason)


# The first step of a two-step sign-in, kept in the (still anonymous) session until
# the code is given: whose password was right, and when.
SIGNING_IN = "kith_signing_in"
SECOND_STEP_MINUTES = 10


class SignInView(auth_views.LoginView):
    """Django's sign-in page. For a person with two-step sign-in, a right password
    signs nobody in: it leads to the code page, and only a right code there does."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["ended"] = ended_message(self.request.GET.get("ended", ""))
        return context

    def form_valid(self, form):
        person = form.get_user()
        if not two_factor.enabled(person):
            return super().form_valid(form)
        self.request.session[SIGNING_IN] = {
            "person": person.pk,
            "backend": person.backend,
            "hash": person.get_session_auth_hash(),
            "at": time.time(),
            "next": self.get_success_url(),
        }
        return redirect("login-code")


def _signing_in(request: HttpRequest) -> tuple[Person, dict] | None:
    """Who gave a right password in this browser a moment ago, if they still may
    give the code (same password, active, within ``SECOND_STEP_MINUTES``)."""
    pending = request.session.get(SIGNING_IN)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("at", 0) > SECOND_STEP_MINUTES * 60:
        return None
    person = selectors.active_person(pending.get("person"))
    if person is None or person.get_session_auth_hash() != pending.get("hash"):
        return None
    return person, pending


@require_http_methods(["GET", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the person's authenticator app, or one of their
    recovery codes. A wrong or reused code counts towards the sign-in lockout."""
    found = _signing_in(request)
    if found is None:
        request.session.pop(SIGNING_IN, None)
        messages.info(request, "Please sign in again: the code is asked for right after.")
        return redirect("login")
    person, pending = found
    error = None
    if request.method == "POST":
        username = person.get_username()
        if not signin.lockout_allows(request, username):
            return HttpResponse(status=429)  # the lockout middleware answers instead
        checked = writes.perform(
            lambda: two_factor_services.two_factor_check(
                person=person, code=request.POST.get("code", "")
            )
        )
        if not checked.ok:
            signin.count_failure(request, username)
            error = checked.problem
        else:
            device = checked.value
            request.session.pop(SIGNING_IN, None)
            login(request, person, backend=pending["backend"])
            otp_login(request, device)
            request.session[two_factor.OWED] = True
            if two_factor.is_recovery(device):
                left = two_factor.recovery_codes_left(person)
                messages.warning(
                    request,
                    f"You signed in with a recovery code. {left} left: make new ones on"
                    " the two-step sign-in page if you are running out.",
                )
            target = pending.get("next") or settings.LOGIN_REDIRECT_URL
            if not url_has_allowed_host_and_scheme(
                target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
    return render(
        request,
        "registration/login_code.html",
        {"error": error, "minutes": SECOND_STEP_MINUTES, "code_max": two_factor.CODE_MAX},
        status=400 if error else 200,
    )


class CheckedPasswordChangeForm(PasswordChangeForm):
    """Django's form, whose current password is checked like a sign-in: a wrong one
    counts towards the lockout, and a locked-out account is refused (a stolen session
    could otherwise guess the password here without limit)."""

    def __init__(self, user, *args, request: PageRequest, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        if not password_confirmed(self.request, old_password):  # self.user is request.user
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class ChangePasswordView(auth_views.PasswordChangeView):
    template_name = "frontend/password_change.html"
    form_class = CheckedPasswordChangeForm
    success_url = reverse_lazy("account")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            "Password changed. You stay signed in here; your other sessions have ended"
            " and your API tokens were revoked.",
        )
        return response


@login_required
@require_GET
def account_page(request: PageRequest) -> HttpResponse:
    context = {
        "tokens": list(selectors.tokens_of(request.user)),
        "token_days": settings.API_TOKEN_DAYS,
        "idle": _count(settings.SESSION_IDLE_HOURS, "hour"),
        "age": _count(settings.SESSION_MAX_DAYS, "day"),
        "token_url": request.build_absolute_uri(reverse("api-token")),
        "two_factor_on": two_factor.enabled(request.user),
    }
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def account_token_revoke(request: PageRequest, pk: int) -> HttpResponse:
    token = found_or_404(selectors.token_of(request.user, pk), "No such token among yours.")
    credential_services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
    return redirect("account")


@login_required
@require_POST
def account_sign_out_everywhere(request: PageRequest) -> HttpResponse:
    credential_services.person_sign_out_everywhere(actor=request.user)
    logout(request)
    return redirect(f"{reverse('login')}?ended=everywhere")


def password_confirmed(request: PageRequest, password: str) -> bool:
    """Whether ``password`` is the signed-in person's, checked like a sign-in: a wrong
    one counts towards the lockout, and a locked-out account is refused (then the
    lockout middleware answers instead of the view)."""
    checked = authenticate(request, username=request.user.get_username(), password=password)
    return checked is not None and checked.pk == request.user.pk


WRONG_PASSWORD = "That is not your password."


# --- a forgotten password ------------------------------------------------------------


class MailedPasswordResetForm(PasswordResetForm):
    """Django's form (an unknown, deactivated or password-less account gets nothing,
    and the page says the same whatever was typed), with Kith's mail: plain text and
    HTML, the link on the deployment's own address."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        accounts.password_reset_send(actor=None, person=context["user"])


class ResetPasswordView(auth_views.PasswordResetView):
    template_name = "frontend/password_reset_form.html"
    form_class = MailedPasswordResetForm
    success_url = reverse_lazy("password-reset-done")


class ResetPasswordDoneView(auth_views.PasswordResetDoneView):
    template_name = "frontend/password_reset_done.html"
    extra_context = {"hours": settings.PASSWORD_RESET_HOURS}


class ResetPasswordConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view: the link works once (its token is made from the password it
    replaces) and for ``KITH_PASSWORD_RESET_HOURS``. Nobody is signed in by it: the
    person signs in afresh, with their second step if they have one. The new password
    ends every session, token and open socket of theirs (``Person.save``), and their
    sign-in lockout, so the way back in is open at once."""

    template_name = "frontend/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        signin.forget_failures(self.request, form.user.get_username())
        return response


class ResetPasswordCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "frontend/password_reset_complete.html"


# --- one's email address -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_email(request: PageRequest) -> HttpResponse:
    """Ask to change one's address: a link goes to the new one, a notice to the old."""
    errors: dict[str, list[str]] = {}
    email = request.POST.get("email", "")
    if request.method == "POST":
        if not password_confirmed(request, request.POST.get("password", "")):
            errors["password"] = [WRONG_PASSWORD]
        else:
            outcome = writes.perform(
                lambda: accounts.email_change_request(actor=request.user, email=email),
                done=lambda sent_to: (
                    f"We sent a link to {sent_to}. Open it while signed in here to confirm"
                    f" the change (it works for {_count(settings.EMAIL_CONFIRM_HOURS, 'hour')})."
                ),
            )
            if outcome.ok:
                return outcome.back(request, reverse("account"))
            errors = outcome.errors
    context = {
        "errors": errors,
        "general": errors.get("__all__", []),
        "email": email,
        "hours": _count(settings.EMAIL_CONFIRM_HOURS, "hour"),
    }
    return render(request, "frontend/account_email.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def account_email_confirm(request: PageRequest, token: str) -> HttpResponse:
    """The link from the mail: a page with one button (a mail scanner that opens the
    link changes nothing); the change is made for the signed-in person only."""

    def read_or_confirm() -> dict:
        change = accounts.email_change_read(token)
        if change["p"] != request.user.pk:
            raise PermissionDenied(
                "This link is for another account. Sign out, and open it signed in as"
                " the person who asked for it."
            )
        if request.method == "POST":
            accounts.email_change_confirm(actor=request.user, token=token)
        elif request.user.email != change["from"]:
            raise ValidationError(accounts.USED)
        return change

    outcome = writes.perform(
        read_or_confirm, done=lambda _: f"Your email address is now {request.user.email}."
    )
    if outcome.ok and request.method == "POST":
        return outcome.back(request, reverse("account"))
    new = outcome.value["to"] if outcome.ok and outcome.value else None
    context = {"error": outcome.problem or None, "new": new}
    # A link for another account was a 400 here before the adapter: it stays one (the
    # page explains; nothing is refused that the person could do).
    status = 200 if outcome.ok else 400
    return render(request, "frontend/account_email_confirm.html", context, status=status)


# --- closing one's account -------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_close(request: PageRequest) -> HttpResponse:
    """Close one's own account, with one's password."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            errors["confirm"] = ["Tick the box to say you mean it."]
        if not password_confirmed(request, request.POST.get("password", "")):
            errors["password"] = [WRONG_PASSWORD]
        if not errors:
            accounts.person_close_account(actor=request.user)
            logout(request)
            return redirect(f"{reverse('login')}?ended=closed")
    context = {"errors": errors, "teams": list(selectors.teams_of(request.user))}
    return render(request, "frontend/account_close.html", context, status=400 if errors else 200)
