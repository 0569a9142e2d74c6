"""Alert settings are configuration (administrators enable e-mail per organisation); summaries are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin_base import RoleAdmin
from oversight.models import AlertSettings, TaskSummary


@admin.register(AlertSettings)
class AlertSettingsAdmin(RoleAdmin):
    list_display = ("organisation", "email_enabled")


@admin.register(TaskSummary)
class TaskSummaryAdmin(RoleAdmin):
    list_display = ("task", "state", "due", "filed_by", "filed_at")
    readonly_fields = ("task", "organisation", "text", "state", "due", "edited_by", "filed_by", "filed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
