from django.contrib import admin

from core.admin_base import RoleAdmin
from plans.models import PlanSettings


@admin.register(PlanSettings)
class PlanSettingsAdmin(RoleAdmin):
    list_display = ["organisation", "filing_month", "filing_day", "yearly_visit_cap"]
