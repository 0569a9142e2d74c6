from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import ApiToken, User, UserRole
from core.admin_base import RoleAdmin


class UserRoleInline(admin.TabularInline):
    model = UserRole
    extra = 1


@admin.register(User)
class UserAdmin(RoleAdmin, DjangoUserAdmin):
    list_display = ["username", "full_name", "organisation", "department", "is_active"]
    list_filter = ["is_active", "roles__role"]
    search_fields = ["username", "full_name"]
    inlines = [UserRoleInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["full_name", "email", "phone"]}),
        (_("Scope"), {"fields": ["organisation", "department", "unit"]}),
        (_("Status"), {"fields": ["is_active", "is_staff", "last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]


@admin.register(ApiToken)
class ApiTokenAdmin(RoleAdmin):
    org_field = "user__organisation"
    list_display = ["prefix", "name", "user", "created", "expires", "last_used", "revoked"]
    readonly_fields = ["prefix", "key_hash", "created", "last_used"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
