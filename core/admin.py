from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _

from core.admin_base import ReferenceAdmin
from core.audit import verify_chain
from core.models import AuditEntry
from core.queries import visible_entries


@admin.register(AuditEntry)
class AuditEntryAdmin(ReferenceAdmin):
    list_display = ["seq", "at", "actor_repr", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_repr", "object_id"]
    change_list_template = "core/auditentry_changelist.html"

    def get_queryset(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        return visible_entries(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self):  # type: ignore[no-untyped-def]
        extra = [path("verify/", self.admin_site.admin_view(self.verify_view), name="core_auditentry_verify")]
        return extra + super().get_urls()

    def verify_view(self, request: HttpRequest) -> HttpResponseRedirect:
        report = verify_chain()
        if report.ok:
            messages.success(request, _("Audit chain intact: %(n)d entries checked.") % {"n": report.checked})
        else:
            messages.error(
                request,
                _("Audit chain broken: first broken entry #%(seq)s (%(problem)s).")
                % {"seq": report.first_broken_seq, "problem": report.problem},
            )
        return HttpResponseRedirect(reverse("admin:core_auditentry_changelist"))
