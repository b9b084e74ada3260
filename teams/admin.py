"""The admin, for the service's operators (each signed in with two steps: config.admin).

The admin never bypasses the domain: teams, memberships and the audit are read-only
here (a member joins or leaves by their team's decision, through the services, with
an audit row and an event). Of a person, an operator may see the account, deactivate
or reactivate it (``Person.save`` ends every credential of a deactivated person), send
a password reset mail, and reset two-step sign-in for someone who lost their phone and
their recovery codes; each is audited with the operator's name. Nothing else of a
person is changed here: not their kind, their password or their memberships.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from teams import two_factor
from teams.models import AuditEntry, Membership, Person, Team
from teams.services import accounts
from teams.services import two_factor as two_factor_services
from teams.services.common import audit

# Devices hold the keys of people's authenticators; Kith uses no groups or model
# permissions. An operator resets two-step sign-in with the action below instead.
for model in (TOTPDevice, StaticDevice, Group):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


class ReadOnly:
    """Seen, never changed, added or deleted here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "kind", "is_active", "two_factor"]
    list_filter = ["kind", "is_active", "is_staff"]
    fieldsets = [
        (None, {"fields": ["username", "email"]}),
        ("Name", {"fields": ["first_name", "last_name", "preferred_name"]}),
        ("Kith", {"fields": ["kind", "is_active", "is_staff", "is_superuser", "two_factor"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    actions = ["send_password_reset", "reset_two_factor"]
    # A plain form: UserAdmin's carries the password field and its "set" link.
    form = forms.ModelForm

    @admin.display(boolean=True, description="Two-step sign-in")
    def two_factor(self, person):
        return two_factor.enabled(person)

    def get_readonly_fields(self, request, obj=None):
        # An operator may only deactivate or reactivate a person.
        shown = [name for _, fieldset in self.fieldsets for name in fieldset["fields"]]
        return [name for name in shown if name != "is_active"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied(
            "Passwords are not set here: send the person a password reset mail instead."
        )

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data:
            # Person.save ends every credential of a deactivated person.
            super().save_model(request, obj, form, change)
            audit(
                actor=request.user,
                action="person.activated" if obj.is_active else "person.deactivated_by_operator",
                target=obj,
                data={},
            )
        elif change:
            return  # nothing an operator may change changed
        else:
            raise PermissionDenied("People join through an invitation, not the admin.")

    @admin.action(description="Send a password reset mail")
    def send_password_reset(self, request, queryset):
        sent = sum(
            accounts.password_reset_send(actor=request.user, person=person) for person in queryset
        )
        skipped = queryset.count() - sent
        note = f" ({skipped} without an address, active account or password got none)"
        messages.info(request, f"{sent} reset mail(s) sent{note if skipped else ''}.")

    @admin.action(description="Reset two-step sign-in (lost phone and recovery codes)")
    def reset_two_factor(self, request, queryset):
        # An operator's second step is what keeps the admin safe: one operator (or a
        # stolen operator session) may not strip another's. That takes the server's
        # command line (manage.py shell is the operator's own door).
        guarded = [p for p in queryset if p.is_superuser or p.is_staff or p.is_operator]
        if guarded:
            messages.error(
                request,
                "Two-step sign-in of operators is not reset here: "
                + ", ".join(p.username for p in guarded)
                + ".",
            )
        reset = sum(
            two_factor_services.two_factor_reset(
                actor=request.user, person=person, reason="reset in the admin"
            )
            for person in queryset
            if person not in guarded
        )
        messages.info(
            request,
            f"Two-step sign-in reset for {reset} person(s): they sign in with their password"
            " and set it up again.",
        )


class MembershipInline(ReadOnly, admin.TabularInline):
    model = Membership
    extra = 0
    fields = readonly_fields = ("person", "joined", "until", "left")


@admin.register(Team)
class TeamAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "town", "postcodes"]
    inlines = [MembershipInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target"]
    list_filter = ["action"]
