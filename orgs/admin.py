from django.contrib import admin

from core.admin_base import RoleAdmin
from orgs.models import Department, Organisation, Unit


class DepartmentInline(admin.TabularInline):
    model = Department
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(RoleAdmin):
    org_field = ""
    list_display = ["name", "level", "parent", "division", "publication_days", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["name"]
    autocomplete_fields = ["division", "parent"]
    inlines = [DepartmentInline]


@admin.register(Department)
class DepartmentAdmin(RoleAdmin):
    list_display = ["name", "kind", "organisation", "is_active"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Unit)
class UnitAdmin(RoleAdmin):
    org_field = "department__organisation"
    list_display = ["name", "kind", "department"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["division"]
