from django.contrib import admin

from core.admin_base import ReferenceAdmin
from workcal.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(ReferenceAdmin):
    list_display = ["date", "is_workday", "note", "created_by"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    exclude = ["created_by"]

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
