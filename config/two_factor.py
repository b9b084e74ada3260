"""Two-step sign-in at every request (``teams.two_factor``): after django-otp's
middleware has found which device, if any, verified this session.

- A session whose person signed in with two-step sign-in and that no device of
  theirs has verified (it skipped the second step, or the device that verified it
  was removed) counts as not signed in: pages send it to sign in, the API answers
  as to anyone anonymous.
- A person this deployment requires to use two-step sign-in (``KITH_REQUIRE_TWO_FACTOR``)
  who has not set it up may only set it up, read the help around it and sign out:
  every other page leads to the set-up page, and the API refuses with 403.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from teams import two_factor

API_PREFIX = "/api/"
# What a person who must set up two-step sign-in may still reach.
SETUP_PAGES = {"two-factor", "two-factor-setup", "logout", "login", "login-code"}
SETUP_FIRST = (
    "Your service requires two-step sign-in for your account. Set it up now: it takes"
    " a minute, with an authenticator app on your phone."
)


class TwoFactorMiddleware:
    """Place right after ``django_otp.middleware.OTPMiddleware``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            owed = two_factor.owed(request.session, user, user.is_verified())
            if owed == "code":
                anonymous = AnonymousUser()
                request.user = anonymous

                async def auser():
                    return anonymous

                request.auser = auser
            elif owed == "setup" and not self._setup_page(request):
                return self._to_setup(request)
        return self.get_response(request)

    @staticmethod
    def _setup_page(request) -> bool:
        if request.path_info.startswith(settings.STATIC_URL):
            return True
        try:
            return resolve(request.path_info).url_name in SETUP_PAGES
        except Resolver404:
            return False

    @staticmethod
    def _to_setup(request) -> HttpResponse:
        url = reverse("two-factor")
        if request.path_info.startswith(API_PREFIX):
            body = {"message": f"{SETUP_FIRST} ({url})", "extra": {"setup": url}}
            return JsonResponse(body, status=403)
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        # The set-up page says why (no message here: this runs before the messages).
        return HttpResponseRedirect(url)
