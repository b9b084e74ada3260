from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from teams.models import AuditEntry, Membership, Person, Team


@admin.register(Person)
class PersonAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    fieldsets = [*UserAdmin.fieldsets, ("Kith", {"fields": ["kind", "preferred_name"]})]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["person"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "town", "postcodes"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "target"]
    list_filter = ["action"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
