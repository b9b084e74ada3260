"""The admin: operators only, each signed in with two steps, through Kith's own
sign-in page (one door, one lockout, one second step).

An operator who has not set up two-step sign-in is sent to set it up; the admin
refuses every session that no device has verified (django-otp's ``OTPAdminSite``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django_otp.admin import OTPAdminSite

SET_UP_FIRST = "The admin needs two-step sign-in. Set it up here first, then open the admin again."


class KithAdminSite(OTPAdminSite):
    site_header = "Kith operations"
    site_title = "Kith operations"

    def __init__(self, name="admin"):
        super().__init__(name)

    def has_permission(self, request):
        # Operators are a kind of person (teams.services.founding); the staff flag
        # still lets Django's own superusers in (manage.py createsuperuser).
        user = request.user
        return bool(
            user.is_active
            and (user.is_staff or getattr(user, "is_operator", False))
            and user.is_verified()
        )

    def login(self, request, extra_context=None):
        user = request.user
        if user.is_authenticated and user.is_active:
            if not (user.is_staff or user.is_superuser or getattr(user, "is_operator", False)):
                raise PermissionDenied("The admin is for the service's operators.")
            if not user.is_verified():
                messages.warning(request, SET_UP_FIRST)
                return redirect("two-factor")
            return redirect("admin:index")
        # Imported here: the admin site is made while the apps load, before the pages.
        from frontend.views.account import SignInView

        return SignInView.as_view(next_page=reverse("admin:index"))(request)
