"""The account pages: signing in and out, one's own API tokens, changing one's
password, and signing out everywhere.

Everyone signed in reaches ``/account/`` from the header. A person sees and revokes
their own tokens only (another's id is 404); tokens are made through the API
(``POST /api/v1/auth/token``), which shows each once.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_POST

from teams import selectors, services

TEMPLATE = "frontend/account.html"


def _hours(n: int) -> str:
    return f"{n} hour{'s' if n != 1 else ''}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def ended_message(reason: str) -> str | None:
    """Why the sign-in page is shown after a session ended (``?ended=``)."""
    if reason == "idle":
        return (
            f"You were signed out after {_hours(settings.SESSION_IDLE_HOURS)} of inactivity."
            " Please sign in again."
        )
    if reason == "age":
        return (
            f"You were signed out: a sign-in lasts at most {_days(settings.SESSION_MAX_DAYS)}."
            " Please sign in again."
        )
    if reason == "everywhere":
        return "You were signed out everywhere, and your API tokens were revoked."
    return None


class SignInView(auth_views.LoginView):
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["ended"] = ended_message(self.request.GET.get("ended", ""))
        return context


class CheckedPasswordChangeForm(PasswordChangeForm):
    """Django's form, whose current password is checked like a sign-in: a wrong one
    counts towards the lockout, and a locked-out account is refused (a stolen session
    could otherwise guess the password here without limit)."""

    def __init__(self, user, *args, request: HttpRequest, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(
            self.request, username=self.user.get_username(), password=old_password
        )
        if checked is None or checked.pk != self.user.pk:
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
def account_page(request: HttpRequest) -> HttpResponse:
    context = {
        "tokens": list(selectors.tokens_of(request.user)),
        "token_days": settings.API_TOKEN_DAYS,
        "idle": _hours(settings.SESSION_IDLE_HOURS),
        "age": _days(settings.SESSION_MAX_DAYS),
        "token_url": request.build_absolute_uri(reverse("api-token")),
    }
    return render(request, TEMPLATE, context)


@login_required
@require_POST
def account_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = selectors.token_of(request.user, pk)
    if token is None:
        raise Http404("No such token among yours.")
    services.token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” ({token.prefix}…) revoked.")
    return redirect("account")


@login_required
@require_POST
def account_sign_out_everywhere(request: HttpRequest) -> HttpResponse:
    services.person_sign_out_everywhere(actor=request.user)
    logout(request)
    return redirect(f"{reverse('login')}?ended=everywhere")
