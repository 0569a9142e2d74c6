from django.contrib import admin

from core.admin_base import ReferenceAdmin, RoleAdmin
from directory.models import Conflict, Expert, Expertise, Inspector, Tag, Target, UnitStaffing


@admin.register(Target)
class TargetAdmin(RoleAdmin):
    list_display = ["key", "name", "kind", "region", "credit_class", "status"]
    list_filter = ["kind", "credit_class", "status", "abnormal_operation", "serious_violation"]
    search_fields = ["=key", "name"]
    autocomplete_fields = ["industry", "region"]
    filter_horizontal = ["supervising_departments"]
    show_full_result_count = False


@admin.register(Inspector)
class InspectorAdmin(RoleAdmin):
    list_display = ["name", "department", "unit", "position", "certificate_no", "certificate_expiry", "status"]
    list_filter = ["status", "expertise"]
    search_fields = ["name", "certificate_no"]
    filter_horizontal = ["expertise"]


@admin.register(Expertise)
class ExpertiseAdmin(ReferenceAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Expert)
class ExpertAdmin(RoleAdmin):
    list_display = ["name", "employer", "title", "status"]
    list_filter = ["status", "expertise"]
    search_fields = ["name", "employer"]
    filter_horizontal = ["expertise"]


@admin.register(Tag)
class TagAdmin(ReferenceAdmin):
    search_fields = ["name"]


@admin.register(Conflict)
class ConflictAdmin(RoleAdmin):
    list_display = ["inspector", "expert", "target", "party_name", "declared_at", "valid_until", "withdrawn_at"]
    raw_id_fields = ["inspector", "expert", "target"]
    readonly_fields = ["withdrawn_at", "withdrawn_by", "declared_by"]

    def get_queryset(self, request):
        from directory.people_api import visible_conflicts

        return visible_conflicts(request.user)


@admin.register(UnitStaffing)
class UnitStaffingAdmin(RoleAdmin):
    org_field = "unit__department__organisation"
    list_display = ["unit", "enforcement_staff", "as_of"]
