"""Admin views of inspection records, results and follow-ups.

Records, results, attachments and follow-ups change only through the workflow
(``inspections.services``), which checks the rules and writes the audit trail,
so the admin shows them read-only: a published result in particular is never
edited (a correction is a new version entered by the inspector). Risk rules
are configuration and are edited here (audited by ``audit.track``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.admin_base import RoleAdmin
from inspections.models import Attachment, Finding, FollowUp, Record, Result, RiskRule


class ReadOnlyAdmin(RoleAdmin):
    """Visible to administrators of the organisation; changed only through the workflow."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FindingInline(admin.TabularInline):
    model = Finding
    fields = ["checkpoint", "outcome", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Record)
class RecordAdmin(ReadOnlyAdmin):
    list_display = ["id", "task", "target", "state", "checked_on", "publish_deadline", "published_at"]
    list_filter = ["state", "signature_kind", "non_cooperation", "source"]
    search_fields = ["=target__key", "target__name", "task__name"]
    raw_id_fields = ["task", "selection", "target"]
    inlines = [FindingInline]
    show_full_result_count = False


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ["id", "target", "item_version", "category", "version", "state", "published_at"]
    list_filter = ["state", "category"]
    search_fields = ["=target__key", "target__name"]
    raw_id_fields = ["record", "target", "item_version", "superseded_by"]
    show_full_result_count = False


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    org_field = "record__organisation"
    list_display = ["id", "record", "kind", "name", "content_type", "size", "uploaded_at"]
    list_filter = ["kind"]
    raw_id_fields = ["record"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["id", "result", "kind", "owner", "deadline", "state", "closed_at"]
    list_filter = ["kind", "state"]
    raw_id_fields = ["result"]


@admin.register(RiskRule)
class RiskRuleAdmin(RoleAdmin):
    list_display = ["organisation", "category", "raise_credit_class", "complaint_weight", "active"]
    list_filter = ["category", "active"]
